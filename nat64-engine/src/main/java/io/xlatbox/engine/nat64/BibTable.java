package io.xlatbox.engine.nat64;

import java.util.Arrays;

/**
 * The Binding Information Bases of RFC 6146 §3.1, one per protocol, stored together: each entry binds an IPv6
 * transport address (X',x) to an IPv4 transport address (T,t), and is found from either side.
 */
final class BibTable {
    final IdPool ids;
    private final HashIndex by6;
    private final HashIndex by4;
    final int[] proto;
    final long[] v6Hi;
    final long[] v6Lo;
    final int[] v6Port;
    final int[] v4Addr;
    final int[] v4Port;
    /** Sessions using the entry; a dynamic entry goes with its last session. */
    final int[] sessions;
    final boolean[] isStatic;
    /** The host record of X', or -1 for static entries. */
    final int[] host;
    final boolean[] live;
    final int[] perProtocol = new int[3];

    BibTable(int capacity) {
        ids = new IdPool(capacity);
        by6 = new HashIndex(capacity);
        by4 = new HashIndex(capacity);
        proto = new int[capacity];
        v6Hi = new long[capacity];
        v6Lo = new long[capacity];
        v6Port = new int[capacity];
        v4Addr = new int[capacity];
        v4Port = new int[capacity];
        sessions = new int[capacity];
        isStatic = new boolean[capacity];
        host = new int[capacity];
        live = new boolean[capacity];
    }

    int capacity() {
        return proto.length;
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

    /** Adds an entry; -1 when the table is full. */
    int add(int p, long hi, long lo, int port6, int addr4, int port4, boolean fixed, int hostId) {
        int id = ids.allocate();
        if (id < 0) {
            return -1;
        }
        proto[id] = p;
        v6Hi[id] = hi;
        v6Lo[id] = lo;
        v6Port[id] = port6;
        v4Addr[id] = addr4;
        v4Port[id] = port4;
        sessions[id] = 0;
        isStatic[id] = fixed;
        host[id] = hostId;
        live[id] = true;
        by6.put(hi, lo, key6(p, port6), id);
        by4.put(key4(p, addr4, port4), 0, 0, id);
        perProtocol[p]++;
        return id;
    }

    void remove(int id) {
        by6.remove(v6Hi[id], v6Lo[id], key6(proto[id], v6Port[id]));
        by4.remove(key4(proto[id], v4Addr[id], v4Port[id]), 0, 0);
        live[id] = false;
        perProtocol[proto[id]]--;
        ids.release(id);
    }

    int size() {
        return ids.used();
    }

    void clear() {
        by6.clear();
        by4.clear();
        for (int i = 0; i < live.length; i++) {
            if (live[i]) {
                live[i] = false;
                ids.release(i);
            }
        }
        Arrays.fill(perProtocol, 0);
    }
}
