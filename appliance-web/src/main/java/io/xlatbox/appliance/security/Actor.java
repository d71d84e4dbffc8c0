package io.xlatbox.appliance.security;

import jakarta.servlet.http.HttpServletRequest;
import java.security.Principal;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;

/**
 * Who is making a request, for version authors and the audit log: the account's name, or {@code token:<name>} for
 * an API token.
 */
public final class Actor {
    private Actor() {
    }

    public static String of(HttpServletRequest req) {
        Principal p = req.getUserPrincipal();
        return p != null ? p.getName() : "anonymous";
    }

    /** The same, from the current thread's security context (for code that has no request at hand). */
    public static String current() {
        Authentication a = SecurityContextHolder.getContext().getAuthentication();
        return a != null && a.isAuthenticated() ? a.getName() : "anonymous";
    }
}
