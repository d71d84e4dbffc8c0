package io.xlatbox.appliance.security;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Login throttling ({@code xlatbox.security.login.*}). HTTPS is switched by {@code xlatbox.tls.enabled}, read by
 * {@link TlsEnvironmentPostProcessor} before the context exists.
 *
 * @param login how failed logins and wrong setup codes are counted
 */
@ConfigurationProperties("xlatbox.security")
public record SecurityProperties(@DefaultValue Login login) {

    /**
     * @param maxFailures           consecutive failed logins that lock an account
     * @param maxFailuresPerAddress failed logins and wrong setup codes that block a client address (an IPv6 /64)
     * @param lockout               how long a lock lasts, and how long a failure is remembered
     * @param tracked               how many accounts and addresses are tracked at most (least recently used go)
     */
    public record Login(@DefaultValue("5") int maxFailures, @DefaultValue("10") int maxFailuresPerAddress,
                        @DefaultValue("15m") Duration lockout, @DefaultValue("10000") int tracked) {
    }
}
