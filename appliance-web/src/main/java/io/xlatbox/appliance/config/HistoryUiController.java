package io.xlatbox.appliance.config;

import io.xlatbox.appliance.security.Actor;
import jakarta.servlet.http.HttpServletRequest;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;
import tools.jackson.databind.json.JsonMapper;

/**
 * The configuration history: every applied version with its time, author and summary; what changed between a
 * version and its predecessor (or any other); and rollback, which applies an earlier version again as a new one.
 * The rollback form carries the active version it was made against, like If-Match.
 */
@Controller
@RequestMapping("/history")
public class HistoryUiController {
    static final int PAGE = 30;

    private final ConfigService configs;
    private final JsonMapper json;

    public HistoryUiController(ConfigService configs, JsonMapper json) {
        this.configs = configs;
        this.json = json;
    }

    @GetMapping
    public String history(@RequestParam(name = "before", defaultValue = "9223372036854775807") long before,
                          Model model) {
        List<ConfigStore.Version> versions = configs.versions(PAGE, before);
        model.addAttribute("versions", versions);
        model.addAttribute("activeVersion", configs.active().version());
        model.addAttribute("paged", before != Long.MAX_VALUE);
        if (versions.size() == PAGE && versions.get(PAGE - 1).version() > 1) {
            model.addAttribute("olderBefore", versions.get(PAGE - 1).version());
        }
        return "history";
    }

    @GetMapping("/{version}")
    public String version(@PathVariable("version") long version,
                          @RequestParam(name = "against", required = false) Long against, Model model) {
        ConfigStore.Version v;
        try {
            v = configs.version(version);
        } catch (ConfigService.NotFoundException e) {
            model.addAttribute("problem", e.getMessage());
            return history(Long.MAX_VALUE, model);
        }
        long base = against != null ? against : version - 1;
        model.addAttribute("v", v);
        model.addAttribute("activeVersion", configs.active().version());
        model.addAttribute("base", base);
        model.addAttribute("newest", configs.versions(1, Long.MAX_VALUE).get(0).version());
        if (base < 1) {
            model.addAttribute("rows", Changes.rows(v.changes()));
            model.addAttribute("first", true);
        } else {
            try {
                ConfigStore.Version b = configs.version(base);
                model.addAttribute("baseVersion", b);
                model.addAttribute("rows", Changes.rows(configs.changes(b.config(), v.config())));
            } catch (ConfigService.NotFoundException e) {
                model.addAttribute("againstError", e.getMessage());
                model.addAttribute("rows", List.of());
            }
        }
        model.addAttribute("configJson", json.writerWithDefaultPrettyPrinter().writeValueAsString(v.config()));
        return "history-version";
    }

    @PostMapping("/{version}/rollback")
    public String rollback(@PathVariable("version") long version,
                           @RequestParam(name = "active", defaultValue = "0") long active,
                           @RequestParam(name = "confirm", required = false) String confirm, HttpServletRequest req,
                           Model model, RedirectAttributes ra) {
        ConfigStore.Version target;
        try {
            target = configs.version(version);
        } catch (ConfigService.NotFoundException e) {
            ra.addFlashAttribute("problem", e.getMessage());
            return "redirect:/history";
        }
        long now = configs.active().version();
        if (active != now) {
            ra.addFlashAttribute("problem", "The configuration changed meanwhile: version " + now + " is active now, "
                    + "not " + active + ". Nothing was rolled back; look at the history again and retry.");
            return "redirect:/history";
        }
        ConfigService.Preview preview = configs.preview(target.config());
        if (!preview.valid()) {
            invalid(ra, version, preview.errors());
            return "redirect:/history/" + version;
        }
        if (preview.sessionsDropped() > 0 && !"yes".equals(confirm)) {
            model.addAttribute("confirm", new ConfirmView("the rollback to version " + version,
                    preview.sessionsDropped(), preview.changes(), "/history/" + version + "/rollback",
                    List.of(Map.entry("active", Long.toString(active))), false,
                    "/history/" + version));
            return "config/confirm";
        }
        try {
            ra.addFlashAttribute("applied", configs.rollback(version, active, Actor.of(req)));
            return "redirect:/history";
        } catch (VersionConflictException e) {
            ra.addFlashAttribute("problem", e.getMessage());
        } catch (InvalidConfigException e) {
            invalid(ra, version, e.errors());
        } catch (ConfigService.ApplyFailedException e) {
            ra.addFlashAttribute("applyError", e.getMessage());
        }
        return "redirect:/history/" + version;
    }

    private static void invalid(RedirectAttributes ra, long version, List<FieldError> errors) {
        ra.addFlashAttribute("problemsTitle", "Version " + version + " cannot be applied again; nothing was changed:");
        ra.addFlashAttribute("problems", errors.stream().map(e -> e.field() + ": " + e.message()).toList());
    }
}
