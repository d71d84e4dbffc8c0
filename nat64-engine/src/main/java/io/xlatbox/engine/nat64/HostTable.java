package io.xlatbox.engine.nat64;

/**
 * One record per IPv6 host with state: its session count, for the per-host limit, and the pool4 address it is
 * paired with (RFC 4787 REQ-2, RFC 6146 §3.5.1.1), so all its BIB entries use the same IPv4 address.
 */
final class HostTable {
    private final IdPool ids;
    private final HashIndex index;
    final long[] hi;
    final long[] lo;
    final int[] sessions;
    final int[] bibs;
    final int[] paired;

    HostTable(int capacity) {
        ids = new IdPool(capacity);
        index = new HashIndex(capacity);
        hi = new long[capacity];
        lo = new long[capacity];
        sessions = new int[capacity];
        bibs = new int[capacity];
        paired = new int[capacity];
    }

    int find(long h, long l) {
        return index.get(h, l, 0);
    }

    /** The host's record, created if needed; -1 when full. */
    int getOrAdd(long h, long l) {
        int id = index.get(h, l, 0);
        if (id >= 0) {
            return id;
        }
        id = ids.allocate();
        if (id < 0) {
            return -1;
        }
        hi[id] = h;
        lo[id] = l;
        sessions[id] = 0;
        bibs[id] = 0;
        paired[id] = 0;
        index.put(h, l, 0, id);
        return id;
    }

    /** Drops the record once nothing refers to it. */
    void releaseIfUnused(int id) {
        if (id >= 0 && sessions[id] == 0 && bibs[id] == 0) {
            index.remove(hi[id], lo[id], 0);
            ids.release(id);
        }
    }

    int size() {
        return ids.used();
    }
}
