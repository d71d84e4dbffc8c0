package io.xlatbox.appliance.security;

import io.xlatbox.appliance.config.FieldError;
import jakarta.servlet.http.HttpSession;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.security.core.session.SessionInformation;
import org.springframework.security.core.session.SessionRegistry;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetails;
import org.springframework.security.core.userdetails.UserDetailsPasswordService;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.core.userdetails.UsernameNotFoundException;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.stereotype.Service;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;

/**
 * The admin account (table ACCOUNT) as Spring Security sees it. Passwords are stored only as adaptive hashes
 * ({@code {bcrypt}$2a$12$...}); {@link UserDetailsPasswordService} lets Spring re-hash an older, weaker hash at the
 * next successful login. The admin changes their own password with {@link #changePassword}.
 */
@Service
public class AccountService implements UserDetailsService, UserDetailsPasswordService {
    static final Pattern USERNAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    static final int MIN_PASSWORD = 12;
    /** bcrypt reads 72 bytes and no more; Spring refuses longer passwords rather than ignore the rest. */
    static final int MAX_PASSWORD_BYTES = 72;
    static final String[] AUTHORITIES = {"ROLE_ADMIN", SecurityConfig.READ, SecurityConfig.WRITE};

    private final JdbcClient jdbc;
    private final PasswordEncoder encoder;
    private final LoginThrottle throttle;
    private final AuditLog audit;
    private final SessionRegistry sessions;

    public AccountService(JdbcClient jdbc, PasswordEncoder encoder, LoginThrottle throttle, AuditLog audit,
                          SessionRegistry sessions) {
        this.jdbc = jdbc;
        this.encoder = encoder;
        this.throttle = throttle;
        this.audit = audit;
        this.sessions = sessions;
    }

    public record Account(String username, String passwordHash) {
    }

    @Override
    public UserDetails loadUserByUsername(String username) {
        return jdbc.sql("SELECT USERNAME, PASSWORDHASH FROM ACCOUNT WHERE USERNAME = ?").param(username)
                .query((rs, i) -> User.withUsername(rs.getString(1)).password(rs.getString(2))
                        .authorities(AUTHORITIES).build())
                .optional()
                .orElseThrow(() -> new UsernameNotFoundException("no such account"));
    }

    @Override
    public UserDetails updatePassword(UserDetails user, String newPasswordHash) {
        jdbc.sql("UPDATE ACCOUNT SET PASSWORDHASH = ? WHERE USERNAME = ?").params(newPasswordHash, user.getUsername())
                .update();
        return User.withUserDetails(user).password(newPasswordHash).build();
    }

    public boolean any() {
        return jdbc.sql("SELECT COUNT(*) FROM ACCOUNT").query(Integer.class).single() > 0;
    }

    /** Creates an account; the caller has checked {@link #check}. */
    public void create(String username, String password) {
        jdbc.sql("INSERT INTO ACCOUNT (USERNAME, PASSWORDHASH, CREATEDAT) VALUES (?, ?, ?)")
                .params(username, encoder.encode(password), OffsetDateTime.now())
                .update();
    }

    /** The password policy: 12 characters at least, 72 bytes at most (bcrypt), not the username. */
    public static List<FieldError> check(String username, String password) {
        List<FieldError> errors = new ArrayList<>();
        if (username == null || !USERNAME.matcher(username).matches()) {
            errors.add(new FieldError("username", "1 to 64 letters, digits, '.', '_' or '-', starting with a letter "
                    + "or digit"));
        }
        if (password == null || password.codePointCount(0, password.length()) < MIN_PASSWORD) {
            errors.add(new FieldError("password", "at least " + MIN_PASSWORD + " characters"));
        } else if (password.getBytes(StandardCharsets.UTF_8).length > MAX_PASSWORD_BYTES) {
            errors.add(new FieldError("password", "at most " + MAX_PASSWORD_BYTES + " bytes (UTF-8)"));
        } else if (password.equalsIgnoreCase(username)) {
            errors.add(new FieldError("password", "must not be the username"));
        }
        return errors;
    }

    /**
     * Changes the password of the logged-in account, which must prove it knows the current one. A wrong current
     * password counts as a failed login ({@link LoginThrottle}), so a stolen session cannot be used to guess it;
     * while the account or the client address is locked nothing is checked. On success every other session of the
     * account is expired (the caller's stays). The client address is the current request's.
     *
     * @throws SecurityProblem 429 while locked, 422 for a wrong current or a bad new password (fields
     *                         {@code currentPassword}, {@code newPassword}), 409 if it changed meanwhile
     */
    public void changePassword(String username, String currentPassword, String newPassword) {
        String remote = AuditLog.currentRemote();
        LoginThrottle.Attempt attempt = throttle.attempt(username, remote); // counted as failed until it matches
        if (attempt.refused()) {
            Duration wait = attempt.refusedFor();
            throw new SecurityProblem(HttpStatus.TOO_MANY_REQUESTS, "too-many-attempts", "Too many failed attempts",
                    "Too many failed logins or password checks for this account or from your address. Try again in "
                            + LoginThrottle.minutes(wait) + ".", List.of(), wait);
        }
        String hash = jdbc.sql("SELECT PASSWORDHASH FROM ACCOUNT WHERE USERNAME = ?").param(username)
                .query(String.class).optional().orElse(null);
        if (hash == null || !matches(currentPassword, hash)) {
            throw wrongCurrent(username, remote, attempt, newErrors(username, newPassword));
        }
        throttle.succeeded(username, remote);
        List<FieldError> errors = newErrors(username, newPassword);
        if (errors.isEmpty() && newPassword.equals(currentPassword)) {
            errors.add(new FieldError("newPassword", "must differ from the current password"));
        }
        if (!errors.isEmpty()) {
            throw SecurityProblem.invalid("The new password is not valid", errors);
        }
        // Only over the hash just verified: two changes at once must not both pass with the same old password.
        if (jdbc.sql("UPDATE ACCOUNT SET PASSWORDHASH = ? WHERE USERNAME = ? AND PASSWORDHASH = ?")
                .params(encoder.encode(newPassword), username, hash).update() == 0) {
            throw new SecurityProblem(HttpStatus.CONFLICT, "password-changed", "The password changed meanwhile",
                    "The password was changed by another request; log in again with the new one", List.of(), null);
        }
        int expired = expireOtherSessions(username);
        audit.record(username, AuditLog.PASSWORD_CHANGE, "password changed" + (expired == 0 ? ""
                : "; " + expired + " other session(s) logged out"), remote);
    }

    private boolean matches(String password, String hash) {
        // bcrypt refuses more than 72 bytes; no stored password is longer.
        return password != null && !password.isEmpty()
                && password.getBytes(StandardCharsets.UTF_8).length <= MAX_PASSWORD_BYTES
                && encoder.matches(password, hash);
    }

    /** The policy's verdict on the new password, named as the change request names it. */
    private static List<FieldError> newErrors(String username, String newPassword) {
        List<FieldError> errors = new ArrayList<>();
        for (FieldError e : check(username, newPassword)) {
            if (e.field().equals("password")) {
                errors.add(new FieldError("newPassword", e.message()));
            }
        }
        return errors;
    }

    private SecurityProblem wrongCurrent(String username, String remote, LoginThrottle.Attempt f,
                                         List<FieldError> newErrors) {
        audit.record(username, AuditLog.PASSWORD_FAILURE, "wrong current password", remote);
        String lockout = LoginThrottle.minutes(throttle.lockout());
        if (f.addressLockedNow()) {
            audit.record(username, AuditLog.LOCKOUT, "address " + remote + " blocked for " + lockout
                    + " after repeated failures", remote);
        }
        if (f.accountLockedNow()) {
            audit.record(username, AuditLog.LOCKOUT, "account locked for " + lockout + " after "
                    + throttle.maxFailures() + " failed logins or password checks", remote);
        }
        String message = f.accountLockedNow() || f.addressLockedNow()
                ? "wrong password; too many failures: locked for " + lockout
                : "wrong password; " + f.attemptsLeft() + (f.attemptsLeft() == 1 ? " attempt" : " attempts")
                        + " left before the account is locked for " + lockout;
        List<FieldError> errors = new ArrayList<>();
        errors.add(new FieldError("currentPassword", message));
        errors.addAll(newErrors);
        return SecurityProblem.invalid("The password was not changed", errors);
    }

    /** Expires the account's other sessions; the ConcurrentSessionFilter logs each out at its next request. */
    private int expireOtherSessions(String username) {
        HttpSession session = RequestContextHolder.getRequestAttributes() instanceof ServletRequestAttributes a
                ? a.getRequest().getSession(false) : null;
        String current = session == null ? null : session.getId();
        int n = 0;
        for (Object principal : sessions.getAllPrincipals()) {
            if (principal instanceof UserDetails u && u.getUsername().equals(username)) {
                for (SessionInformation info : sessions.getAllSessions(principal, false)) {
                    if (!info.getSessionId().equals(current)) {
                        info.expireNow();
                        n++;
                    }
                }
            }
        }
        return n;
    }

    public List<Account> all() {
        return jdbc.sql("SELECT USERNAME, PASSWORDHASH FROM ACCOUNT ORDER BY USERNAME")
                .query((rs, i) -> new Account(rs.getString(1), rs.getString(2))).list();
    }

    /** Replaces every account with these (restore); runs inside the caller's transaction. */
    void replaceAll(List<Account> accounts) {
        jdbc.sql("DELETE FROM ACCOUNT").update();
        for (Account a : accounts) {
            jdbc.sql("INSERT INTO ACCOUNT (USERNAME, PASSWORDHASH, CREATEDAT) VALUES (?, ?, ?)")
                    .params(a.username(), a.passwordHash(), OffsetDateTime.now())
                    .update();
        }
    }
}
