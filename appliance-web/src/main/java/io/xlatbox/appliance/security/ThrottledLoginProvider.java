package io.xlatbox.appliance.security;

import java.nio.charset.StandardCharsets;
import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.LockedException;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.web.authentication.WebAuthenticationDetails;

/**
 * Form login: Spring's {@code DaoAuthenticationProvider} checks the password; around it, this refuses accounts
 * and addresses that are locked (without checking the password), counts failures ({@link LoginThrottle}), and
 * writes the audit log. Its exceptions' messages are what the login page shows.
 */
final class ThrottledLoginProvider implements AuthenticationProvider {
    private final AuthenticationProvider passwords;
    private final LoginThrottle throttle;
    private final AuditLog audit;

    ThrottledLoginProvider(AuthenticationProvider passwords, LoginThrottle throttle, AuditLog audit) {
        this.passwords = passwords;
        this.throttle = throttle;
        this.audit = audit;
    }

    @Override
    public Authentication authenticate(Authentication login) {
        String username = login.getName();
        String address = login.getDetails() instanceof WebAuthenticationDetails d ? d.getRemoteAddress() : null;
        LoginThrottle.Attempt f = throttle.attempt(username, address); // counted as failed until it succeeds
        if (f.refused()) {
            throw new LockedException("Too many failed logins. Try again in " + LoginThrottle.minutes(f.refusedFor())
                    + ".");
        }
        try {
            if (String.valueOf(login.getCredentials()).getBytes(StandardCharsets.UTF_8).length
                    > AccountService.MAX_PASSWORD_BYTES) {
                throw new BadCredentialsException("too long"); // bcrypt would throw; no password is this long
            }
            Authentication ok = passwords.authenticate(login);
            throttle.succeeded(username, address);
            audit.record(ok.getName(), AuditLog.LOGIN_SUCCESS, "", address);
            return ok;
        } catch (BadCredentialsException e) {
            audit.record(username, AuditLog.LOGIN_FAILURE, "wrong username or password", address);
            if (f.addressLockedNow()) {
                audit.record(username, AuditLog.LOCKOUT, "address " + address + " blocked for "
                        + LoginThrottle.minutes(throttle.lockout()) + " after repeated failures", address);
            }
            if (f.accountLockedNow()) {
                audit.record(username, AuditLog.LOCKOUT, "account locked for "
                        + LoginThrottle.minutes(throttle.lockout()) + " after " + throttle.maxFailures()
                        + " failed logins", address);
            }
            if (f.accountLockedNow() || f.addressLockedNow()) {
                throw new LockedException("Wrong username or password. Too many failed logins: locked for "
                        + LoginThrottle.minutes(throttle.lockout()) + ".");
            }
            throw new BadCredentialsException("Wrong username or password. " + f.attemptsLeft()
                    + (f.attemptsLeft() == 1 ? " attempt" : " attempts") + " left before the account is locked for "
                    + LoginThrottle.minutes(throttle.lockout()) + ".");
        }
    }

    @Override
    public boolean supports(Class<?> authentication) {
        return UsernamePasswordAuthenticationToken.class.isAssignableFrom(authentication);
    }
}
