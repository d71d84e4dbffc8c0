package io.xlatbox.clat.discovery;

import io.xlatbox.clat.net.Posix;
import io.xlatbox.clat.net.RawSocket;
import io.xlatbox.clat.util.Threads;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Listens for router advertisements on the client's uplink with a raw ICMPv6 socket (only type 134 passes its
 * ICMP6_FILTER; the hop limit comes with each packet, IPV6_RECVHOPLIMIT) and keeps the PREF64 options in a
 * {@link Pref64State}. It listens whatever the kernel does with RAs (the CLAT turns on forwarding, after which the
 * kernel itself ignores them unless accept_ra is 2). {@link #solicit()} sends a router solicitation so that a router
 * answers now instead of at its next periodic advertisement.
 */
public final class Pref64Listener implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Pref64Listener.class.getName());
    private static final InetAddress ALL_ROUTERS = literal("ff02::2");

    private final RawSocket socket;
    private final String device;
    private final int ifIndex;
    private final Clock clock;
    private final Runnable onChange;
    private final Pref64State state = new Pref64State();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile int seen;
    private volatile String lastProblem;

    private Pref64Listener(RawSocket socket, String device, int ifIndex, Clock clock, Runnable onChange) {
        this.socket = socket;
        this.device = device;
        this.ifIndex = ifIndex;
        this.clock = clock;
        this.onChange = onChange;
        this.thread = new Thread(this::loop, "xlatbox-clat-ra-" + device);
        this.thread.setDaemon(true);
    }

    /**
     * Opens the socket in {@code namespace} on {@code device} and starts listening; {@code onChange} runs (on the
     * listener's thread) whenever the PREF64 prefix in use changes, appears or goes away.
     */
    public static Pref64Listener start(String namespace, String device, Clock clock, Runnable onChange)
            throws IOException {
        int ifIndex = RawSocket.interfaceIndex(namespace, device);
        if (ifIndex == 0) {
            throw new IOException("no interface " + device + " to listen for router advertisements on");
        }
        RawSocket s = RawSocket.icmp6(namespace);
        try {
            s.passOnlyIcmp6Types(RouterAdvertisement.TYPE);
            s.setInt(Posix.IPPROTO_IPV6, Posix.IPV6_RECVHOPLIMIT, 1);
            s.setInt(Posix.IPPROTO_IPV6, Posix.IPV6_MULTICAST_HOPS, 255);
            s.setInt(Posix.IPPROTO_IPV6, Posix.IPV6_MULTICAST_IF, ifIndex);
            s.bindToDevice(device);
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
        Pref64Listener l = new Pref64Listener(s, device, ifIndex, clock, onChange);
        l.thread.start();
        return l;
    }

    /** Sends a router solicitation to ff02::2 on the device (RFC 4861 §6.3.7); failures are only logged. */
    public void solicit() {
        try {
            socket.send(RouterAdvertisement.solicitation(), ALL_ROUTERS, 0, ifIndex);
        } catch (IOException e) {
            lastProblem = "cannot send a router solicitation on " + device + ": " + e.getMessage();
            LOG.fine(lastProblem);
        }
    }

    /** Waits up to {@code timeout} for a valid PREF64; returns it, or null. */
    public PlatPrefix await(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (this) {
            while (true) {
                PlatPrefix p = current();
                if (p != null) {
                    return p;
                }
                long left = (deadline - System.nanoTime()) / 1_000_000L;
                if (left <= 0) {
                    return null;
                }
                wait(Math.min(left, 100));
            }
        }
    }

    /** The PREF64 prefix to use now, or null. */
    public PlatPrefix current() {
        return state.effective(clock.instant());
    }

    /** Router advertisements received so far. */
    public int advertisementsSeen() {
        return seen;
    }

    /** The last reason an advertisement or an option was not used, or null. */
    public String lastProblem() {
        return lastProblem;
    }

    public String device() {
        return device;
    }

    private void loop() {
        byte[] buf = new byte[65536];
        while (running) {
            try {
                RawSocket.Received r = socket.receive(buf, 500);
                boolean changed;
                if (r == null) {
                    changed = state.expire(clock.instant());
                } else {
                    seen++;
                    changed = handle(buf, r);
                }
                if (changed) {
                    synchronized (this) {
                        notifyAll();
                    }
                    onChange.run();
                }
            } catch (IOException e) {
                if (running) {
                    lastProblem = "router advertisement listener on " + device + ": " + e.getMessage();
                    LOG.log(Level.WARNING, lastProblem);
                    sleep();
                }
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "router advertisement listener on " + device, e);
                sleep();
            }
        }
    }

    private boolean handle(byte[] buf, RawSocket.Received r) {
        RouterAdvertisement ra;
        try {
            ra = RouterAdvertisement.parse(buf, r.length(), r.source(), r.hopLimit());
        } catch (IllegalArgumentException e) {
            lastProblem = "discarded a router advertisement: " + e.getMessage();
            LOG.fine(lastProblem);
            return state.expire(clock.instant());
        }
        if (!ra.ignored().isEmpty()) {
            lastProblem = "router advertisement from " + r.source().getHostAddress() + ": "
                    + String.join("; ", ra.ignored());
            LOG.info(lastProblem);
        }
        return state.update(ra, device, clock.instant());
    }

    private void sleep() {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            running = false;
        }
    }

    @Override
    public void close() {
        running = false;
        socket.close();
        Threads.join(thread, 2000);
    }

    private static InetAddress literal(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
