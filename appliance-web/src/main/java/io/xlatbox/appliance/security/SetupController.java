package io.xlatbox.appliance.security;

import io.xlatbox.appliance.config.FieldError;
import jakarta.servlet.http.HttpServletRequest;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.ModelAttribute;
import org.springframework.web.bind.annotation.PostMapping;

/** The first-boot setup page: the setup code from the console, and the admin account. Works without JavaScript. */
@Controller
public class SetupController {
    private final SetupService setup;

    public SetupController(SetupService setup) {
        this.setup = setup;
    }

    /** The form's fields; {@code confirm} is the password typed twice. */
    public record SetupForm(String setupCode, String username, String password, String confirm) {
    }

    @GetMapping("/setup")
    public String form(Model model) {
        if (!setup.required()) {
            return "redirect:/login";
        }
        model.addAttribute("form", new SetupForm("", "admin", "", ""));
        model.addAttribute("errors", Map.of());
        return "setup";
    }

    @PostMapping("/setup")
    public String submit(@ModelAttribute SetupForm form, HttpServletRequest req, Model model) {
        if (!setup.required()) {
            return "redirect:/login";
        }
        Map<String, String> errors = new LinkedHashMap<>();
        if (form.password() != null && !form.password().equals(form.confirm())) {
            errors.put("confirm", "the two passwords differ");
        } else {
            try {
                setup.complete(form.setupCode(), form.username(), form.password(), req.getRemoteAddr());
                return "redirect:/login?setup";
            } catch (SecurityProblem e) {
                for (FieldError f : e.errors()) {
                    errors.putIfAbsent(f.field(), f.message());
                }
                if (e.errors().isEmpty() || e.status().value() != 422) {
                    model.addAttribute("error", e.getMessage());
                }
            }
        }
        // Never send the passwords back into the page.
        model.addAttribute("form", new SetupForm(form.setupCode(), form.username(), "", ""));
        model.addAttribute("errors", errors);
        return "setup";
    }
}
