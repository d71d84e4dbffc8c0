package io.xlatbox.engine.nat64;

/** Free ids of a fixed-size table, as a stack. */
final class IdPool {
    private final int[] free;
    private int top;

    IdPool(int capacity) {
        free = new int[capacity];
        for (int i = 0; i < capacity; i++) {
            free[i] = capacity - 1 - i;
        }
        top = capacity;
    }

    /** A free id, or -1. */
    int allocate() {
        return top == 0 ? -1 : free[--top];
    }

    void release(int id) {
        free[top++] = id;
    }

    int used() {
        return free.length - top;
    }

    int capacity() {
        return free.length;
    }
}
