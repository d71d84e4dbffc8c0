package io.xlatbox.engine.nat64;

import io.xlatbox.engine.EngineConfig;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The NAT64 state every worker shares: BIB, sessions, hosts, pool4, held SYNs and fragments, timers.
 *
 * <p>Concurrency without locks. Any worker may <em>read</em> the session tables at any time: that is the fast
 * path of an established flow (one index lookup, one cache line, a last-use write). Everything else (creating or
 * removing state, TCP state changes, timers, fragments, ICMP errors, reconfiguration) is done by the one thread
 * that holds the writer role. A worker takes the role with a single compare-and-set and never waits for it: when
 * another worker holds it, the packet is handed to that worker (see {@code SlowPathQueue}). Readers check the
 * entry an index lookup gives them against the packet, so a lookup racing with a writer's change is at worst a
 * miss, which sends the packet to the writer; and a removed session's id is reused only after every worker has
 * finished the packet it was working on (epochs).
 */
public final class Nat64State {
    static final int MAX_WORKERS = 256;

    BibTable bibs;
    /** Volatile: workers on the fast path pick up tables replaced by {@code grow}. */
    volatile SessionTable sessions;
    HostTable hosts;
    HashIndex adf;
    ExpiryWheel wheel;
    Pool4Allocator pool4;
    SynStore syns;
    FragmentTracker frags64;
    FragmentTracker frags46;
    /** The configuration last applied to the tables (packets read their own snapshot). */
    EngineConfig cfg;
    final int secret = (int) (System.nanoTime() ^ 0x5DEECE66DL);

    private final AtomicInteger writer = new AtomicInteger();
    /** One per worker, a cache line apart so that workers do not share lines. */
    private static final int EPOCH_SPACING = 8;
    private final AtomicLongArray epochs = new AtomicLongArray(MAX_WORKERS * EPOCH_SPACING);
    private final AtomicInteger workers = new AtomicInteger();
    private int[] limbo;
    private int limboCount;
    private int[] sealed;
    private int sealedCount;
    private final long[] sealedEpochs = new long[MAX_WORKERS];

    public Nat64State(EngineConfig config) {
        int cap = config.maxSessions();
        cfg = config;
        allocateTables(cap);
        pool4 = new Pool4Allocator(config.pool4());
        syns = new SynStore(config.maxStoredSyns());
        newFragmentTrackers(config);
    }

    void allocateTables(int cap) {
        bibs = new BibTable(cap + EngineConfig.MAX_STATIC_BIB);
        sessions = new SessionTable(cap);
        hosts = new HostTable(cap);
        adf = new HashIndex(cap);
        wheel = new ExpiryWheel(cap);
        resetQuarantine(cap);
    }

    void newFragmentTrackers(EngineConfig c) {
        int slot = Math.max(c.ipv6Mtu(), c.ipv4Mtu()) + 64;
        frags64 = new FragmentTracker(c.maxFragmentBuffers(), slot);
        frags46 = new FragmentTracker(c.maxFragmentBuffers(), slot);
    }

    // ---- the writer role

    /** Takes the writer role if nobody holds it; never waits. */
    public boolean tryAcquireWriter() {
        return writer.get() == 0 && writer.compareAndSet(0, 1);
    }

    /** Gives the writer role back; everything written before is visible to the next holder. */
    public void releaseWriter() {
        writer.set(0);
    }

    /** For the control plane (configuration, status), which may wait: spins politely until it holds the role. */
    public void acquireWriter() {
        while (!tryAcquireWriter()) {
            Thread.onSpinWait();
            Thread.yield();
        }
    }

    // ---- epochs: when may a removed session's id be reused?

    int registerWorker() {
        int w = workers.getAndIncrement();
        if (w >= MAX_WORKERS) {
            throw new IllegalStateException("more than " + MAX_WORKERS + " workers");
        }
        return w;
    }

    /** Publishes a worker's epoch: odd while it is inside a packet, even between packets. */
    void publishEpoch(int w, long epoch) {
        epochs.lazySet(w * EPOCH_SPACING, epoch);
    }

    /** A removed session's id waits here until no worker can still be reading the entry. */
    void retire(int id) {
        limbo[limboCount++] = id;
    }

    /**
     * Frees the ids sealed earlier once every other worker has left the packet it was in when they were sealed,
     * then seals the ids retired since. Called by the writer ({@code self}) on its timer tick and when the
     * session table runs out of free ids.
     */
    void reclaim(int self) {
        int n = Math.min(workers.get(), MAX_WORKERS);
        if (sealedCount > 0) {
            for (int w = 0; w < n; w++) {
                long then = sealedEpochs[w];
                if (w != self && (then & 1) == 1 && epochs.get(w * EPOCH_SPACING) == then) {
                    return; // still inside the packet it was in at sealing time
                }
            }
            for (int i = 0; i < sealedCount; i++) {
                sessions.ids.release(sealed[i]);
            }
            sealedCount = 0;
        }
        if (limboCount > 0) {
            int[] t = sealed;
            sealed = limbo;
            limbo = t;
            sealedCount = limboCount;
            limboCount = 0;
            for (int w = 0; w < n; w++) {
                sealedEpochs[w] = epochs.get(w * EPOCH_SPACING);
            }
        }
    }

    /** After the tables were replaced: ids retired from the old ones mean nothing now. */
    void resetQuarantine(int capacity) {
        limbo = new int[capacity];
        sealed = new int[capacity];
        limboCount = 0;
        sealedCount = 0;
    }

    /** Ids waiting to be reused. */
    int quarantined() {
        return limboCount + sealedCount;
    }
}
