package io.xlatbox.engine.nat64;

import java.util.Arrays;

/**
 * A hashed timing wheel of one-second slots holding session ids by deadline. Packets only move a session's
 * last-use time; the wheel is not touched per packet. When a slot comes due, each of its sessions is checked
 * against its real deadline (last use plus the current lifetime of its class) and either expires or moves to the
 * slot of its real deadline. So the sweep touches only sessions that are due or were refreshed since they were
 * filed, never the whole table, and a lifetime change takes effect without rewriting every session.
 */
final class ExpiryWheel {
    static final long RESOLUTION_MS = 1000;
    private static final int SLOTS = 8192; // > 2 h 4 min, the longest default lifetime

    interface Deadlines {
        /** Current deadline of the session, in ms. */
        long deadline(int id);

        /** The session is due: expire it (or refile it with {@link #schedule}). */
        void due(int id, long now);
    }

    private final int[] heads = new int[SLOTS];
    private final int[] next;
    private final int[] prev;
    private final int[] slotOf;
    private long lastTick = Long.MIN_VALUE;

    ExpiryWheel(int capacity) {
        Arrays.fill(heads, -1);
        next = new int[capacity];
        prev = new int[capacity];
        slotOf = new int[capacity];
        Arrays.fill(slotOf, -1);
    }

    int capacity() {
        return next.length;
    }

    /** Files (or refiles) a session under its deadline; beyond the wheel's horizon it is rechecked one lap on. */
    void schedule(int id, long deadline, long now) {
        cancel(id);
        long tick = Math.max(deadline, now + RESOLUTION_MS) / RESOLUTION_MS;
        long nowTick = now / RESOLUTION_MS;
        if (tick - nowTick >= SLOTS) {
            tick = nowTick + SLOTS - 1;
        }
        if (lastTick == Long.MIN_VALUE) {
            lastTick = nowTick;
        }
        int s = (int) (tick & (SLOTS - 1));
        int h = heads[s];
        next[id] = h;
        prev[id] = -1;
        if (h >= 0) {
            prev[h] = id;
        }
        heads[s] = id;
        slotOf[id] = s;
    }

    void cancel(int id) {
        int s = slotOf[id];
        if (s < 0) {
            return;
        }
        int n = next[id];
        int p = prev[id];
        if (p >= 0) {
            next[p] = n;
        } else {
            heads[s] = n;
        }
        if (n >= 0) {
            prev[n] = p;
        }
        slotOf[id] = -1;
    }

    boolean isScheduled(int id) {
        return slotOf[id] >= 0;
    }

    /** Processes every slot up to {@code now}; returns how many sessions were examined. */
    int advance(long now, Deadlines d) {
        long nowTick = now / RESOLUTION_MS;
        if (lastTick == Long.MIN_VALUE) {
            lastTick = nowTick;
            return 0;
        }
        int examined = 0;
        long from = lastTick + 1;
        if (nowTick - from >= SLOTS) {
            from = nowTick - SLOTS + 1; // a long jump: every slot once
        }
        for (long tick = from; tick <= nowTick; tick++) {
            int s = (int) (tick & (SLOTS - 1));
            int id = heads[s];
            heads[s] = -1;
            while (id >= 0) {
                int n = next[id];
                slotOf[id] = -1;
                examined++;
                long deadline = d.deadline(id);
                if (deadline <= now) {
                    d.due(id, now);
                } else {
                    schedule(id, deadline, now);
                }
                id = n;
            }
        }
        lastTick = nowTick;
        return examined;
    }

    /** Re-files every scheduled id at its current deadline (after lifetimes changed). */
    void rescheduleAll(long now, Deadlines d) {
        for (int id = 0; id < slotOf.length; id++) {
            if (slotOf[id] >= 0) {
                schedule(id, d.deadline(id), now);
            }
        }
    }
}
