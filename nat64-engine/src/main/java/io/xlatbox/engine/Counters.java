package io.xlatbox.engine;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Counters striped per worker thread: each worker increments its own plain array (no atomics, no sharing of
 * cache lines on the packet path) and readers sum the stripes.
 */
public final class Counters {
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    /** One worker's counters. Only its owning thread writes it. */
    public static final class Stripe {
        // Padding at both ends keeps neighbouring stripes off this stripe's cache lines.
        private static final int PAD = 8;
        private final long[] values = new long[Counter.VALUES.length + 2 * PAD];

        public void inc(Counter c) {
            int i = PAD + c.ordinal();
            LONGS.setOpaque(values, i, values[i] + 1);
        }

        public void add(Counter c, long n) {
            int i = PAD + c.ordinal();
            LONGS.setOpaque(values, i, values[i] + n);
        }

        long get(Counter c) {
            return (long) LONGS.getOpaque(values, PAD + c.ordinal());
        }
    }

    private final CopyOnWriteArrayList<Stripe> stripes = new CopyOnWriteArrayList<>();

    /** A new stripe for a worker; it stays counted after the worker ends. */
    public Stripe newStripe() {
        Stripe s = new Stripe();
        stripes.add(s);
        return s;
    }

    public long get(Counter c) {
        long sum = 0;
        for (Stripe s : stripes) {
            sum += s.get(c);
        }
        return sum;
    }

    /** All counters, summed over the stripes. */
    public Map<Counter, Long> snapshot() {
        Map<Counter, Long> m = new EnumMap<>(Counter.class);
        for (Counter c : Counter.VALUES) {
            m.put(c, get(c));
        }
        return m;
    }
}
