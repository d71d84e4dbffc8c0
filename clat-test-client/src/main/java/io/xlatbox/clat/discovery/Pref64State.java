package io.xlatbox.clat.discovery;

import io.xlatbox.engine.addr.Rfc6052Prefix;
import java.net.InetAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The NAT64 prefixes learned from PREF64 options, each until its lifetime runs out (RFC 8781 §5): a lifetime of 0
 * withdraws a prefix at once, a later advertisement extends it. The CLAT uses one of them, and keeps the one it uses
 * for as long as it is valid (so that two routers advertising different prefixes do not make it flip on every
 * advertisement); when that one goes, it takes the most recently advertised of the others. No clock of its own:
 * callers pass the time.
 */
public final class Pref64State {
    /** One learned prefix. */
    public record Entry(Rfc6052Prefix prefix, InetAddress router, String device, long lifetimeSeconds,
                        Instant received, Instant expires) {
    }

    private final Map<Rfc6052Prefix, Entry> entries = new LinkedHashMap<>();
    private Rfc6052Prefix inUse;

    /** Applies an advertisement; returns true when the prefix in use changed. */
    public synchronized boolean update(RouterAdvertisement ra, String device, Instant now) {
        Rfc6052Prefix before = current(now);
        for (Pref64Option o : ra.pref64()) {
            if (o.lifetimeSeconds() == 0) {
                entries.remove(o.prefix());
            } else {
                entries.remove(o.prefix()); // re-insert: most recent last
                entries.put(o.prefix(), new Entry(o.prefix(), ra.source(), device, o.lifetimeSeconds(), now,
                        now.plusSeconds(o.lifetimeSeconds())));
            }
        }
        return !Objects.equals(before, current(now));
    }

    /** Drops expired prefixes; returns true when the prefix in use changed. */
    public synchronized boolean expire(Instant now) {
        Rfc6052Prefix before = inUse;
        return !Objects.equals(before, current(now));
    }

    /** The prefix the CLAT should use now, or null when no valid PREF64 is known. */
    public synchronized PlatPrefix effective(Instant now) {
        Rfc6052Prefix p = current(now);
        if (p == null) {
            return null;
        }
        Entry e = entries.get(p);
        String router = e.router() == null ? "?" : io.xlatbox.clat.net.Endpoints.text(e.router());
        int pct = router.indexOf('%');
        if (pct >= 0) {
            router = router.substring(0, pct);
        }
        return new PlatPrefix(p, PlatPrefix.Source.PREF64, "RA from " + router + (e.device() != null ? " on "
                + e.device() : "") + ", lifetime " + e.lifetimeSeconds() + " s", e.expires());
    }

    public synchronized List<Entry> entries(Instant now) {
        prune(now);
        return new ArrayList<>(entries.values());
    }

    private Rfc6052Prefix current(Instant now) {
        prune(now);
        if (inUse != null && entries.containsKey(inUse)) {
            return inUse;
        }
        inUse = null;
        for (Rfc6052Prefix p : entries.keySet()) {
            inUse = p; // the last one: the most recently advertised
        }
        return inUse;
    }

    private void prune(Instant now) {
        entries.values().removeIf(e -> !e.expires().isAfter(now));
    }
}
