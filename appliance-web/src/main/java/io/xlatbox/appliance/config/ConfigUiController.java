package io.xlatbox.appliance.config;

import io.xlatbox.appliance.dataplane.DataplaneService;
import io.xlatbox.appliance.security.Actor;
import io.xlatbox.appliance.sessions.Pool4Summary;
import io.xlatbox.engine.addr.Ipv6Address;
import jakarta.servlet.http.HttpServletRequest;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.WebDataBinder;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.InitBinder;
import org.springframework.web.bind.annotation.ModelAttribute;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/**
 * The configuration pages, one per section. Each form posts here; the controller builds the new
 * {@link ApplianceConfig} from the active one and the section's input, and applies it through
 * {@link ConfigService#apply} against the version the form was made from. Invalid input comes back with a message
 * next to each field and the input as typed; a change that drops sessions asks first; a concurrent change is
 * reported without losing the input.
 */
@Controller
@RequestMapping("/config")
public class ConfigUiController {
    private final ConfigService configs;
    private final DataplaneService dataplane;

    public ConfigUiController(ConfigService configs, DataplaneService dataplane) {
        this.configs = configs;
        this.dataplane = dataplane;
    }

    /** The forms bind to their public fields; their private bookkeeping is not the request's to set. */
    @InitBinder({"nat64Form", "dns64Form", "systemForm"})
    void binder(WebDataBinder binder) {
        binder.initDirectFieldAccess();
        binder.setAutoGrowCollectionLimit(1024);
        binder.setDisallowedFields("pool4Rows*", "staticRows*", "prefixRows*", "rangesOfRows*", "lines*");
    }

    /** What every post carries besides the section's fields. */
    record Submission(long version, Long rebase, String confirm, String action) {
        long base() {
            return rebase != null ? rebase : version;
        }

        boolean confirmed() {
            return "yes".equals(confirm);
        }

        /** The row an "add-…" button asks for ("add-pool4" -> "pool4"), or null when the post is no such button. */
        String rowToAdd() {
            return action != null && action.startsWith("add-") ? action.substring(4) : null;
        }
    }

    /**
     * The posts' common parameters, read once for all of them (Spring calls this before every handler of the
     * controller; the pages ignore it).
     */
    @ModelAttribute("submission")
    Submission submission(@RequestParam(name = "version", defaultValue = "0") long version,
                          @RequestParam(name = "rebase", required = false) Long rebase,
                          @RequestParam(name = "confirm", required = false) String confirm,
                          @RequestParam(name = "action", required = false) String action) {
        return new Submission(version, rebase, confirm, action);
    }

    // ------------------------------------------------------------------------------------------------- NAT64

    @GetMapping("/nat64")
    public String nat64(Model model) {
        ConfigService.Active a = configs.active();
        Nat64Form form = Nat64Form.of(a.config().nat64()).withEmptyRow("pool4").withEmptyRow("staticBib");
        return nat64Page(model, form, a.version(), new FormErrors());
    }

    @PostMapping("/nat64")
    public String postNat64(@ModelAttribute("nat64Form") Nat64Form form,
                            @ModelAttribute(name = "submission", binding = false) Submission s,
                            HttpServletRequest req, Model model, RedirectAttributes ra) {
        if (s.rowToAdd() != null) {
            return nat64Page(model, form.withEmptyRow(s.rowToAdd()), s.base(), new FormErrors());
        }
        return submit("nat64", s, req, model, ra,
                (current, errors) -> current.withNat64(form.toSettings(current.nat64(), errors)),
                form::addErrors, (errors, v) -> nat64Page(model, form, v, errors));
    }

    private String nat64Page(Model model, Nat64Form form, long version, FormErrors errors) {
        model.addAttribute("pool4Summary", Pool4Summary.of(dataplane.group()));
        return page(model, "nat64", "NAT64", form, version, errors);
    }

    // ------------------------------------------------------------------------------------------------- DNS64

    @GetMapping("/dns64")
    public String dns64(Model model) {
        ConfigService.Active a = configs.active();
        return dns64Page(model, Dns64Form.of(a.config().dns64()).withEmptyRow(), a.version(), new FormErrors());
    }

    @PostMapping("/dns64")
    public String postDns64(@ModelAttribute("dns64Form") Dns64Form form,
                            @ModelAttribute(name = "submission", binding = false) Submission s,
                            HttpServletRequest req, Model model, RedirectAttributes ra) {
        if (s.rowToAdd() != null) {
            return dns64Page(model, form.withEmptyRow(), s.base(), new FormErrors());
        }
        return submit("dns64", s, req, model, ra,
                (current, errors) -> current.withDns64(form.toSettings(current.dns64(), errors)),
                form::addErrors, (errors, v) -> dns64Page(model, form, v, errors));
    }

    private String dns64Page(Model model, Dns64Form form, long version, FormErrors errors) {
        DataplaneService.State st = dataplane.state();
        model.addAttribute("dns64State", st);
        return page(model, "dns64", "DNS64", form, version, errors);
    }

    // ------------------------------------------------------------------------------------------------ system

    @GetMapping("/system")
    public String system(Model model) {
        ConfigService.Active a = configs.active();
        return systemPage(model, SystemForm.of(a.config().system()), a.version(), new FormErrors());
    }

    @PostMapping("/system")
    public String postSystem(@ModelAttribute("systemForm") SystemForm form,
                             @ModelAttribute(name = "submission", binding = false) Submission s,
                             HttpServletRequest req, Model model, RedirectAttributes ra) {
        return submit("system", s, req, model, ra,
                (current, errors) -> current.withSystem(form.toSettings(current.system(), errors)),
                form::addErrors, (errors, v) -> systemPage(model, form, v, errors));
    }

    private String systemPage(Model model, SystemForm form, long version, FormErrors errors) {
        model.addAttribute("interfaces", interfaces());
        model.addAttribute("dataplaneState", dataplane.state());
        return page(model, "system", "System", form, version, errors);
    }

    /** A network interface of the dataplane's namespace, for the interface fields' choices. */
    public record Interface(String name, boolean up, boolean loopback, List<String> addresses) {
    }

    private List<Interface> interfaces() {
        try {
            return dataplane.inNamespace(ConfigUiController::listInterfaces);
        } catch (Exception e) {
            return List.of(); // no interfaces to offer: the fields still take any name
        }
    }

    private static List<Interface> listInterfaces() {
        List<Interface> out = new ArrayList<>();
        try {
            for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                List<String> addrs = new ArrayList<>();
                ni.getInterfaceAddresses().forEach(ia -> {
                    InetAddress ad = ia.getAddress();
                    String text;
                    if (ad instanceof Inet6Address) {
                        ByteBuffer b = ByteBuffer.wrap(ad.getAddress());
                        text = Ipv6Address.format(b.getLong(), b.getLong());
                    } else {
                        text = ad.getHostAddress();
                    }
                    addrs.add(text + "/" + ia.getNetworkPrefixLength());
                });
                out.add(new Interface(ni.getName(), ni.isUp(), ni.isLoopback(), addrs));
            }
        } catch (SocketException e) {
            // no interfaces to offer: the fields still take any name
        }
        out.sort((x, y) -> x.name().compareTo(y.name()));
        return out;
    }

    // ------------------------------------------------------------------------------------------------ common

    private String page(Model model, String section, String title, Object form, long version, FormErrors errors) {
        ConfigService.Active a = configs.active();
        model.addAttribute("form", form);
        model.addAttribute("section", section);
        model.addAttribute("sectionTitle", title);
        model.addAttribute("version", version);
        model.addAttribute("activeVersion", a.version());
        model.addAttribute("errors", errors);
        return "config/" + section;
    }

    /**
     * The common path of every section's post: parse, validate (showing every problem at once), check the
     * version, ask before dropping sessions, apply, and redirect with the outcome.
     */
    private String submit(String section, Submission s, HttpServletRequest req, Model model, RedirectAttributes ra,
                          BiFunction<ApplianceConfig, FormErrors, ApplianceConfig> build,
                          BiConsumer<List<FieldError>, FormErrors> mapErrors,
                          Renderer render) {
        long base = s.base();
        if ("edit".equals(s.action())) {
            return render.apply(new FormErrors(), base);
        }
        ConfigService.Active active = configs.active();
        FormErrors errors = new FormErrors();
        ApplianceConfig next = build.apply(active.config(), errors);
        ConfigService.Preview preview = configs.preview(next);
        mapErrors.accept(preview.errors(), errors);
        if (!errors.isEmpty()) {
            return render.apply(errors, base);
        }
        if (base != active.version()) {
            conflict(model, base, active.version());
            return render.apply(errors, base);
        }
        if (preview.sessionsDropped() > 0 && !s.confirmed()) {
            model.addAttribute("confirm", new ConfirmView(titleOf(section), preview.sessionsDropped(),
                    preview.changes(), "/config/" + section, resubmit(req, base), true, "/config/" + section));
            return "config/confirm";
        }
        try {
            ConfigService.Applied r = configs.apply(next, base, Actor.of(req), null);
            ra.addFlashAttribute("applied", r);
            return "redirect:/config/" + section;
        } catch (VersionConflictException e) {
            conflict(model, base, e.active());
            return render.apply(errors, base);
        } catch (InvalidConfigException e) {
            mapErrors.accept(e.errors(), errors);
            return render.apply(errors, base);
        } catch (ConfigService.ApplyFailedException e) {
            model.addAttribute("applyError", e.getMessage());
            return render.apply(errors, base);
        }
    }

    /** Renders the section's page again with these errors, for the form made against {@code version}. */
    @FunctionalInterface
    interface Renderer {
        String apply(FormErrors errors, long version);
    }

    private static void conflict(Model model, long base, long active) {
        model.addAttribute("conflict", Map.of("edited", base, "active", active));
    }

    private static String titleOf(String section) {
        return switch (section) {
            case "nat64" -> "NAT64 settings";
            case "dns64" -> "DNS64 settings";
            default -> "System settings";
        };
    }

    /** The submitted fields, to post again from the confirmation step (without the token, the buttons, the base). */
    static List<Map.Entry<String, String>> resubmit(HttpServletRequest req, long base) {
        List<Map.Entry<String, String>> out = new ArrayList<>();
        req.getParameterMap().forEach((name, values) -> {
            if (!List.of("_csrf", "confirm", "action", "version", "rebase").contains(name)) {
                for (String v : values) {
                    out.add(Map.entry(name, v));
                }
            }
        });
        out.add(Map.entry("version", Long.toString(base)));
        return out;
    }
}
