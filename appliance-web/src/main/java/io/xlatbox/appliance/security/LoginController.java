package io.xlatbox.appliance.security;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpSession;
import java.security.Principal;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.LockedException;
import org.springframework.security.web.WebAttributes;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;

/** The login page; Spring Security's form login handles POST /login and POST /logout. */
@Controller
public class LoginController {
    private final SetupService setup;

    public LoginController(SetupService setup) {
        this.setup = setup;
    }

    @GetMapping("/login")
    public String login(HttpServletRequest req, Principal user, Model model) {
        if (setup.required()) {
            return "redirect:/setup";
        }
        if (user != null) {
            return "redirect:/";
        }
        HttpSession session = req.getSession(false);
        if (req.getParameter("error") != null && session != null) {
            // Spring's failure handler leaves the exception in the session; show its message once.
            Object e = session.getAttribute(WebAttributes.AUTHENTICATION_EXCEPTION);
            session.removeAttribute(WebAttributes.AUTHENTICATION_EXCEPTION);
            model.addAttribute("error", e instanceof BadCredentialsException || e instanceof LockedException
                    ? ((Exception) e).getMessage() : "Login failed.");
        }
        return "login";
    }
}
