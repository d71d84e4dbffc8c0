package io.xlatbox.engine.nat64;

import java.util.Arrays;

/**
 * An open-addressing hash index from a key of up to three longs to a non-negative int (an entry id in one of
 * the tables). Linear probing with backward-shift deletion, so there are no tombstones and a lookup never walks
 * further than the cluster it lands in. Sized once for its maximum number of entries at load factor 1/2; it never
 * allocates after construction. One writer; see {@link StatefulNat64} for the threading rules.
 */
final class HashIndex {
    private static final int EMPTY = 0;
    private final long[] keys;
    private final int[] values; // id + 1; 0 is empty
    private final int mask;
    private int size;

    HashIndex(int maxEntries) {
        int cap = Integer.highestOneBit(Math.max(16, maxEntries) * 2 - 1) << 1;
        keys = new long[cap * 3];
        values = new int[cap];
        mask = cap - 1;
    }

    int size() {
        return size;
    }

    int capacity() {
        return values.length / 2;
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
    private int slotOf(long a, long b, long c) {
        int i = hash(a, b, c) & mask;
        while (values[i] != EMPTY) {
            int k = i * 3;
            if (keys[k] == a && keys[k + 1] == b && keys[k + 2] == c) {
                return i;
            }
            i = (i + 1) & mask;
        }
        return -1;
    }

    /** The id stored under the key, or -1. */
    int get(long a, long b, long c) {
        int i = slotOf(a, b, c);
        return i < 0 ? -1 : values[i] - 1;
    }

    /** Stores the id under the key (replacing any); returns false when the index is full. */
    boolean put(long a, long b, long c, int id) {
        int i = hash(a, b, c) & mask;
        while (true) {
            int v = values[i];
            int k = i * 3;
            if (v == EMPTY) {
                if (size >= capacity()) {
                    return false;
                }
                keys[k] = a;
                keys[k + 1] = b;
                keys[k + 2] = c;
                values[i] = id + 1;
                size++;
                return true;
            }
            if (keys[k] == a && keys[k + 1] == b && keys[k + 2] == c) {
                values[i] = id + 1;
                return true;
            }
            i = (i + 1) & mask;
        }
    }

    /** Removes the key; returns its id or -1. */
    int remove(long a, long b, long c) {
        int i = slotOf(a, b, c);
        if (i < 0) {
            return -1;
        }
        int id = values[i] - 1;
        shiftBack(i);
        size--;
        return id;
    }

    /** Backward-shift deletion (Knuth 6.4 Algorithm R): refill the hole from later members of the cluster. */
    private void shiftBack(int hole) {
        int j = hole;
        while (true) {
            j = (j + 1) & mask;
            if (values[j] == EMPTY) {
                break;
            }
            int k = j * 3;
            int home = hash(keys[k], keys[k + 1], keys[k + 2]) & mask;
            // Move j into the hole unless its home lies cyclically in (hole, j].
            boolean stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
            if (!stays) {
                int h = hole * 3;
                keys[h] = keys[k];
                keys[h + 1] = keys[k + 1];
                keys[h + 2] = keys[k + 2];
                values[hole] = values[j];
                hole = j;
            }
        }
        values[hole] = EMPTY;
    }

    void clear() {
        Arrays.fill(values, EMPTY);
        size = 0;
    }
}
