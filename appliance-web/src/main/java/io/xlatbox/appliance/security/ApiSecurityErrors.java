package io.xlatbox.appliance.security;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.authentication.InsufficientAuthenticationException;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.access.AccessDeniedHandler;
import org.springframework.security.web.csrf.CsrfException;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * What the REST API ({@code /api/v1/**}, {@code /actuator/**}) answers when Spring Security refuses a request: 401
 * (no or a bad token, or the box is not set up yet) and 403 (a read token writing, a token on a session-only
 * endpoint, or a browser write without its CSRF token), as problem+json rather than a redirect to the login page.
 */
@Component
public class ApiSecurityErrors implements AuthenticationEntryPoint, AccessDeniedHandler {
    private final SetupService setup;
    private final JsonMapper json;

    public ApiSecurityErrors(SetupService setup, JsonMapper json) {
        this.setup = setup;
        this.json = json;
    }

    @Override
    public void commence(HttpServletRequest req, HttpServletResponse res, AuthenticationException e)
            throws IOException {
        if (setup.required()) {
            write(res, 401, "setup-required", "The appliance is not set up yet",
                    "Create the admin account first: open /setup, or POST /api/v1/setup with the setup code "
                            + "printed on the console and in the log");
            return;
        }
        boolean bearer = SecurityConfig.hasBearer(req);
        // RFC 6750 §3: say which scheme is expected, and why a presented token was refused.
        res.setHeader(HttpHeaders.WWW_AUTHENTICATE, bearer ? "Bearer error=\"invalid_token\"" : "Bearer");
        write(res, 401, bearer ? "invalid-token" : "unauthorized", "Authentication required",
                bearer ? "The API token is unknown or was deleted"
                        : "Send an API token (Authorization: Bearer <token>) or log in");
    }

    @Override
    public void handle(HttpServletRequest req, HttpServletResponse res, AccessDeniedException e) throws IOException {
        if (e instanceof CsrfException && !loggedIn()) {
            // CSRF is checked before authentication; a write without any credentials is a 401, not a CSRF error.
            commence(req, res, new InsufficientAuthenticationException("no credentials"));
        } else if (e instanceof CsrfException) {
            write(res, 403, "csrf", "CSRF token missing or wrong",
                    "A browser session must send the XSRF-TOKEN cookie's value in the X-XSRF-TOKEN header");
        } else if (SecurityConfig.SESSION_ONLY.matches(req)) {
            write(res, 403, "session-required", "Only for the logged-in admin",
                    "API tokens cannot do this: log in and use the browser session (the Account page)");
        } else {
            res.setHeader(HttpHeaders.WWW_AUTHENTICATE, "Bearer error=\"insufficient_scope\", scope=\"write\"");
            write(res, 403, "insufficient-scope", "Not allowed",
                    "This needs a token with the write scope (a read token can only GET)");
        }
    }

    private static boolean loggedIn() {
        Authentication a = SecurityContextHolder.getContext().getAuthentication();
        return a != null && a.isAuthenticated() && !(a instanceof AnonymousAuthenticationToken);
    }

    private void write(HttpServletResponse res, int status, String type, String title, String detail)
            throws IOException {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("type", SecurityProblems.TYPES + type);
        p.put("title", title);
        p.put("status", status);
        p.put("detail", detail);
        res.setStatus(status);
        res.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        res.getOutputStream().write(json.writeValueAsBytes(p));
    }
}
