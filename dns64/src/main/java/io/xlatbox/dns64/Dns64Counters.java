package io.xlatbox.dns64;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Counters striped per thread: each thread increments its own plain array (no atomics, no shared cache lines on
 * the query path) and readers sum the stripes. A thread finds its stripe through a thread-local, created on its
 * first increment; stripes stay counted after their thread ends.
 */
public final class Dns64Counters {
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    /** One thread's counters. Only its owning thread writes it. */
    static final class Stripe {
        // Padding at both ends keeps neighbouring stripes off this stripe's cache lines.
        private static final int PAD = 8;
        private final long[] values = new long[Dns64Counter.VALUES.length + 2 * PAD];

        void inc(Dns64Counter c) {
            int i = PAD + c.ordinal();
            LONGS.setOpaque(values, i, values[i] + 1);
        }

        void add(Dns64Counter c, long n) {
            int i = PAD + c.ordinal();
            LONGS.setOpaque(values, i, values[i] + n);
        }

        long get(Dns64Counter c) {
            return (long) LONGS.getOpaque(values, PAD + c.ordinal());
        }
    }

    private final CopyOnWriteArrayList<Stripe> stripes = new CopyOnWriteArrayList<>();
    private final ThreadLocal<Stripe> mine = ThreadLocal.withInitial(this::newStripe);

    private Stripe newStripe() {
        Stripe s = new Stripe();
        stripes.add(s);
        return s;
    }

    /** The calling thread's stripe; a thread on the hot path keeps it to skip the thread-local lookup. */
    Stripe stripe() {
        return mine.get();
    }

    void inc(Dns64Counter c) {
        mine.get().inc(c);
    }

    void add(Dns64Counter c, long n) {
        mine.get().add(c, n);
    }

    public long get(Dns64Counter c) {
        long sum = 0;
        for (Stripe s : stripes) {
            sum += s.get(c);
        }
        return sum;
    }

    /** All counters, summed over the stripes. */
    public Map<Dns64Counter, Long> snapshot() {
        Map<Dns64Counter, Long> m = new EnumMap<>(Dns64Counter.class);
        for (Dns64Counter c : Dns64Counter.VALUES) {
            m.put(c, get(c));
        }
        return m;
    }
}
