package io.xlatbox.engine.nat64;

/**
 * The Binding Information Bases of RFC 6146 §3.1, one per protocol, stored together: each entry binds an IPv6
 * transport address (X',x) to an IPv4 transport address (T,t), and is found from either side. An entry is four
 * longs side by side (one cache line holds two entries): X' high and low, then T, t and x, then the protocol,
 * flags, session count and host.
 */
final class BibTable {
    private static final int STRIDE = 4;
    private static final long LIVE = 1L << 3;
    private static final long STATIC = 1L << 2;

    final IdPool ids;
    private final HashIndex by6;
    private final HashIndex by4;
    private final long[] e;
    final int[] perProtocol = new int[3];

    BibTable(int capacity) {
        ids = new IdPool(capacity);
        by6 = new HashIndex(capacity);
        by4 = new HashIndex(capacity);
        e = new long[capacity * STRIDE];
    }

    int capacity() {
        return e.length / STRIDE;
    }

    private static long key6(int p, int port) {
        return (long) p << 16 | port;
    }

    private static long key4(int p, int addr, int port) {
        return (long) p << 48 | (addr & 0xFFFFFFFFL) << 16 | port;
    }

    int find6(int p, long hi, long lo, int port) {
        return by6.get(hi, lo, key6(p, port));
    }

    int find4(int p, int addr, int port) {
        return by4.get(key4(p, addr, port), 0, 0);
    }

    long v6Hi(int b) { return e[b * STRIDE]; }
    long v6Lo(int b) { return e[b * STRIDE + 1]; }
    int v4Addr(int b) { return (int) (e[b * STRIDE + 2] >>> 32); }
    int v4Port(int b) { return (int) (e[b * STRIDE + 2] >>> 16) & 0xFFFF; }
    int v6Port(int b) { return (int) e[b * STRIDE + 2] & 0xFFFF; }
    int proto(int b) { return (int) e[b * STRIDE + 3] & 3; }
    boolean isStatic(int b) { return (e[b * STRIDE + 3] & STATIC) != 0; }
    boolean live(int b) { return (e[b * STRIDE + 3] & LIVE) != 0; }
    /** Sessions using the entry; a dynamic entry goes with its last session. */
    int sessions(int b) { return (int) (e[b * STRIDE + 3] >>> 4) & 0x0FFFFFFF; }
    /** The host record of X', or -1 for static entries. */
    int host(int b) { return (int) (e[b * STRIDE + 3] >>> 32) - 1; }

    void addSessions(int b, int delta) {
        e[b * STRIDE + 3] += (long) delta << 4;
    }

    /** Adds an entry; -1 when the table is full. */
    int add(int p, long hi, long lo, int port6, int addr4, int port4, boolean fixed, int hostId) {
        int id = ids.allocate();
        if (id < 0) {
            return -1;
        }
        int i = id * STRIDE;
        e[i] = hi;
        e[i + 1] = lo;
        e[i + 2] = (addr4 & 0xFFFFFFFFL) << 32 | (long) port4 << 16 | port6;
        e[i + 3] = (long) (hostId + 1) << 32 | LIVE | (fixed ? STATIC : 0) | p;
        by6.put(hi, lo, key6(p, port6), id);
        by4.put(key4(p, addr4, port4), 0, 0, id);
        perProtocol[p]++;
        return id;
    }

    void remove(int id) {
        int p = proto(id);
        by6.remove(v6Hi(id), v6Lo(id), key6(p, v6Port(id)));
        by4.remove(key4(p, v4Addr(id), v4Port(id)), 0, 0);
        e[id * STRIDE + 3] = 0;
        perProtocol[p]--;
        ids.release(id);
    }

    int size() {
        return ids.used();
    }
}
