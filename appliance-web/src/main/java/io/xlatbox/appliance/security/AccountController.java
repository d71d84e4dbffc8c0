package io.xlatbox.appliance.security;

import io.xlatbox.appliance.config.FieldError;
import java.security.Principal;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.ModelAttribute;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/** The account page: the logged-in admin changes their password. Works without JavaScript. */
@Controller
public class AccountController {
    private final AccountService accounts;

    public AccountController(AccountService accounts) {
        this.accounts = accounts;
    }

    /** The form's fields; {@code confirm} is the new password typed twice. */
    public record PasswordForm(String currentPassword, String newPassword, String confirm) {
    }

    @GetMapping("/account")
    public String page(Principal user, Model model) {
        model.addAttribute("username", user.getName());
        model.addAttribute("errors", Map.of());
        return "account";
    }

    @PostMapping("/account/password")
    public String change(@ModelAttribute PasswordForm form, Principal user, Model model, RedirectAttributes flash) {
        Map<String, String> errors = new LinkedHashMap<>();
        if (form.newPassword() != null && !form.newPassword().equals(form.confirm())) {
            // Checked before the current password, so a typo costs no attempt.
            errors.put("confirm", "the two new passwords differ");
        } else {
            try {
                accounts.changePassword(user.getName(), form.currentPassword(), form.newPassword());
                flash.addFlashAttribute("message", "Password changed. Your other sessions are logged out.");
                return "redirect:/account";
            } catch (SecurityProblem e) {
                for (FieldError f : e.errors()) {
                    errors.putIfAbsent(f.field(), f.message());
                }
                if (e.errors().isEmpty()) {
                    model.addAttribute("error", e.getMessage());
                }
            }
        }
        // The passwords are never sent back into the page.
        model.addAttribute("username", user.getName());
        model.addAttribute("errors", errors);
        return "account";
    }
}
