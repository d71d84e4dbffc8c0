package io.xlatbox.engine.nat64;

import java.nio.ByteBuffer;

/**
 * RFC 6146 §3.4 for fragments that carry no transport header. When a first fragment is translated, its packet's
 * identity (addresses, fragment ID) is remembered with the address the mapping chose, so that the later fragments
 * of the same packet get the same translation. Fragments that arrive before their first fragment wait in a
 * bounded buffer for at most the fragment timeout (FRAGMENT_MIN, 2 s), then are dropped and counted. Memory is
 * fixed at construction. One instance per direction.
 */
public final class FragmentTracker {
    private final HashIndex index;
    private final long[] ka;
    private final long[] kb;
    private final long[] kc;
    private final long[] valHi;
    private final long[] valLo;
    private final long[] expires;
    /** Entries in creation order: with one timeout for all, that is deadline order. */
    private final int[] fifo;
    private int fifoHead;
    private int fifoSize;

    private final int slotSize;
    private final ByteBuffer pending;
    private final int[] pendLen;
    private final long[] pa;
    private final long[] pb;
    private final long[] pc;
    private final long[] pendExpires;
    private int pendCount;

    /** Room before each held fragment, so that translating it in place never reaches into its neighbour. */
    private static final int HEADROOM = 64;

    FragmentTracker(int capacity, int slotSize) {
        int cap = Math.max(1, capacity);
        index = new HashIndex(cap);
        ka = new long[cap];
        kb = new long[cap];
        kc = new long[cap];
        valHi = new long[cap];
        valLo = new long[cap];
        expires = new long[cap];
        fifo = new int[cap];
        for (int i = 0; i < cap; i++) {
            fifo[i] = i;
        }
        this.slotSize = slotSize;
        pending = ByteBuffer.allocateDirect(cap * (slotSize + HEADROOM));
        pendLen = new int[cap];
        pa = new long[cap];
        pb = new long[cap];
        pc = new long[cap];
        pendExpires = new long[cap];
    }

    int capacity() {
        return ka.length;
    }

    /** Remembers the translation of a fragmented packet; the oldest entry makes room when full. */
    void record(long a, long b, long c, long hi, long lo, long expiresAt) {
        int id = index.get(a, b, c);
        if (id < 0) {
            if (fifoSize == ka.length) {
                evictOldest();
            }
            id = fifo[(fifoHead + fifoSize) % fifo.length];
            fifoSize++;
            ka[id] = a;
            kb[id] = b;
            kc[id] = c;
            expires[id] = expiresAt; // kept on a repeated first fragment, so the ring stays in deadline order
            index.put(a, b, c, id);
        }
        valHi[id] = hi;
        valLo[id] = lo;
    }

    /** The entry for a packet identity, or -1. */
    int find(long a, long b, long c) {
        return index.get(a, b, c);
    }

    long valueHi(int id) { return valHi[id]; }
    long valueLo(int id) { return valLo[id]; }

    private void evictOldest() {
        int id = fifo[fifoHead];
        index.remove(ka[id], kb[id], kc[id]);
        // The ring is a permutation of all ids: the slot just left behind now ends the free part.
        fifoHead = (fifoHead + 1) % fifo.length;
        fifoSize--;
    }

    /** Holds a fragment that came before its first fragment; false when it cannot be held. */
    boolean hold(long a, long b, long c, ByteBuffer src, int off, int len, long expiresAt) {
        if (len > slotSize || pendCount == pendLen.length) {
            return false;
        }
        for (int i = 0; i < pendLen.length; i++) {
            if (pendLen[i] == 0) {
                pending.put(heldOffset(i), src, off, len);
                pendLen[i] = len;
                pa[i] = a;
                pb[i] = b;
                pc[i] = c;
                pendExpires[i] = expiresAt;
                pendCount++;
                return true;
            }
        }
        return false;
    }

    /** A held fragment whose first fragment has now been seen, or -1. */
    int ready() {
        if (pendCount == 0) {
            return -1;
        }
        for (int i = 0; i < pendLen.length; i++) {
            if (pendLen[i] != 0 && index.get(pa[i], pb[i], pc[i]) >= 0) {
                return i;
            }
        }
        return -1;
    }

    public ByteBuffer heldBuffer() { return pending; }
    public int heldOffset(int slot) { return slot * (slotSize + HEADROOM) + HEADROOM; }
    public int heldLength(int slot) { return pendLen[slot]; }

    public void release(int slot) {
        if (pendLen[slot] != 0) {
            pendLen[slot] = 0;
            pendCount--;
        }
    }

    int heldCount() {
        return pendCount;
    }

    /** Forgets expired identities and drops expired held fragments; returns how many fragments were dropped. */
    int expire(long now) {
        while (fifoSize > 0 && expires[fifo[fifoHead]] <= now) {
            evictOldest();
        }
        int dropped = 0;
        if (pendCount > 0) {
            for (int i = 0; i < pendLen.length; i++) {
                if (pendLen[i] != 0 && pendExpires[i] <= now) {
                    release(i);
                    dropped++;
                }
            }
        }
        return dropped;
    }

    void clear() {
        while (fifoSize > 0) {
            evictOldest();
        }
        for (int i = 0; i < pendLen.length; i++) {
            release(i);
        }
    }
}
