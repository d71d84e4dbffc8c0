package io.xlatbox.appliance.system;

import io.xlatbox.appliance.config.ConfigService;
import io.xlatbox.appliance.config.ConfirmView;
import io.xlatbox.appliance.config.FieldError;
import io.xlatbox.appliance.config.InvalidConfigException;
import io.xlatbox.appliance.config.VersionConflictException;
import io.xlatbox.appliance.security.Actor;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.multipart.MultipartFile;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * Backup and restore in the browser. The download is GET /api/v1/backup itself; a restore is an uploaded file
 * (or pasted JSON) that is checked completely first, reported field by field when it is wrong, confirmed when it
 * would drop sessions, and applied as a new configuration version made against the version the page showed.
 */
@Controller
@RequestMapping("/backup")
public class BackupUiController {
    private final BackupService backups;
    private final ConfigService configs;
    private final JsonMapper json;

    public BackupUiController(BackupService backups, ConfigService configs, JsonMapper json) {
        this.backups = backups;
        this.configs = configs;
        this.json = json;
    }

    @GetMapping
    public String page(Model model) {
        return render(model, configs.active().version());
    }

    private String render(Model model, long version) {
        model.addAttribute("activeVersion", configs.active().version());
        model.addAttribute("version", version);
        return "backup";
    }

    @PostMapping("/restore")
    public String restore(@RequestParam(name = "file", required = false) MultipartFile file,
                          @RequestParam(name = "document", required = false) String document,
                          @RequestParam(name = "version", defaultValue = "0") long version,
                          @RequestParam(name = "confirm", required = false) String confirm,
                          HttpServletRequest req, Model model, RedirectAttributes ra) {
        String text;
        String source;
        try {
            if (file != null && !file.isEmpty()) {
                text = new String(file.getBytes(), StandardCharsets.UTF_8);
                source = file.getOriginalFilename();
            } else {
                text = document == null ? "" : document;
                source = "the pasted document";
            }
        } catch (IOException e) {
            model.addAttribute("problem", "The upload could not be read: " + e.getMessage());
            return render(model, version);
        }
        if (text.isBlank()) {
            model.addAttribute("problem", "Choose a backup file (or paste one) to restore.");
            return render(model, version);
        }
        model.addAttribute("source", source);
        BackupDocument doc;
        try {
            doc = json.readValue(text, BackupDocument.class);
        } catch (JacksonException e) {
            model.addAttribute("restoreErrors", List.of(new FieldError(e.getPathReference() == null ? ""
                    : e.getPathReference(), "not a valid backup document: " + e.getOriginalMessage()
                    + location(e))));
            return render(model, version);
        }
        List<FieldError> errors = backups.check(doc);
        if (!errors.isEmpty()) {
            model.addAttribute("restoreErrors", errors);
            return render(model, version);
        }
        long active = configs.active().version();
        if (version != active) {
            conflict(model, text, version, active);
            return render(model, version);
        }
        ConfigService.Preview preview = configs.preview(doc.config());
        if (preview.sessionsDropped() > 0 && !"yes".equals(confirm)) {
            model.addAttribute("confirm", new ConfirmView("the backup of version " + doc.configVersion(),
                    preview.sessionsDropped(), preview.changes(), "/backup/restore",
                    List.of(Map.entry("document", text), Map.entry("version", Long.toString(version))), false,
                    "/backup"));
            return "config/confirm";
        }
        try {
            ConfigService.Applied applied = backups.restore(doc, version, Actor.of(req));
            ra.addFlashAttribute("applied", applied);
            ra.addFlashAttribute("restoredFrom", doc.configVersion());
            return "redirect:/backup";
        } catch (InvalidConfigException e) {
            model.addAttribute("restoreErrors", e.errors());
        } catch (VersionConflictException e) {
            conflict(model, text, version, e.active());
        } catch (ConfigService.ApplyFailedException e) {
            model.addAttribute("applyError", e.getMessage());
        }
        return render(model, version);
    }

    private static void conflict(Model model, String text, long edited, long active) {
        model.addAttribute("conflict", Map.of("edited", edited, "active", active));
        model.addAttribute("document", text);
    }

    private static String location(JacksonException e) {
        var l = e.getLocation();
        return l == null || l.getLineNr() < 0 ? "" : " (line " + l.getLineNr() + ", column " + l.getColumnNr() + ")";
    }
}
