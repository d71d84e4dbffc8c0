package io.xlatbox.engine;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Packets that need the writer role while another worker holds it wait here, copied, until the holder serves
 * them (see {@link io.xlatbox.engine.nat64.Nat64State}). A bounded multi-producer queue after Dmitry Vyukov's
 * design: producers claim a slot with one compare-and-set and publish it with a sequence number, the one consumer
 * (whoever holds the writer role) reads slots in order. Memory is fixed; nothing waits; a full queue drops.
 */
final class SlowPathQueue {
    private static final int HEADROOM = 64;

    private final int mask;
    private final int slotSize;
    private final ByteBuffer data;
    private final AtomicLongArray sequence;
    private final int[] length;
    private final boolean[] fromIpv6;
    private final boolean[] decrement;
    private final AtomicLong tail = new AtomicLong();
    private volatile long head;

    SlowPathQueue(int capacity, int slotSize) {
        int cap = Integer.highestOneBit(Math.max(2, capacity) - 1) << 1;
        this.mask = cap - 1;
        this.slotSize = slotSize;
        this.data = ByteBuffer.allocateDirect(cap * (slotSize + HEADROOM));
        this.sequence = new AtomicLongArray(cap);
        for (int i = 0; i < cap; i++) {
            sequence.set(i, i);
        }
        this.length = new int[cap];
        this.fromIpv6 = new boolean[cap];
        this.decrement = new boolean[cap];
    }

    /**
     * Copies a packet in, with its offload state (kept as a virtio-net header in the slot's headroom); false when
     * the queue is full or the packet larger than a slot.
     */
    boolean offer(Side side, boolean decrementTtl, ByteBuffer src, int off, int len, Offload offload) {
        if (len > slotSize) {
            return false;
        }
        long pos;
        while (true) {
            pos = tail.get();
            long diff = sequence.get((int) (pos & mask)) - pos;
            if (diff == 0) {
                if (tail.compareAndSet(pos, pos + 1)) {
                    break;
                }
            } else if (diff < 0) {
                return false;
            }
        }
        int i = (int) (pos & mask);
        data.put(offset(i), src, off, len);
        offload.write(data, offset(i) - Offload.HEADER_LENGTH);
        length[i] = len;
        fromIpv6[i] = side == Side.IPV6;
        decrement[i] = decrementTtl;
        // Publish with a volatile write: a holder of the writer role that releases it after this producer's
        // failed attempt to take it is then sure to see the slot (the producer relies on that, see Translator).
        sequence.set(i, pos + 1);
        return true;
    }

    /** The next published slot, or -1; consumer only. */
    int peek() {
        long h = head;
        int i = (int) (h & mask);
        return sequence.get(i) == h + 1 ? i : -1;
    }

    /** Frees the slot returned by {@link #peek()}; consumer only. */
    void release(int slot) {
        long h = head;
        sequence.lazySet(slot, h + mask + 1);
        head = h + 1;
    }

    /** A hint for workers deciding whether to take the writer role: nothing published and not yet served. */
    boolean isEmpty() {
        long h = head;
        return sequence.get((int) (h & mask)) != h + 1;
    }

    ByteBuffer buffer() { return data; }
    int offset(int slot) { return slot * (slotSize + HEADROOM) + HEADROOM; }
    int length(int slot) { return length[slot]; }
    Side side(int slot) { return fromIpv6[slot] ? Side.IPV6 : Side.IPV4; }
    boolean decrement(int slot) { return decrement[slot]; }
    /** Reads the slot's offload state into {@code into}. */
    void offload(int slot, Offload into) { into.read(data, offset(slot) - Offload.HEADER_LENGTH); }
}
