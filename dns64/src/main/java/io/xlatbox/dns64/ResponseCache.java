package io.xlatbox.dns64;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The cache of final responses (synthesized or passed through), keyed by {@link CacheKey}.
 *
 * <p>A hit takes no lock and writes nothing but a "referenced" bit: each segment is an open-addressing table
 * (linear probing) of {@link WireAnswer}s that carry their key in front of their wire bytes, read with acquire
 * semantics. Writers take the segment's lock, insert, and evict with the CLOCK algorithm (an approximation of
 * LRU: the hand passes over referenced entries once, clearing the bit, and evicts the first unreferenced or
 * expired one), removing with backward shifting so that no tombstones accumulate. A reader racing a writer can
 * miss an entry that is being moved; it then simply asks the upstream. Each segment holds at most its share of the
 * entry and byte limits. Entries expire when their first TTL runs out (RFC 1035 §3.2.1, RFC 2308 §5) and are never
 * served after that.
 */
final class ResponseCache {
    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(WireAnswer[].class);
    /** Per-entry overhead beyond the key and wire bytes: objects, arrays, the table slot. */
    private static final int OVERHEAD = 160;
    private static final int MIN_TABLE = 16;

    private static final class Segment {
        final int maxEntries;
        final long maxBytes;
        volatile WireAnswer[] table = new WireAnswer[MIN_TABLE];
        int count;
        long bytes;
        int hand;

        Segment(int maxEntries, long maxBytes) {
            this.maxEntries = maxEntries;
            this.maxBytes = maxBytes;
        }
    }

    private final Segment[] segments;
    private final int shift;
    final int maxEntries;
    final long maxBytes;

    ResponseCache(int maxEntries, long maxBytes) {
        this.maxEntries = maxEntries;
        this.maxBytes = maxBytes;
        int n = 1;
        while (n < 64 && n * 256 < maxEntries) {
            n <<= 1;
        }
        segments = new Segment[n];
        for (int i = 0; i < n; i++) {
            segments[i] = new Segment(Math.max(1, maxEntries / n), Math.max(1, maxBytes / n));
        }
        shift = 32 - Integer.numberOfTrailingZeros(n);
    }

    private static long cost(WireAnswer a) {
        return a.size() * 2L + OVERHEAD; // wire bytes, keyed copy
    }

    private Segment segment(int hash) {
        return shift == 32 ? segments[0] : segments[(hash * 0x9E3779B9) >>> shift];
    }

    private static int home(int hash, int mask) {
        return (hash ^ (hash >>> 16)) & mask;
    }

    boolean enabled() {
        return maxEntries > 0;
    }

    /** A fresh entry for the key, or null. Lock-free; the probe key may be a mutable one. */
    WireAnswer get(CacheKey probe, long nowNanos) {
        if (maxEntries == 0) {
            return null;
        }
        int h = probe.hashCode();
        WireAnswer[] t = segment(h).table;
        int mask = t.length - 1;
        int i = home(h, mask);
        for (int n = 0; n <= mask; n++) {
            WireAnswer a = (WireAnswer) SLOTS.getAcquire(t, i);
            if (a == null) {
                return null;
            }
            if (a.keyHash == h && a.hasKey(probe)) {
                if (!a.fresh(nowNanos)) {
                    return null;
                }
                if (!a.referenced) {
                    a.referenced = true;
                }
                return a;
            }
            i = (i + 1) & mask;
        }
        return null;
    }

    /** Stores an answer under an immutable key, replacing any entry for the same key. */
    void put(CacheKey key, WireAnswer answer) {
        if (maxEntries == 0 || !answer.cacheable) {
            return;
        }
        WireAnswer a = answer.keyed(key);
        long now = System.nanoTime();
        Segment s = segment(key.hashCode());
        synchronized (s) {
            int found = find(s, key);
            if (found >= 0) {
                WireAnswer old = s.table[found];
                s.bytes += cost(a) - cost(old);
                SLOTS.setRelease(s.table, found, a);
                return;
            }
            while (s.count > 0 && (s.count + 1 > s.maxEntries || s.bytes + cost(a) > s.maxBytes)) {
                evictOne(s, now);
            }
            if ((s.count + 1) * 2 > s.table.length) {
                grow(s);
            }
            WireAnswer[] t = s.table;
            int mask = t.length - 1;
            int i = home(a.keyHash, mask);
            while (t[i] != null) {
                i = (i + 1) & mask;
            }
            SLOTS.setRelease(t, i, a);
            s.count++;
            s.bytes += cost(a);
        }
    }

    private static int find(Segment s, CacheKey key) {
        WireAnswer[] t = s.table;
        int mask = t.length - 1;
        int i = home(key.hashCode(), mask);
        for (int n = 0; n <= mask; n++) {
            WireAnswer a = t[i];
            if (a == null) {
                return -1;
            }
            if (a.hasKey(key)) {
                return i;
            }
            i = (i + 1) & mask;
        }
        return -1;
    }

    /** A table twice the size, published whole: readers see the old one or the new one. */
    private static void grow(Segment s) {
        WireAnswer[] old = s.table;
        WireAnswer[] t = new WireAnswer[old.length * 2];
        int mask = t.length - 1;
        for (WireAnswer a : old) {
            if (a != null) {
                int i = home(a.keyHash, mask);
                while (t[i] != null) {
                    i = (i + 1) & mask;
                }
                t[i] = a;
            }
        }
        s.table = t;
        s.hand = 0;
    }

    /** CLOCK: skip (and clear) referenced entries once; evict the first unreferenced or expired one. */
    private static void evictOne(Segment s, long now) {
        WireAnswer[] t = s.table;
        int mask = t.length - 1;
        for (int steps = 0; steps < 2 * t.length + 1; steps++) {
            int i = s.hand;
            WireAnswer a = t[i];
            if (a == null) {
                s.hand = (i + 1) & mask;
                continue;
            }
            if (a.referenced && a.fresh(now)) {
                a.referenced = false;
                s.hand = (i + 1) & mask;
                continue;
            }
            removeAt(s, i); // the hand stays: a shifted entry may now sit here
            return;
        }
    }

    /** Linear-probing deletion by backward shift (Knuth, TAOCP vol. 3, 6.4, algorithm R). */
    private static void removeAt(Segment s, int i) {
        WireAnswer[] t = s.table;
        int mask = t.length - 1;
        s.bytes -= cost(t[i]);
        s.count--;
        SLOTS.setRelease(t, i, null);
        int j = i;
        while (true) {
            j = (j + 1) & mask;
            WireAnswer a = t[j];
            if (a == null) {
                return;
            }
            int h = home(a.keyHash, mask);
            // a stays when its home lies cyclically in (i, j]
            boolean stays = i <= j ? (i < h && h <= j) : (i < h || h <= j);
            if (!stays) {
                SLOTS.setRelease(t, i, a);
                SLOTS.setRelease(t, j, null);
                i = j;
            }
        }
    }

    void clear() {
        for (Segment s : segments) {
            synchronized (s) {
                s.table = new WireAnswer[MIN_TABLE];
                s.count = 0;
                s.bytes = 0;
                s.hand = 0;
            }
        }
    }

    int size() {
        int n = 0;
        for (Segment s : segments) {
            synchronized (s) {
                n += s.count;
            }
        }
        return n;
    }

    long bytes() {
        long n = 0;
        for (Segment s : segments) {
            synchronized (s) {
                n += s.bytes;
            }
        }
        return n;
    }
}
