package io.xlatbox.engine.nat64;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * An open-addressing hash index from a key of up to three longs plus a 32-bit extension to a non-negative int
 * (an entry id in one of the tables). A slot is four longs: the key, then the extension and the id sharing the
 * last long, so a probe reads one cache line. Linear probing
 * with backward-shift deletion: no tombstones, and a lookup never walks further than the cluster it lands in.
 * Sized once for its maximum number of entries at load factor 1/2; it never allocates after construction.
 */
final class HashIndex {
    private static final int STRIDE = 4;
    /** The id word is published with release and read with acquire: a reader that sees an id sees its key. */
    private static final VarHandle WORD = MethodHandles.arrayElementVarHandle(long[].class);
    private final long[] slots; // a, b, c, ext << 32 | id + 1 (id + 1 == 0: empty)
    private final int mask;
    private int size;

    HashIndex(int maxEntries) {
        int cap = Integer.highestOneBit(Math.max(16, maxEntries) * 2 - 1) << 1;
        slots = new long[cap * STRIDE];
        mask = cap - 1;
    }

    int size() {
        return size;
    }

    int capacity() {
        return (mask + 1) / 2;
    }

    static int hash(long a, long b, long c) {
        long h = a * 0x9E3779B97F4A7C15L;
        h ^= Long.rotateLeft(b * 0xC2B2AE3D27D4EB4FL, 23);
        h ^= Long.rotateLeft(c * 0x165667B19E3779F9L, 47);
        h ^= h >>> 29;
        h *= 0xBF58476D1CE4E5B9L;
        return (int) (h ^ (h >>> 32));
    }

    /** The slot holding the key, or -1. */
    private int slotOf(long a, long b, long c, int ext) {
        int i = hash(a, b, c) & mask;
        while (true) {
            int k = i * STRIDE;
            long v = (long) WORD.getAcquire(slots, k + 3);
            if ((int) v == 0) {
                return -1;
            }
            if (slots[k] == a && slots[k + 1] == b && slots[k + 2] == c && (int) (v >>> 32) == ext) {
                return i;
            }
            i = (i + 1) & mask;
        }
    }

    /** The id stored under the key, or -1. */
    int get(long a, long b, long c) {
        return get(a, b, c, 0);
    }

    int get(long a, long b, long c, int ext) {
        int i = slotOf(a, b, c, ext);
        return i < 0 ? -1 : (int) slots[i * STRIDE + 3] - 1;
    }

    boolean put(long a, long b, long c, int id) {
        return put(a, b, c, 0, id);
    }

    /** Stores the id under the key (replacing any); returns false when the index is full. */
    boolean put(long a, long b, long c, int ext, int id) {
        long v = (long) ext << 32 | (id + 1L);
        int i = hash(a, b, c) & mask;
        while (true) {
            int k = i * STRIDE;
            long cur = slots[k + 3];
            if ((int) cur == 0) {
                if (size >= capacity()) {
                    return false;
                }
                slots[k] = a;
                slots[k + 1] = b;
                slots[k + 2] = c;
                WORD.setRelease(slots, k + 3, v);
                size++;
                return true;
            }
            if (slots[k] == a && slots[k + 1] == b && slots[k + 2] == c && (int) (cur >>> 32) == ext) {
                slots[k + 3] = v;
                return true;
            }
            i = (i + 1) & mask;
        }
    }

    int remove(long a, long b, long c) {
        return remove(a, b, c, 0);
    }

    /** Removes the key; returns its id or -1. */
    int remove(long a, long b, long c, int ext) {
        int i = slotOf(a, b, c, ext);
        if (i < 0) {
            return -1;
        }
        int id = (int) slots[i * STRIDE + 3] - 1;
        shiftBack(i);
        size--;
        return id;
    }

    /** Backward-shift deletion (Knuth 6.4 Algorithm R): refill the hole from later members of the cluster. */
    private void shiftBack(int hole) {
        int j = hole;
        while (true) {
            j = (j + 1) & mask;
            int k = j * STRIDE;
            if ((int) slots[k + 3] == 0) {
                break;
            }
            int home = hash(slots[k], slots[k + 1], slots[k + 2]) & mask;
            // Move j into the hole unless its home lies cyclically in (hole, j].
            boolean stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
            if (!stays) {
                System.arraycopy(slots, k, slots, hole * STRIDE, STRIDE);
                hole = j;
            }
        }
        slots[hole * STRIDE + 3] = 0;
    }

    void clear() {
        Arrays.fill(slots, 0);
        size = 0;
    }
}
