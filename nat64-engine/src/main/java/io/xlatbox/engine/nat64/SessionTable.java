package io.xlatbox.engine.nat64;

/**
 * The session tables of RFC 6146 §3.2: one entry per (BIB entry, remote IPv4 transport address). The IPv6 view
 * (X',x),(Y',y) and the IPv4 view (T,t),(Z,z) of a session both follow from its BIB entry and (Z,z), since
 * Y' is pool6 with Z embedded and y = z; ICMP query sessions have z = 0.
 */
final class SessionTable {
    final IdPool ids;
    private final HashIndex index;
    final int[] bib;
    final int[] remote4;
    final int[] remotePort;
    final byte[] state;
    final byte[] timerClass;
    final long[] lastUse;
    final boolean[] live;
    final int[] perProtocol = new int[3];

    SessionTable(int capacity) {
        ids = new IdPool(capacity);
        index = new HashIndex(capacity);
        bib = new int[capacity];
        remote4 = new int[capacity];
        remotePort = new int[capacity];
        state = new byte[capacity];
        timerClass = new byte[capacity];
        lastUse = new long[capacity];
        live = new boolean[capacity];
    }

    int capacity() {
        return bib.length;
    }

    private static long key(int z4, int zPort) {
        return (z4 & 0xFFFFFFFFL) << 16 | zPort;
    }

    int find(int bibId, int z4, int zPort) {
        return index.get(bibId, key(z4, zPort), 0);
    }

    int add(int bibId, int proto, int z4, int zPort, int st, int timer, long now) {
        int id = ids.allocate();
        if (id < 0) {
            return -1;
        }
        bib[id] = bibId;
        remote4[id] = z4;
        remotePort[id] = zPort;
        state[id] = (byte) st;
        timerClass[id] = (byte) timer;
        lastUse[id] = now;
        live[id] = true;
        index.put(bibId, key(z4, zPort), 0, id);
        perProtocol[proto]++;
        return id;
    }

    void remove(int id, int proto) {
        index.remove(bib[id], key(remote4[id], remotePort[id]), 0);
        live[id] = false;
        perProtocol[proto]--;
        ids.release(id);
    }

    int size() {
        return ids.used();
    }
}
