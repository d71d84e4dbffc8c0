package io.xlatbox.clat.net;

import io.xlatbox.clat.discovery.DnsAnswers;
import io.xlatbox.engine.tun.NetNamespace;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;

/**
 * One DNS query to one server, over UDP (and TCP when the answer is truncated), with sockets opened in a network
 * namespace. Answers that do not match the query (ID, question) are skipped as RFC 5452 says, until the time is up.
 * Nothing here resolves names or reads /etc/resolv.conf: the server is always given.
 */
public final class DnsClient {
    private DnsClient() {
    }

    /**
     * Sends {@code query} to {@code server} from inside {@code namespace} and waits up to {@code timeout} for the
     * answer.
     *
     * @throws SocketTimeoutException when nothing matching came back in time
     * @throws java.net.PortUnreachableException when an ICMP port unreachable came back (no DNS server there)
     * @throws IOException for other socket errors (no route, ...)
     */
    public static Message query(String namespace, InetSocketAddress server, Message query, Duration timeout)
            throws IOException {
        try {
            return NetNamespace.callIn(namespace, () -> udp(server, query, timeout));
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    private static Message udp(InetSocketAddress server, Message query, Duration timeout) throws IOException {
        byte[] wire = query.toWire();
        long deadline = System.nanoTime() + timeout.toNanos();
        try (DatagramSocket s = new DatagramSocket(null)) {
            s.bind(null);
            s.connect(server);
            s.send(new DatagramPacket(wire, wire.length));
            byte[] buf = new byte[65535];
            while (true) {
                long left = (deadline - System.nanoTime()) / 1_000_000L;
                if (left <= 0) {
                    throw new SocketTimeoutException("no answer from " + describe(server) + " within "
                            + timeout.toMillis() + " ms");
                }
                s.setSoTimeout((int) Math.max(1, left));
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                try {
                    s.receive(p);
                } catch (SocketTimeoutException e) {
                    continue; // the loop reports it with the server's name
                }
                Message m;
                try {
                    m = new Message(java.util.Arrays.copyOf(p.getData(), p.getLength()));
                } catch (IOException bad) {
                    continue; // not DNS: keep waiting for the real answer
                }
                if (DnsAnswers.mismatch(query, m) != null) {
                    continue;
                }
                if (m.getHeader().getFlag(Flags.TC)) {
                    return tcp(server, query, Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
                }
                return m;
            }
        }
    }

    private static Message tcp(InetSocketAddress server, Message query, Duration timeout) throws IOException {
        byte[] wire = query.toWire();
        try (Socket s = new Socket()) {
            int ms = (int) Math.max(1, timeout.toMillis());
            s.connect(server, ms);
            s.setSoTimeout(ms);
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            out.writeShort(wire.length);
            out.write(wire);
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            int len = in.readUnsignedShort();
            byte[] buf = new byte[len];
            in.readFully(buf);
            Message m = new Message(buf);
            String why = DnsAnswers.mismatch(query, m);
            if (why != null) {
                throw new IOException(describe(server) + " over TCP: " + why);
            }
            return m;
        }
    }

    /** "2001:db8:1::1" or "[2001:db8:1::1]:5353", "192.0.2.1:5353". */
    public static String describe(InetSocketAddress a) {
        String host = a.getAddress() != null ? Endpoints.text(a.getAddress()) : a.getHostString();
        int pct = host.indexOf('%');
        if (pct >= 0 && !host.startsWith("fe80")) {
            host = host.substring(0, pct);
        }
        if (a.getPort() == 53) {
            return host;
        }
        return host.contains(":") ? "[" + host + "]:" + a.getPort() : host + ":" + a.getPort();
    }
}
