package io.xlatbox.engine.lan;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.EnumMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The router side of RFC 4861 Neighbor Discovery on the LAN interface: unsolicited Router Advertisements to
 * all-nodes at random intervals, an answer to every valid Router Solicitation, a new advertisement at once when
 * {@link #apply} changes what is advertised, and on {@link #stop()} a final advertisement that tells clients to stop
 * using the router, its NAT64 prefix and its DNS servers (RFC 4861 §6.2.5). Timing is {@link RaSchedule}'s, the
 * message {@link RouterAdvertisement}'s, the checks on solicitations {@link RouterSolicitation}'s.
 *
 * <p>One thread owns the socket: it sends, receives and keeps the schedule; {@link #apply} and {@link #stop} only
 * hand it a new snapshot or the order to stop and wake it. Nothing is logged per packet; {@link #stats()} counts
 * what was sent, received and dropped (by reason). {@link #stop()} leaves nothing behind: the thread ends and the
 * socket and eventfd are closed.
 */
public final class RouterAdvertiser implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(RouterAdvertiser.class.getName());
    /** ff02::1, all nodes. */
    private static final long ALL_NODES_HI = 0xff02_0000_0000_0000L;
    private static final long ALL_NODES_LO = 1;
    /** Solicitations read per wakeup at most, so that a flood cannot starve the timer. */
    private static final int BATCH = 64;
    private static final long JOIN_MILLIS = 5000;

    private final Icmp6Socket socket;
    private final String namespace;
    private final Thread thread;
    private volatile RaConfig config;
    private volatile boolean stopping;
    private volatile String lastError;

    private final AtomicLong multicastAdvertisements = new AtomicLong();
    private final AtomicLong unicastAdvertisements = new AtomicLong();
    private final AtomicLong solicitationsReceived = new AtomicLong();
    private final AtomicLongArray solicitationsDropped = new AtomicLongArray(RouterSolicitation.Drop.values().length);
    private final AtomicLong sendErrors = new AtomicLong();

    /**
     * What the advertiser has done so far.
     *
     * @param multicastAdvertisements advertisements sent to all-nodes (periodic, after a change, or answering
     *                                solicitations from the unspecified address), the final one included
     * @param unicastAdvertisements   advertisements sent to one soliciting host
     * @param solicitationsReceived   valid Router Solicitations
     * @param solicitationsDropped    invalid ones, by reason (RFC 4861 §6.1.1)
     * @param sendErrors              advertisements the kernel refused to send
     * @param lastError               the last send or socket error, or null
     */
    public record Stats(long multicastAdvertisements, long unicastAdvertisements, long solicitationsReceived,
                        Map<RouterSolicitation.Drop, Long> solicitationsDropped, long sendErrors, String lastError) {
        public Stats {
            solicitationsDropped = Map.copyOf(solicitationsDropped);
        }

        public long solicitationsDroppedTotal() {
            return solicitationsDropped.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    private RouterAdvertiser(Icmp6Socket socket, String namespace, RaConfig config) {
        this.socket = socket;
        this.namespace = namespace;
        this.config = config;
        this.thread = new Thread(this::run, "xlatbox-ra-" + config.interfaceName());
        this.thread.setDaemon(true);
    }

    /**
     * Opens the ICMPv6 socket on {@code config.interfaceName()} in {@code namespace} (null: the current one) and
     * starts advertising, the first advertisement at once.
     *
     * @throws IOException when the namespace or the interface does not exist, or without CAP_NET_RAW
     */
    public static RouterAdvertiser start(String namespace, RaConfig config) throws IOException {
        Icmp6Socket s = Icmp6Socket.open(namespace, config.interfaceName());
        RouterAdvertiser a = new RouterAdvertiser(s, namespace, config);
        try {
            a.thread.start();
        } catch (RuntimeException | Error e) {
            s.close();
            throw e;
        }
        LOG.info(() -> "advertising " + config.lanPrefix() + (config.pref64() != null ? ", PREF64 " + config.pref64()
                : "") + " on " + config.interfaceName() + (namespace != null ? " in namespace " + namespace : ""));
        return a;
    }

    /**
     * Advertises {@code newConfig} from now on: an advertisement goes out at once, and the next few follow at the
     * short initial intervals (RFC 4861 §6.2.4). Whatever the old configuration advertised and the new one does not
     * (the NAT64 prefix, DNS servers, the LAN prefix) is sent with lifetime 0 in those advertisements, so that
     * clients switch now. An equal configuration changes nothing.
     *
     * @throws IllegalArgumentException when the interface differs (that takes a new advertiser)
     * @throws IllegalStateException    after {@link #stop()}
     */
    public void apply(RaConfig newConfig) {
        if (stopping) {
            throw new IllegalStateException("the router advertiser on " + config.interfaceName() + " is stopped");
        }
        if (!newConfig.interfaceName().equals(config.interfaceName())) {
            throw new IllegalArgumentException("interfaceName: the advertiser runs on " + config.interfaceName()
                    + "; moving to " + newConfig.interfaceName() + " takes a new one");
        }
        synchronized (this) {
            if (newConfig.equals(config)) {
                return;
            }
            config = newConfig;
        }
        socket.wake();
    }

    /** The configuration advertised (the last one applied). */
    public RaConfig config() {
        return config;
    }

    public String namespace() {
        return namespace;
    }

    public Stats stats() {
        Map<RouterSolicitation.Drop, Long> dropped = new EnumMap<>(RouterSolicitation.Drop.class);
        for (RouterSolicitation.Drop d : RouterSolicitation.Drop.values()) {
            dropped.put(d, solicitationsDropped.get(d.ordinal()));
        }
        return new Stats(multicastAdvertisements.get(), unicastAdvertisements.get(), solicitationsReceived.get(),
                dropped, sendErrors.get(), lastError);
    }

    /** Whether the advertiser's thread is still running. */
    public boolean isRunning() {
        return thread.isAlive();
    }

    /**
     * Sends the final advertisement (Router Lifetime 0, PREF64 and RDNSS lifetime 0), then ends the thread and
     * closes the socket. Idempotent; returns when all of that is done.
     */
    public void stop() {
        stopping = true;
        socket.wake();
        if (Thread.currentThread() != thread) {
            try {
                thread.join(JOIN_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (thread.isAlive()) {
                LOG.warning("router advertiser thread " + thread.getName() + " did not end within " + JOIN_MILLIS
                        + " ms");
            }
        }
    }

    @Override
    public void close() {
        stop();
    }

    private void run() {
        RaConfig current = config;
        try {
            Withdrawals withdrawals = Withdrawals.NONE;
            int withdrawalsLeft = 0;
            byte[] mac = socket.ethernetAddress();
            byte[] advertisement = RouterAdvertisement.encode(current, mac, withdrawals, false);
            RaSchedule schedule = new RaSchedule(new SplittableRandom(), current, System.nanoTime());
            while (!stopping) {
                long now = System.nanoTime();
                RaConfig latest = config;
                if (latest != current) {
                    withdrawals = withdrawals.plus(Withdrawals.between(current, latest), latest);
                    withdrawalsLeft = withdrawals.isEmpty() ? 0 : RaSchedule.MAX_INITIAL_RTR_ADVERTISEMENTS;
                    current = latest;
                    mac = socket.ethernetAddress();
                    advertisement = RouterAdvertisement.encode(current, mac, withdrawals, false);
                    schedule.reconfigure(current, now);
                }
                if (schedule.multicastDue(now)) {
                    if (send(advertisement, ALL_NODES_HI, ALL_NODES_LO, multicastAdvertisements)) {
                        schedule.multicastSent(now);
                        if (withdrawalsLeft > 0 && --withdrawalsLeft == 0) {
                            withdrawals = Withdrawals.NONE;
                            advertisement = RouterAdvertisement.encode(current, mac, withdrawals, false);
                        }
                    } else {
                        schedule.multicastFailed(now);
                    }
                }
                for (RaSchedule.Destination d; (d = schedule.takeDueUnicast(now)) != null; ) {
                    send(advertisement, d.hi(), d.lo(), unicastAdvertisements);
                }
                long waitNanos = schedule.nextDeadline() - System.nanoTime();
                int waitMillis = (int) Math.max(0, Math.min(60_000, (waitNanos + 999_999) / 1_000_000));
                try {
                    if ((socket.await(waitMillis) & 1) != 0) {
                        readSolicitations(schedule);
                    }
                } catch (IOException e) {
                    error(e.getMessage());
                    pause();
                }
            }
            send(RouterAdvertisement.encode(current, mac, withdrawals, true), ALL_NODES_HI, ALL_NODES_LO,
                    multicastAdvertisements);
        } catch (RuntimeException | Error e) {
            lastError = "router advertiser failed: " + e;
            LOG.log(Level.SEVERE, "router advertiser on " + current.interfaceName() + " failed", e);
        } finally {
            socket.close();
        }
    }

    private void readSolicitations(RaSchedule schedule) throws IOException {
        for (int i = 0; i < BATCH; i++) {
            int n = socket.receive();
            if (n < 0) {
                return;
            }
            ByteBuffer msg = socket.received();
            long hi = socket.sourceHi();
            long lo = socket.sourceLo();
            RouterSolicitation.Drop drop = RouterSolicitation.check(msg, n, socket.hopLimit(), hi == 0 && lo == 0);
            if (drop != null) {
                solicitationsDropped.incrementAndGet(drop.ordinal());
            } else {
                solicitationsReceived.incrementAndGet();
                schedule.solicited(System.nanoTime(), hi, lo);
            }
        }
    }

    private boolean send(byte[] message, long hi, long lo, AtomicLong counter) {
        int errno = socket.send(message, hi, lo);
        if (errno == 0) {
            counter.incrementAndGet();
            return true;
        }
        sendErrors.incrementAndGet();
        error("sending a router advertisement on " + config.interfaceName() + ": " + Icmp6Socket.strerror(errno));
        return false;
    }

    /** Keeps the error for {@link #stats()}; logs it only when it differs from the last one (no flood). */
    private void error(String message) {
        if (!message.equals(lastError)) {
            LOG.warning(message);
        }
        lastError = message;
    }

    private void pause() {
        long until = System.nanoTime() + 1_000_000_000L;
        while (!stopping && System.nanoTime() - until < 0) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                return;
            }
        }
    }
}
