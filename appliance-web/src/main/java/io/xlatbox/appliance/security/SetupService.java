package io.xlatbox.appliance.security;

import io.xlatbox.appliance.config.FieldError;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.core.env.Environment;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;

/**
 * First boot, without a default password: while there is no account, each start makes a new one-time setup code
 * (three groups of four base32 characters, 60 random bits), prints it on the console and in the log, and keeps
 * only its SHA-256 in memory. Only whoever can read the console can create the admin account, so nobody on the LAN
 * can claim the box first. Wrong codes count against the client address in {@link LoginThrottle}.
 */
@Service
public class SetupService {
    private static final Logger LOG = LoggerFactory.getLogger(SetupService.class);
    private static final char[] BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".toCharArray(); // RFC 4648

    private final AccountService accounts;
    private final LoginThrottle throttle;
    private final AuditLog audit;
    private final Environment env;
    private volatile boolean required;
    private volatile byte[] codeHash;
    private String toAnnounce;

    public SetupService(AccountService accounts, LoginThrottle throttle, AuditLog audit, Environment env) {
        this.accounts = accounts;
        this.throttle = throttle;
        this.audit = audit;
        this.env = env;
        this.required = !accounts.any();
        if (required) {
            String code = newCode(new SecureRandom());
            this.codeHash = sha256(normalize(code));
            this.toAnnounce = code;
        }
    }

    /** True until the admin account exists. */
    public boolean required() {
        return required;
    }

    /** Once the server listens: the certificate's fingerprint, and the setup code while setup is needed. */
    @EventListener(ApplicationReadyEvent.class)
    public void announce() {
        String fingerprint = env.getProperty(TlsEnvironmentPostProcessor.FINGERPRINT_PROPERTY);
        boolean tls = fingerprint != null;
        if (tls) {
            LOG.info("HTTPS certificate SHA-256 fingerprint: {}", fingerprint);
        }
        String code;
        synchronized (this) {
            code = toAnnounce;
            toAnnounce = null;
        }
        if (code == null) {
            return;
        }
        String url = (tls ? "https" : "http") + "://" + SelfSignedCertificate.hostname() + ":"
                + env.getProperty("local.server.port", env.getProperty("server.port", "8443")) + "/setup";
        String line = "Setup code: " + code + " — open " + url
                + (tls ? " (certificate SHA-256 " + fingerprint + ")" : "");
        // On the console for whoever sits at the box, and in the log (journal) for whoever reads it remotely.
        System.out.println("\n==== xlatbox first-boot setup ====\n" + line + "\n==================================\n");
        LOG.warn(line);
    }

    /**
     * Creates the admin account, if the code is right and setup is still needed.
     *
     * @throws SecurityProblem 409 when done already, 429 when the address is blocked, 422 for a bad username or
     *                         password, 403 for a wrong code
     */
    public synchronized void complete(String code, String username, String password, String remote) {
        if (!required) {
            throw new SecurityProblem(HttpStatus.CONFLICT, "setup-done", "The appliance is set up already",
                    "The admin account exists; log in with it", List.of(), null);
        }
        var wait = throttle.lockedFor(null, remote);
        if (wait.isPresent()) {
            throw SecurityProblem.tooManyAttempts(wait.get());
        }
        List<FieldError> errors = AccountService.check(username, password);
        if (!errors.isEmpty()) {
            throw SecurityProblem.invalid("The admin account is not valid", errors);
        }
        if (code == null || !MessageDigest.isEqual(codeHash, sha256(normalize(code)))) {
            boolean blocked = throttle.addressFailed(remote);
            audit.record("setup", AuditLog.SETUP_FAILURE, "wrong setup code", remote);
            if (blocked) {
                audit.record("setup", AuditLog.LOCKOUT, "address " + remote + " blocked for "
                        + LoginThrottle.minutes(throttle.lockout()) + " after repeated wrong setup codes", remote);
            }
            throw new SecurityProblem(HttpStatus.FORBIDDEN, "setup-code-wrong", "Wrong setup code",
                    "The setup code is wrong. The appliance prints it on its console and in its log at each start.",
                    List.of(new FieldError("setupCode", "wrong code")), null);
        }
        accounts.create(username, password);
        required = false;
        codeHash = null;
        audit.record(username, AuditLog.SETUP, "admin account '" + username + "' created", remote);
        LOG.info("setup done: admin account '{}' created", username);
    }

    static String newCode(SecureRandom random) {
        StringBuilder b = new StringBuilder(14);
        for (int i = 0; i < 12; i++) {
            if (i > 0 && i % 4 == 0) {
                b.append('-');
            }
            b.append(BASE32[random.nextInt(32)]);
        }
        return b.toString();
    }

    /** People type codes in lower case and with or without the dashes and spaces. */
    static String normalize(String code) {
        return code.replaceAll("[\\s-]", "").toUpperCase(Locale.ROOT);
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
