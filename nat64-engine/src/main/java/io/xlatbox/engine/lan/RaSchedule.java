package io.xlatbox.engine.lan;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * When to send what (RFC 4861 §6.2.4 and §6.2.6), as plain arithmetic on a nanosecond clock so that tests can
 * drive it. Not thread-safe: the advertiser's thread owns it.
 * <ul>
 * <li>Unsolicited multicast advertisements at a random interval, uniformly distributed between MinRtrAdvInterval and
 *     MaxRtrAdvInterval, reset whenever a multicast advertisement goes out; the first
 *     {@value #MAX_INITIAL_RTR_ADVERTISEMENTS} at most {@link #MAX_INITIAL_RTR_ADVERT_INTERVAL} apart. A new
 *     configuration starts that over, with an advertisement at once.</li>
 * <li>A solicitation from a link-local address is answered by unicast to it after a random delay of up to
 *     {@link #MAX_RA_DELAY_TIME} (§6.2.6 allows unicast; RFC 7772 prefers it). From the unspecified address, or
 *     when too many answers are pending, the answer is a multicast advertisement after that delay, and no sooner
 *     than {@link #MIN_DELAY_BETWEEN_RAS} after the previous multicast one. A solicitation from a global address is
 *     also answered by multicast: an advertisement must come from the link-local address, which a unicast reply to a
 *     global address would not.</li>
 * <li>A multicast advertisement answers every solicitation still waiting.</li>
 * </ul>
 */
final class RaSchedule {
    static final long SECOND = 1_000_000_000L;
    /** RFC 4861 §10 constants. */
    static final long MAX_INITIAL_RTR_ADVERT_INTERVAL = 16 * SECOND;
    static final int MAX_INITIAL_RTR_ADVERTISEMENTS = 3;
    static final long MAX_RA_DELAY_TIME = SECOND / 2;
    static final long MIN_DELAY_BETWEEN_RAS = 3 * SECOND;
    /** Unicast answers waiting at most; beyond that one multicast answers them all. */
    static final int MAX_PENDING_UNICAST = 64;

    /** A unicast destination. */
    record Destination(long hi, long lo) {
    }

    private final RandomGenerator random;
    private long minInterval;
    private long maxInterval;
    private long nextMulticast;
    private long lastMulticast;
    private boolean anyMulticast;
    private int initialSent;
    private int failures;
    private final Map<Destination, Long> unicast = new LinkedHashMap<>();

    RaSchedule(RandomGenerator random, RaConfig config, long now) {
        this.random = random;
        configure(config);
        nextMulticast = now;
    }

    /** New intervals, and the initial advertisements over again starting now (§6.2.4, "advertised information changes"). */
    void reconfigure(RaConfig config, long now) {
        configure(config);
        initialSent = 0;
        nextMulticast = now;
    }

    private void configure(RaConfig config) {
        minInterval = config.minRtrAdvInterval() * SECOND;
        maxInterval = config.maxRtrAdvInterval() * SECOND;
    }

    boolean multicastDue(long now) {
        return now - nextMulticast >= 0;
    }

    /** A multicast advertisement went out: the timer starts over, and no unicast answer is needed any more. */
    void multicastSent(long now) {
        lastMulticast = now;
        anyMulticast = true;
        failures = 0;
        unicast.clear();
        long interval = minInterval + (long) (random.nextDouble() * (maxInterval - minInterval));
        if (initialSent < MAX_INITIAL_RTR_ADVERTISEMENTS) {
            initialSent++;
            interval = Math.min(interval, MAX_INITIAL_RTR_ADVERT_INTERVAL);
        }
        nextMulticast = now + interval;
    }

    /** Sending failed (interface down, no link-local address yet): try again after 1, 2, 4, 8, 16 s at most. */
    void multicastFailed(long now) {
        long backoff = SECOND << Math.min(failures, 4);
        failures++;
        nextMulticast = now + Math.min(backoff, maxInterval);
    }

    /** A valid solicitation from {@code hi:lo} arrived. */
    void solicited(long now, long hi, long lo) {
        long delay = (long) (random.nextDouble() * MAX_RA_DELAY_TIME);
        boolean linkLocal = (hi >>> 54) == 0x3FA; // fe80::/10
        if (linkLocal && unicast.size() < MAX_PENDING_UNICAST) {
            unicast.putIfAbsent(new Destination(hi, lo), now + delay);
            return;
        }
        long due = anyMulticast && now - lastMulticast < MIN_DELAY_BETWEEN_RAS
                ? lastMulticast + MIN_DELAY_BETWEEN_RAS + delay : now + delay;
        if (due - nextMulticast < 0) {
            nextMulticast = due;
        }
    }

    /** The next unicast answer due at {@code now}, removed from the schedule; null when none is. */
    Destination takeDueUnicast(long now) {
        Iterator<Map.Entry<Destination, Long>> it = unicast.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<Destination, Long> e = it.next();
            if (now - e.getValue() >= 0) {
                it.remove();
                return e.getKey();
            }
        }
        return null;
    }

    /** When something is next due. */
    long nextDeadline() {
        long next = nextMulticast;
        for (long t : unicast.values()) {
            if (t - next < 0) {
                next = t;
            }
        }
        return next;
    }

    int pendingUnicast() {
        return unicast.size();
    }
}
