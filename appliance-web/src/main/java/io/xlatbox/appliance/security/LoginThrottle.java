package io.xlatbox.appliance.security;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * Counts failed logins per account and failed attempts (logins and setup codes) per client address, and locks
 * either for a while when there are too many. In memory only: a reboot forgets every lock, which is also the way
 * out when someone keeps the admin locked out. Bounded: an access-ordered {@link LinkedHashMap} drops the least
 * recently used counters beyond {@code tracked}, so a flood of addresses cannot exhaust memory.
 */
@Component
public class LoginThrottle {
    private final SecurityProperties.Login limits;
    private final Clock clock;
    private final Map<String, Counter> counters;

    @Autowired
    public LoginThrottle(SecurityProperties props) {
        this(props.login(), Clock.systemUTC());
    }

    LoginThrottle(SecurityProperties.Login limits, Clock clock) {
        this.limits = limits;
        this.clock = clock;
        this.counters = new LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Counter> eldest) {
                return size() > limits.tracked();
            }
        };
    }

    private static final class Counter {
        int failures;
        Instant lastFailure;
        Instant lockedUntil;
    }

    /**
     * A login attempt: refused for {@code refusedFor} (non-zero) while the account or address is locked; else what
     * its failure means: the attempts the account has left, and whether it locked the account or the address.
     */
    public record Attempt(Duration refusedFor, int attemptsLeft, boolean accountLockedNow, boolean addressLockedNow) {
        public boolean refused() {
            return !refusedFor.isZero();
        }
    }

    public Duration lockout() {
        return limits.lockout();
    }

    public int maxFailures() {
        return limits.maxFailures();
    }

    /** How long this account or this address must still wait; empty when it may try now. */
    public synchronized Optional<Duration> lockedFor(String username, String address) {
        Instant now = clock.instant();
        Duration a = username == null ? Duration.ZERO : remaining(accountKey(username), now);
        Duration b = address == null ? Duration.ZERO : remaining(addressKey(address), now);
        Duration d = a.compareTo(b) >= 0 ? a : b;
        return d.isZero() ? Optional.empty() : Optional.of(d);
    }

    /**
     * Starts a login attempt: refused while locked, else counted as a failure at once (until {@link #succeeded}),
     * so that guesses sent in parallel cannot all pass the check before the first failure is counted.
     */
    public synchronized Attempt attempt(String username, String address) {
        Optional<Duration> wait = lockedFor(username, address);
        if (wait.isPresent()) {
            return new Attempt(wait.get(), 0, false, false);
        }
        Instant now = clock.instant();
        boolean addressLocked = address != null
                && count(addressKey(address), limits.maxFailuresPerAddress(), now).failures
                == limits.maxFailuresPerAddress();
        Counter c = count(accountKey(username), limits.maxFailures(), now);
        return new Attempt(Duration.ZERO, Math.max(0, limits.maxFailures() - c.failures),
                c.failures == limits.maxFailures(), addressLocked);
    }

    /** A wrong setup code: counts against the address only (there is no account yet). */
    public synchronized boolean addressFailed(String address) {
        Counter c = count(addressKey(address), limits.maxFailuresPerAddress(), clock.instant());
        return c.failures == limits.maxFailuresPerAddress();
    }

    /** A successful login clears the account's and the address's counters (and the lock its attempt set). */
    public synchronized void succeeded(String username, String address) {
        counters.remove(accountKey(username));
        if (address != null) {
            counters.remove(addressKey(address));
        }
    }

    private Counter count(String key, int max, Instant now) {
        Counter c = counters.get(key);
        if (c == null || expired(c, now)) {
            c = new Counter();
            counters.put(key, c);
        }
        c.failures++;
        c.lastFailure = now;
        if (c.failures >= max && c.lockedUntil == null) {
            c.lockedUntil = now.plus(limits.lockout());
        }
        return c;
    }

    private Duration remaining(String key, Instant now) {
        Counter c = counters.get(key);
        if (c == null || c.lockedUntil == null) {
            return Duration.ZERO;
        }
        if (!now.isBefore(c.lockedUntil)) {
            counters.remove(key); // the lock is over: start afresh
            return Duration.ZERO;
        }
        return Duration.between(now, c.lockedUntil);
    }

    /** A lock that has ended, or failures older than the lockout period, are forgotten. */
    private boolean expired(Counter c, Instant now) {
        if (c.lockedUntil != null) {
            return !now.isBefore(c.lockedUntil);
        }
        return c.lastFailure.plus(limits.lockout()).isBefore(now);
    }

    private static String accountKey(String username) {
        return "account:" + (username == null ? "" : username.toLowerCase(Locale.ROOT));
    }

    /** IPv6 clients are counted per /64: one host can use a whole /64, so counting per address would not limit. */
    static String addressKey(String address) {
        try {
            InetAddress a = InetAddress.getByName(address); // a literal from getRemoteAddr(): no DNS lookup
            if (a instanceof Inet6Address) {
                byte[] b = a.getAddress();
                for (int i = 8; i < 16; i++) {
                    b[i] = 0;
                }
                return "address:" + InetAddress.getByAddress(b).getHostAddress() + "/64";
            }
            return "address:" + a.getHostAddress();
        } catch (UnknownHostException e) {
            return "address:" + address;
        }
    }

    /** "14 minutes", "1 minute", rounded up so that "0 minutes" is never said. */
    static String minutes(Duration d) {
        long m = Math.max(1, (d.toSeconds() + 59) / 60);
        return m + (m == 1 ? " minute" : " minutes");
    }
}
