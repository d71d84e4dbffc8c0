package io.xlatbox.appliance.security;

import jakarta.servlet.http.HttpServletRequest;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/**
 * The API tokens page: list, create (the new token is shown once, through a flash attribute that lives for the
 * one redirect), delete.
 */
@Controller
public class TokensController {
    private final TokenService tokens;

    public TokensController(TokenService tokens) {
        this.tokens = tokens;
    }

    @GetMapping("/tokens")
    public String list(Model model) {
        model.addAttribute("tokens", tokens.list());
        return "tokens";
    }

    @PostMapping("/tokens")
    public String create(@RequestParam(name = "name", defaultValue = "") String name,
                         @RequestParam(name = "scope", defaultValue = "") String scope, HttpServletRequest req,
                         RedirectAttributes flash) {
        try {
            flash.addFlashAttribute("created", tokens.create(name, scope, Actor.of(req)));
        } catch (SecurityProblem e) {
            flash.addFlashAttribute("error", e.getMessage());
            flash.addFlashAttribute("name", name);
        }
        return "redirect:/tokens";
    }

    @PostMapping("/tokens/{id}/delete")
    public String delete(@PathVariable("id") long id, HttpServletRequest req, RedirectAttributes flash) {
        if (tokens.delete(id, Actor.of(req))) {
            flash.addFlashAttribute("message", "Token deleted: it no longer works.");
        } else {
            flash.addFlashAttribute("error", "There is no such token.");
        }
        return "redirect:/tokens";
    }
}
