package io.xlatbox.dns64;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;

/**
 * UDP on one address and port: N threads, each with its own socket bound with SO_REUSEPORT so that the kernel
 * spreads datagrams over them. A thread receives, hands the bytes to the {@link QueryHandler}, and sends what it
 * gets back. I/O only.
 */
final class UdpListener implements AutoCloseable {
    private final DatagramChannel[] channels;
    private final Thread[] threads;
    final int port;
    private volatile boolean running = true;

    private UdpListener(DatagramChannel[] channels, int port) {
        this.channels = channels;
        this.threads = new Thread[channels.length];
        this.port = port;
    }

    /** Binds {@code threads} sockets to {@code address} (port 0: one free port for all of them) and starts them. */
    static UdpListener open(InetSocketAddress address, int threads, QueryHandler handler, Dns64Counters counters)
            throws IOException {
        DatagramChannel[] chs = new DatagramChannel[threads];
        StandardProtocolFamily family = address.getAddress() instanceof Inet6Address
                ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET;
        int port = address.getPort();
        if (port == 0 && threads > 1) {
            // A free port, found without SO_REUSEPORT: with it, the kernel could hand out a port that another
            // SO_REUSEPORT socket of ours already has, and the two would share the traffic.
            try (DatagramChannel probe = DatagramChannel.open(family)) {
                probe.bind(address);
                port = ((InetSocketAddress) probe.getLocalAddress()).getPort();
            }
        }
        try {
            for (int i = 0; i < threads; i++) {
                chs[i] = DatagramChannel.open(family);
                if (threads > 1 && chs[i].supportedOptions().contains(StandardSocketOptions.SO_REUSEPORT)) {
                    chs[i].setOption(StandardSocketOptions.SO_REUSEPORT, true);
                }
                chs[i].setOption(StandardSocketOptions.SO_RCVBUF, 4 << 20);
                chs[i].setOption(StandardSocketOptions.SO_SNDBUF, 4 << 20);
                chs[i].bind(new InetSocketAddress(address.getAddress(), port));
                port = ((InetSocketAddress) chs[i].getLocalAddress()).getPort();
            }
        } catch (IOException | RuntimeException e) {
            for (DatagramChannel c : chs) {
                if (c != null) {
                    c.close();
                }
            }
            throw e;
        }
        UdpListener l = new UdpListener(chs, port);
        for (int i = 0; i < threads; i++) {
            DatagramChannel ch = chs[i];
            Thread t = new Thread(() -> l.loop(ch, handler, counters), "dns64-udp-" + port + "-" + i);
            t.setDaemon(true);
            l.threads[i] = t;
            t.start();
        }
        return l;
    }

    /** Sends answers that come back later, from the resolver, on the socket the query came in on. */
    private record ChannelResponder(DatagramChannel ch, Dns64Counters counters) implements Responder {
        @Override
        public void send(Object to, ByteBuffer response) {
            try {
                ch.send(response, (SocketAddress) to);
            } catch (IOException | RuntimeException e) {
                counters.inc(Dns64Counter.DROP_SEND_FAILED);
            }
        }
    }

    private void loop(DatagramChannel ch, QueryHandler handler, Dns64Counters counters) {
        ByteBuffer in = ByteBuffer.allocateDirect(65535);
        ByteBuffer out = ByteBuffer.allocateDirect(65535 + 64);
        byte[] buf = new byte[65535];
        WireQuery wq = new WireQuery();
        Dns64Counters.Stripe stripe = counters.stripe();
        Responder responder = new ChannelResponder(ch, counters);
        while (running) {
            SocketAddress from;
            try {
                in.clear();
                from = ch.receive(in);
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException | RuntimeException e) {
                if (!running) {
                    return;
                }
                stripe.inc(Dns64Counter.DROP_MALFORMED);
                continue;
            }
            int n = in.position();
            in.flip();
            in.get(buf, 0, n);
            stripe.inc(Dns64Counter.QUERIES_UDP);
            try {
                InetSocketAddress src = (InetSocketAddress) from;
                if (handler.handle(wq, buf, n, src.getAddress(), false, responder, from, out, stripe)
                        == QueryHandler.SEND) {
                    ch.send(out, from);
                }
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                stripe.inc(Dns64Counter.DROP_SEND_FAILED);
            } catch (RuntimeException e) {
                stripe.inc(Dns64Counter.DROP_MALFORMED); // never let one datagram end the listener
            }
        }
    }

    @Override
    public void close() {
        running = false;
        for (DatagramChannel c : channels) {
            try {
                c.close();
            } catch (IOException ignored) {
                // closing
            }
        }
        for (Thread t : threads) {
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
