package io.xlatbox.engine.nat64;

import java.nio.ByteBuffer;

/**
 * IPv4-initiated SYNs held for TCP_INCOMING_SYN (RFC 6146 §3.5.2.2): either no BIB entry exists yet (a
 * simultaneous open may still come from IPv6), or address-dependent filtering has not seen the IPv6 side talk
 * to this peer. A small fixed array; every operation is a bounded scan.
 */
final class SynStore {
    static final int MAX_SYN = 1600;

    private final ByteBuffer bytes;
    private final int[] length;
    private final int[] remote4;
    private final int[] remotePort;
    private final int[] local4;
    private final int[] localPort;
    private final long[] deadline;
    private final int[] session;
    private int used;

    SynStore(int capacity) {
        bytes = ByteBuffer.allocateDirect(Math.max(1, capacity) * MAX_SYN);
        length = new int[capacity];
        remote4 = new int[capacity];
        remotePort = new int[capacity];
        local4 = new int[capacity];
        localPort = new int[capacity];
        deadline = new long[capacity];
        session = new int[capacity];
    }

    int capacity() {
        return length.length;
    }

    int size() {
        return used;
    }

    static final int FULL = -1;
    static final int DUPLICATE = -2;

    /**
     * Keeps a copy of the SYN {@code [off, off+len)} from (z4, zPort) to (t4, tPort).
     *
     * @return the slot, {@link #FULL} or {@link #DUPLICATE} (a retransmission, which does not restart the timer)
     */
    int store(ByteBuffer src, int off, int len, int z4, int zPort, int t4, int tPort, long deadlineMs, int sess) {
        int free = -1;
        for (int i = 0; i < length.length; i++) {
            if (length[i] == 0) {
                if (free < 0) {
                    free = i;
                }
            } else if (remote4[i] == z4 && remotePort[i] == zPort && local4[i] == t4 && localPort[i] == tPort) {
                return DUPLICATE;
            }
        }
        if (free < 0 || len > MAX_SYN) {
            return FULL;
        }
        bytes.put(free * MAX_SYN, src, off, len);
        length[free] = len;
        remote4[free] = z4;
        remotePort[free] = zPort;
        local4[free] = t4;
        localPort[free] = tPort;
        deadline[free] = deadlineMs;
        session[free] = sess;
        used++;
        return free;
    }

    /** The slot of a BIB-less SYN from (z4, zPort), for a simultaneous open from IPv6, or -1. */
    int findUnbound(int z4, int zPort) {
        for (int i = 0; i < length.length; i++) {
            if (length[i] != 0 && session[i] < 0 && remote4[i] == z4 && remotePort[i] == zPort) {
                return i;
            }
        }
        return -1;
    }

    int findBySession(int sess) {
        if (used == 0) {
            return -1;
        }
        for (int i = 0; i < length.length; i++) {
            if (length[i] != 0 && session[i] == sess) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The first BIB-less slot whose deadline has passed, or -1. A SYN held for a session expires with that session's
     * timer instead.
     */
    int dueUnbound(long now) {
        if (used == 0) {
            return -1;
        }
        for (int i = 0; i < length.length; i++) {
            if (length[i] != 0 && session[i] < 0 && deadline[i] <= now) {
                return i;
            }
        }
        return -1;
    }

    void remove(int slot) {
        if (length[slot] != 0) {
            length[slot] = 0;
            used--;
        }
    }

    ByteBuffer buffer() { return bytes; }
    int offset(int slot) { return slot * MAX_SYN; }
    int length(int slot) { return length[slot]; }
    int local4(int slot) { return local4[slot]; }
    int localPort(int slot) { return localPort[slot]; }
    int session(int slot) { return session[slot]; }

    /** After the session table was rebuilt: session ids through the old-to-new map. */
    void renumberSessions(int[] map) {
        for (int i = 0; i < length.length; i++) {
            if (length[i] != 0 && session[i] >= 0) {
                session[i] = map[session[i]];
            }
        }
    }
}
