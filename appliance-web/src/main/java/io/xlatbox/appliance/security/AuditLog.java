package io.xlatbox.appliance.security;

import io.xlatbox.appliance.config.ConfigService;
import jakarta.servlet.http.HttpServletRequest;
import java.time.OffsetDateTime;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.event.EventListener;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.security.authentication.event.LogoutSuccessEvent;
import org.springframework.stereotype.Service;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;

/**
 * The audit log (table AUDIT_LOG): every applied configuration change, login, lockout, logout, setup, password
 * change (and wrong current password), token creation and deletion, and restore of accounts and tokens. Entries
 * are never changed; the oldest go once there are more than {@value #KEEP}.
 */
@Service
public class AuditLog {
    private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);
    static final int KEEP = 100_000;

    /** Actions, as stored in the ACTION column. */
    public static final String CONFIG_CHANGE = "config.change";
    public static final String LOGIN_SUCCESS = "login.success";
    public static final String LOGIN_FAILURE = "login.failure";
    public static final String LOCKOUT = "login.lockout";
    public static final String LOGOUT = "logout";
    public static final String SETUP = "setup";
    public static final String SETUP_FAILURE = "setup.failure";
    public static final String PASSWORD_CHANGE = "account.password";
    public static final String PASSWORD_FAILURE = "account.password.failure";
    public static final String TOKEN_CREATE = "token.create";
    public static final String TOKEN_DELETE = "token.delete";
    public static final String RESTORE = "security.restore";

    private final JdbcClient jdbc;

    public AuditLog(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    public record Entry(long id, OffsetDateTime at, String actor, String action, String detail, String remote) {
    }

    /** A page of entries, newest first; {@code next} is the {@code before} of the following (older) page. */
    public record Page(List<Entry> entries, Long next) {
    }

    /** Records an entry; the client address is taken from the current request, if there is one. */
    public void record(String actor, String action, String detail) {
        record(actor, action, detail, currentRemote());
    }

    public void record(String actor, String action, String detail, String remote) {
        try {
            jdbc.sql("INSERT INTO AUDIT_LOG (AT, ACTOR, ACTION, DETAIL, REMOTE) VALUES (?, ?, ?, ?, ?)")
                    .params(OffsetDateTime.now(), cut(actor == null || actor.isBlank() ? "anonymous" : actor, 200),
                            action, cut(detail == null ? "" : detail, 4000), remote == null ? null : cut(remote, 64))
                    .update();
        } catch (RuntimeException e) {
            // The audit log must not turn a login or a saved change into an error; it must not go unnoticed either.
            LOG.error("could not write the audit log entry {} {} {}: {}", actor, action, detail, e.toString());
        }
    }

    /** Entries older than {@code before} (an entry id), newest first. */
    public Page page(long before, int limit) {
        int n = Math.max(1, Math.min(limit, 500));
        List<Entry> entries = jdbc.sql("SELECT ID, AT, ACTOR, ACTION, DETAIL, REMOTE FROM AUDIT_LOG WHERE ID < ? "
                        + "ORDER BY ID DESC LIMIT ?")
                .params(before, n + 1)
                .query((rs, i) -> new Entry(rs.getLong(1), rs.getObject(2, OffsetDateTime.class), rs.getString(3),
                        rs.getString(4), rs.getString(5), rs.getString(6)))
                .list();
        if (entries.size() > n) {
            entries = entries.subList(0, n);
            return new Page(List.copyOf(entries), entries.get(n - 1).id());
        }
        return new Page(entries, null);
    }

    /** Every applied configuration change (published by ConfigService after its commit). */
    @EventListener
    public void configChanged(ConfigService.ChangeApplied e) {
        record(e.author(), CONFIG_CHANGE, "version " + e.version() + ": " + e.summary());
    }

    /** Spring Security publishes this from its LogoutFilter. */
    @EventListener
    public void loggedOut(LogoutSuccessEvent e) {
        record(e.getAuthentication().getName(), LOGOUT, "");
    }

    @Scheduled(fixedDelayString = "PT1H", initialDelayString = "PT5M")
    public void prune() {
        int n = jdbc.sql("DELETE FROM AUDIT_LOG WHERE ID <= (SELECT MAX(ID) FROM AUDIT_LOG) - ?").param(KEEP)
                .update();
        if (n > 0) {
            LOG.info("audit log: removed the {} oldest entries", n);
        }
    }

    static String currentRemote() {
        if (RequestContextHolder.getRequestAttributes() instanceof ServletRequestAttributes a) {
            HttpServletRequest req = a.getRequest();
            return req.getRemoteAddr();
        }
        return null;
    }

    private static String cut(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 3) + "...";
    }
}
