package io.xlatbox.clat.lab;

import io.xlatbox.clat.discovery.Pref64Option;
import io.xlatbox.clat.discovery.RouterAdvertisement;
import io.xlatbox.clat.net.Posix;
import io.xlatbox.clat.net.RawSocket;
import io.xlatbox.clat.util.Threads;
import io.xlatbox.engine.addr.Rfc6052Prefix;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;

/**
 * A router advertisement sender for the lab (there is no radvd): from the router's {@code rc}, to ff02::1 with hop
 * limit 255 and the router's link-local source, router lifetime 0 (so the client keeps its static default route),
 * carrying one PREF64 option. It sends every {@code period} until closed; {@link #advertise} changes the option.
 */
public final class RaSender implements AutoCloseable {
    private final RawSocket socket;
    private final int ifIndex;
    private final Thread thread;
    private volatile byte[] message;
    private volatile boolean running = true;

    private RaSender(RawSocket socket, int ifIndex, Duration period) {
        this.socket = socket;
        this.ifIndex = ifIndex;
        this.thread = new Thread(() -> {
            while (running) {
                try {
                    socket.send(message, InetAddress.getByName("ff02::1"), 0, ifIndex);
                } catch (IOException e) {
                    if (running) {
                        System.err.println("RA sender: " + e.getMessage());
                    }
                }
                try {
                    Thread.sleep(period.toMillis());
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "lab-ra-sender");
        this.thread.setDaemon(true);
    }

    public static RaSender start(String namespace, String device, Rfc6052Prefix prefix, long lifetimeSeconds,
                                 Duration period) throws IOException {
        int ifIndex = RawSocket.interfaceIndex(namespace, device);
        RawSocket s = RawSocket.icmp6(namespace);
        s.setInt(Posix.IPPROTO_IPV6, Posix.IPV6_MULTICAST_HOPS, 255);
        s.setInt(Posix.IPPROTO_IPV6, Posix.IPV6_MULTICAST_IF, ifIndex);
        RaSender r = new RaSender(s, ifIndex, period);
        r.advertise(prefix, lifetimeSeconds);
        r.thread.start();
        return r;
    }

    /** From now on, advertise {@code prefix} with this lifetime (0 withdraws it), and send one at once. */
    public void advertise(Rfc6052Prefix prefix, long lifetimeSeconds) throws IOException {
        message = RouterAdvertisement.build(0, Pref64Option.encode(prefix, lifetimeSeconds));
        socket.send(message, InetAddress.getByName("ff02::1"), 0, ifIndex);
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        Threads.join(thread, 2000);
        socket.close();
    }
}
