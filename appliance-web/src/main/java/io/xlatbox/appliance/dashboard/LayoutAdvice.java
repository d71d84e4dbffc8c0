package io.xlatbox.appliance.dashboard;

import io.xlatbox.appliance.config.ConfigService;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.web.bind.annotation.ControllerAdvice;
import org.springframework.web.bind.annotation.ModelAttribute;

/**
 * What the page frame (templates/fragments/layout.html) shows on every page: the box's hostname and which
 * navigation entry is the current one.
 */
@ControllerAdvice(basePackages = "io.xlatbox.appliance")
public class LayoutAdvice {
    private final ConfigService configs;

    public LayoutAdvice(ConfigService configs) {
        this.configs = configs;
    }

    @ModelAttribute("hostname")
    public String hostname() {
        try {
            return configs.active().config().system().hostname();
        } catch (RuntimeException e) {
            return "xlatbox";
        }
    }

    /** The navigation entry of this page: the first segment of its path ("config/nat64" for the config pages). */
    @ModelAttribute("nav")
    public String nav(HttpServletRequest req) {
        String path = req.getRequestURI().substring(req.getContextPath().length());
        String[] parts = path.split("/");
        if (parts.length < 2 || parts[1].isEmpty()) {
            return "dashboard";
        }
        if (parts[1].equals("config") && parts.length > 2) {
            return "config/" + parts[2];
        }
        return switch (parts[1]) {
            case "bib", "pool4" -> "sessions";
            default -> parts[1];
        };
    }
}
