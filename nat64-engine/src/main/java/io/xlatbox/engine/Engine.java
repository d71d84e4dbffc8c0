package io.xlatbox.engine;

import io.xlatbox.engine.addr.Ipv4Prefix;
import io.xlatbox.engine.addr.Pool4Entry;
import io.xlatbox.engine.host.HostNetwork;
import io.xlatbox.engine.tun.NetNamespace;
import io.xlatbox.engine.tun.TunDevice;
import io.xlatbox.engine.tun.TunException;
import io.xlatbox.engine.tun.TunOffload;
import io.xlatbox.engine.tun.Wakeup;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Logger;

/**
 * The NAT64 dataplane: a multi-queue TUN device, one worker thread per queue, a timer thread, and the host routes
 * around them. {@link #start} brings it all up (or nothing, with a clear exception); {@link #apply} swaps the
 * configuration live, keeping the sessions that do not depend on what changed; {@link #stop} takes it all down,
 * leaving no thread, file descriptor, device or route behind.
 */
public final class Engine implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Engine.class.getName());
    private static final long TIMER_PERIOD_MILLIS = 200;
    private static final int TUN_QUEUE_LENGTH = 2000;

    private final TranslatorGroup group;
    private final DataplaneConfig dataplane;
    private final TunDevice tun;
    private final HostNetwork host;
    private final Wakeup wakeup;
    private final List<Worker> workers = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final Thread timer;
    private volatile boolean running = true;

    private Engine(TranslatorGroup group, DataplaneConfig dp, TunDevice tun, HostNetwork host, Wakeup wakeup) {
        this.group = group;
        this.dataplane = dp;
        this.tun = tun;
        this.host = host;
        this.wakeup = wakeup;
        for (int i = 0; i < tun.queues(); i++) {
            Worker w = new Worker(tun.queue(i), group.newWorker(), wakeup, group.counters().newStripe(),
                    dp.offloads());
            workers.add(w);
            Thread t = new Thread(w, "xlatbox-" + tun.name() + "-q" + i);
            t.setDaemon(true);
            threads.add(t);
        }
        timer = new Thread(this::runTimers, "xlatbox-" + tun.name() + "-timers");
        timer.setDaemon(true);
        threads.forEach(Thread::start);
        timer.start();
    }

    /**
     * Creates and configures the TUN device (in the configured namespace), routes pool6 and pool4 into it, turns
     * on forwarding, sets up NAT44 if asked, and starts one worker per queue.
     *
     * @throws IOException naming the device and the cause (missing /dev/net/tun, EPERM, name in use, a failed
     *                     route); whatever had been set up is undone
     */
    public static Engine start(EngineConfig config, DataplaneConfig dp) throws IOException {
        return start(TranslatorGroup.stateful(config, Clock.systemUTC()), dp);
    }

    /** Starts the dataplane for an existing translator group (its sessions carry over a restart of the TUN). */
    public static Engine start(TranslatorGroup group, DataplaneConfig dp) throws IOException {
        EngineConfig config = group.config();
        int mtu = dp.tunMtu() != 0 ? dp.tunMtu() : Math.max(config.ipv6Mtu(), config.ipv4Mtu());
        TunDevice tun;
        try {
            tun = NetNamespace.callIn(dp.namespace(), () -> {
                TunDevice t = TunDevice.open(dp.tunName(), dp.queues(), dp.queues() > 1, dp.offloads());
                try {
                    if (dp.offloads()) {
                        enableOffloads(t);
                    }
                    t.setMtu(mtu);
                    // Room for bursts while a worker is busy: fewer drops, fewer TCP retransmissions.
                    t.setTxQueueLength(TUN_QUEUE_LENGTH);
                    t.setUp(true);
                    return t;
                } catch (IOException | RuntimeException e) {
                    t.close();
                    throw e;
                }
            });
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("cannot create TUN '" + dp.tunName() + "': " + e.getMessage(), e);
        }
        HostNetwork host = new HostNetwork(dp.namespace());
        Wakeup wakeup = null;
        try {
            if (dp.manageRoutes()) {
                host.enableForwarding();
                host.routeToTun(tun.name(), config.pool6(), pool4Prefixes(config));
            }
            if (dp.nat44Interface() != null && !dp.nat44Interface().isBlank()) {
                host.masquerade(pool4Prefixes(config), dp.nat44Interface());
            }
            wakeup = new Wakeup();
        } catch (IOException | RuntimeException e) {
            host.undo();
            tun.close();
            throw e;
        }
        Engine engine = new Engine(group, dp, tun, host, wakeup);
        LOG.info(() -> "NAT64 up on " + tun.name() + " (" + tun.queues() + " queues, MTU " + mtu + ") pool6 "
                + config.pool6() + " pool4 " + pool4Prefixes(config)
                + (dp.namespace() != null ? " in namespace " + dp.namespace() : ""));
        return engine;
    }

    /**
     * Asks for checksum offload, TSO and (Linux 6.2+) USO. A kernel that refuses USO gets TSO alone; one that
     * refuses everything leaves the device without offloads, which works all the same, only slower.
     */
    private static void enableOffloads(TunDevice t) {
        int tso = TunOffload.CSUM | TunOffload.TSO4 | TunOffload.TSO6 | TunOffload.TSO_ECN;
        try {
            t.setOffload(tso | TunOffload.USO4 | TunOffload.USO6);
            return;
        } catch (TunException e) {
            LOG.info(() -> "TUN " + t.name() + ": no UDP segmentation offload (" + e.getMessage() + "); TSO only");
        }
        try {
            t.setOffload(tso);
        } catch (TunException e) {
            LOG.warning(() -> "TUN " + t.name() + ": the kernel refuses offloads (" + e.getMessage()
                    + "); translating packet by packet");
        }
    }

    static Set<Ipv4Prefix> pool4Prefixes(EngineConfig c) {
        Set<Ipv4Prefix> s = new LinkedHashSet<>();
        for (Pool4Entry e : c.pool4()) {
            s.add(e.prefix());
        }
        for (var b : c.staticBib()) {
            boolean covered = s.stream().anyMatch(p -> p.contains(b.ipv4Address()));
            if (!covered) {
                s.add(new Ipv4Prefix(b.ipv4Address(), 32));
            }
        }
        return s;
    }

    private void runTimers() {
        PacketSink sink = workers.get(0).plainSink();
        while (running) {
            try {
                Thread.sleep(TIMER_PERIOD_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            if (running) {
                group.runTimers(sink);
            }
        }
    }

    /**
     * Swaps the configuration live: routes follow pool6 and pool4, sessions survive unless the change removes
     * what they use (then they are dropped and counted). Returns the number of sessions dropped.
     */
    public synchronized int apply(EngineConfig next) throws IOException {
        EngineConfig prev = group.config();
        if (!prev.pool6().equals(next.pool6()) || !pool4Prefixes(prev).equals(pool4Prefixes(next))) {
            if (dataplane.manageRoutes()) {
                host.routeToTun(tun.name(), next.pool6(), pool4Prefixes(next));
            }
            if (dataplane.nat44Interface() != null && !dataplane.nat44Interface().isBlank()) {
                host.masquerade(pool4Prefixes(next), dataplane.nat44Interface());
            }
        }
        return group.apply(next);
    }

    /** How many sessions {@link #apply} would drop, so that a UI can warn before. */
    public int sessionsDroppedBy(EngineConfig next) {
        return group.sessionsDroppedBy(next);
    }

    public EngineConfig config() {
        return group.config();
    }

    public TranslatorGroup group() {
        return group;
    }

    public Map<Counter, Long> counters() {
        return group.counters().snapshot();
    }

    public String tunName() {
        return tun.name();
    }

    /** Whether every worker is still running (a worker stops only when its TUN queue fails). */
    public boolean healthy() {
        return running && workers.stream().allMatch(w -> w.failure() == null);
    }

    /** Stops the workers and the timer, removes the device and the routes and NAT44 the engine added. */
    public synchronized void stop() {
        if (!running) {
            return;
        }
        running = false;
        workers.forEach(Worker::stop);
        wakeup.signal();
        timer.interrupt();
        for (Thread t : threads) {
            joinQuietly(t);
        }
        joinQuietly(timer);
        List<String> failures = host.undo(); // while the device still exists, so that its routes can be deleted
        tun.close();
        wakeup.close();
        failures.forEach(f -> LOG.warning("cleanup: " + f));
        LOG.info(() -> "NAT64 on " + tun.name() + " stopped");
    }

    private static void joinQuietly(Thread t) {
        try {
            t.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        stop();
    }
}
