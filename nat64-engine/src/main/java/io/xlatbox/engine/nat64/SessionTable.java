package io.xlatbox.engine.nat64;

/**
 * The session tables of RFC 6146 §3.2: one entry per session (X',x),(Y',y) &lt;-&gt; (T,t),(Z,z), where Y' is
 * pool6 with Z embedded and y = z (ICMP query sessions have z = 0). A packet finds its session with one lookup in
 * the index of the side it arrived on, and one entry (a cache line of eight longs) holds everything a packet
 * reads, next to the last-use time that it writes:
 * <pre>
 * 0 last use   1 bib | state | timer class | live | protocol   2 Z | z   3 T | t | x   4 X' high   5 X' low
 * </pre>
 */
final class SessionTable {
    private static final int STRIDE = 8;
    private static final long LIVE = 1L << 48;

    final IdPool ids;
    private final HashIndex by6;
    private final HashIndex by4;
    private final long[] e;
    final int[] perProtocol = new int[3];

    SessionTable(int capacity) {
        ids = new IdPool(capacity);
        by6 = new HashIndex(capacity);
        by4 = new HashIndex(capacity);
        e = new long[capacity * STRIDE];
    }

    int capacity() {
        return e.length / STRIDE;
    }

    private static long remote(int z4, int zPort) {
        return (z4 & 0xFFFFFFFFL) << 16 | zPort;
    }

    /** The session of a packet from (X',x) to (Y'(Z),z), or -1. */
    int find6(long xHi, long xLo, int x, int z4, int zPort, int proto) {
        return by6.get(xHi, xLo, (z4 & 0xFFFFFFFFL) << 32 | (long) x << 16 | zPort, proto);
    }

    /** The session of a packet from (Z,z) to (T,t), or -1. */
    int find4(int t4, int t, int z4, int zPort, int proto) {
        return by4.get((t4 & 0xFFFFFFFFL) << 32 | (z4 & 0xFFFFFFFFL), (long) t << 32 | (long) zPort << 16 | proto, 0);
    }

    long lastUse(int s) { return e[s * STRIDE]; }
    int bib(int s) { return (int) e[s * STRIDE + 1]; }
    int state(int s) { return (int) (e[s * STRIDE + 1] >>> 32) & 0xFF; }
    int timerClass(int s) { return (int) (e[s * STRIDE + 1] >>> 40) & 0xFF; }
    boolean live(int s) { return (e[s * STRIDE + 1] & LIVE) != 0; }
    int proto(int s) { return (int) (e[s * STRIDE + 1] >>> 49) & 3; }
    int remote4(int s) { return (int) (e[s * STRIDE + 2] >>> 16); }
    int remotePort(int s) { return (int) e[s * STRIDE + 2] & 0xFFFF; }
    int local4(int s) { return (int) (e[s * STRIDE + 3] >>> 32); }
    int localPort(int s) { return (int) (e[s * STRIDE + 3] >>> 16) & 0xFFFF; }
    int v6Port(int s) { return (int) e[s * STRIDE + 3] & 0xFFFF; }
    long v6Hi(int s) { return e[s * STRIDE + 4]; }
    long v6Lo(int s) { return e[s * STRIDE + 5]; }

    void setLastUse(int s, long now) {
        e[s * STRIDE] = now;
    }

    void setState(int s, int state) {
        int i = s * STRIDE + 1;
        e[i] = (e[i] & ~(0xFFL << 32)) | (long) state << 32;
    }

    void setTimerClass(int s, int timerClass) {
        int i = s * STRIDE + 1;
        e[i] = (e[i] & ~(0xFFL << 40)) | (long) timerClass << 40;
    }

    /** Adds the session of BIB entry {@code b}, with the entry's addresses copied in; -1 when full. */
    int add(int b, BibTable bibs, int z4, int zPort, int st, int timer, long now) {
        int id = ids.allocate();
        if (id < 0) {
            return -1;
        }
        int proto = bibs.proto(b);
        int i = id * STRIDE;
        e[i] = now;
        e[i + 1] = (long) proto << 49 | LIVE | (long) timer << 40 | (long) st << 32 | (b & 0xFFFFFFFFL);
        e[i + 2] = remote(z4, zPort);
        e[i + 3] = (bibs.v4Addr(b) & 0xFFFFFFFFL) << 32 | (long) bibs.v4Port(b) << 16 | bibs.v6Port(b);
        e[i + 4] = bibs.v6Hi(b);
        e[i + 5] = bibs.v6Lo(b);
        by6.put(e[i + 4], e[i + 5], (z4 & 0xFFFFFFFFL) << 32 | (long) bibs.v6Port(b) << 16 | zPort, proto, id);
        by4.put((bibs.v4Addr(b) & 0xFFFFFFFFL) << 32 | (z4 & 0xFFFFFFFFL),
                (long) bibs.v4Port(b) << 32 | (long) zPort << 16 | proto, 0, id);
        perProtocol[proto]++;
        return id;
    }

    /** Whether entry {@code s} is the live session of (X',x) to (Z,z): a lookup racing a writer may miss, never lie. */
    boolean matches6(int s, long xHi, long xLo, int x, int z4, int zPort, int proto) {
        int i = s * STRIDE;
        long meta = e[i + 1];
        return (meta & LIVE) != 0 && (int) (meta >>> 49 & 3) == proto && e[i + 4] == xHi && e[i + 5] == xLo
                && ((int) e[i + 3] & 0xFFFF) == x && e[i + 2] == remote(z4, zPort);
    }

    /** Whether entry {@code s} is the live session of (Z,z) to (T,t). */
    boolean matches4(int s, int t4, int t, int z4, int zPort, int proto) {
        int i = s * STRIDE;
        long meta = e[i + 1];
        return (meta & LIVE) != 0 && (int) (meta >>> 49 & 3) == proto && e[i + 2] == remote(z4, zPort)
                && (e[i + 3] >>> 16) == ((t4 & 0xFFFFFFFFL) << 16 | t);
    }

    /** Removes the session from the indexes; its id goes back to the pool only through the state's epochs. */
    void remove(int id) {
        int proto = proto(id);
        int z4 = remote4(id);
        int zPort = remotePort(id);
        by6.remove(v6Hi(id), v6Lo(id), (z4 & 0xFFFFFFFFL) << 32 | (long) v6Port(id) << 16 | zPort, proto);
        by4.remove((local4(id) & 0xFFFFFFFFL) << 32 | (z4 & 0xFFFFFFFFL),
                (long) localPort(id) << 32 | (long) zPort << 16 | proto, 0);
        e[id * STRIDE + 1] = 0;
        perProtocol[proto]--;
    }

    /** Live sessions (ids waiting for reuse are not counted). */
    int size() {
        return perProtocol[0] + perProtocol[1] + perProtocol[2];
    }
}
