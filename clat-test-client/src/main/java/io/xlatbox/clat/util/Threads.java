package io.xlatbox.clat.util;

/** Stopping the client's background threads. */
public final class Threads {
    private Threads() {
    }

    /**
     * Waits up to {@code millis} for {@code t} to end. An interrupt ends the wait early and stays set on the
     * calling thread, for its caller to see.
     */
    public static void join(Thread t, long millis) {
        try {
            t.join(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
