package io.xlatbox.clat.net;

import io.xlatbox.engine.addr.Ipv4Address;
import io.xlatbox.engine.addr.Ipv6Address;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Address literals with an optional port, and the resolvers of a namespace's resolv.conf. Never resolves names. */
public final class Endpoints {
    private Endpoints() {
    }

    /**
     * Parses "192.0.2.1", "192.0.2.1:5353", "2001:db8::1", "[2001:db8::1]" or "[2001:db8::1]:5353" (port
     * {@code defaultPort} when none).
     */
    public static InetSocketAddress parse(String text, int defaultPort) {
        String t = text.trim();
        String host = t;
        int port = defaultPort;
        if (t.startsWith("[")) {
            int close = t.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("missing ']' in '" + text + "'");
            }
            host = t.substring(1, close);
            if (close + 1 < t.length()) {
                if (t.charAt(close + 1) != ':') {
                    throw new IllegalArgumentException("expected ':port' after ']' in '" + text + "'");
                }
                port = port(t.substring(close + 2), text);
            }
        } else if (t.indexOf(':') >= 0 && t.indexOf(':') == t.lastIndexOf(':')) {
            host = t.substring(0, t.indexOf(':'));
            port = port(t.substring(t.indexOf(':') + 1), text);
        }
        return new InetSocketAddress(literal(host), port);
    }

    private static int port(String p, String text) {
        try {
            int v = Integer.parseInt(p);
            if (v < 1 || v > 65535) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad port in '" + text + "'");
        }
    }

    /** An IPv4 or IPv6 literal (an IPv6 link-local may carry %scope); names are refused. */
    public static InetAddress literal(String text) {
        String t = text.trim();
        try {
            if (t.indexOf(':') >= 0) {
                int pct = t.indexOf('%');
                Ipv6Address.parse(pct >= 0 ? t.substring(0, pct) : t); // validates, never resolves
                return InetAddress.getByName(t);
            }
            return InetAddress.getByAddress(java.nio.ByteBuffer.allocate(4).putInt(Ipv4Address.parse(t)).array());
        } catch (UnknownHostException | IllegalArgumentException e) {
            throw new IllegalArgumentException("not an IP address literal: '" + text + "'");
        }
    }

    /** RFC 5952 text for IPv6 ("64:ff9b::c633:6402", not Java's "64:ff9b:0:0:0:0:c633:6402"), dotted quad for IPv4. */
    public static String text(InetAddress a) {
        if (a == null) {
            return null;
        }
        byte[] b = a.getAddress();
        if (b.length != 16) {
            return a.getHostAddress();
        }
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(b);
        String s = Ipv6Address.format(bb.getLong(0), bb.getLong(8));
        if (a instanceof java.net.Inet6Address i6 && i6.getScopeId() != 0 && a.isLinkLocalAddress()) {
            s += "%" + i6.getScopeId();
        }
        return s;
    }

    public static InetAddress ipv4(String text) {
        InetAddress a = literal(text);
        if (a.getAddress().length != 4) {
            throw new IllegalArgumentException("not an IPv4 address: '" + text + "'");
        }
        return a;
    }

    /**
     * The nameservers a program in {@code namespace} would use: {@code /etc/netns/NS/resolv.conf} (what
     * {@code ip netns exec} shows it) if it exists, else {@code /etc/resolv.conf}.
     */
    public static List<InetSocketAddress> resolvers(String namespace) throws IOException {
        Path file = Path.of("/etc/resolv.conf");
        if (namespace != null && Files.isRegularFile(Path.of("/etc/netns", namespace, "resolv.conf"))) {
            file = Path.of("/etc/netns", namespace, "resolv.conf");
        }
        if (!Files.isReadable(file)) {
            return List.of();
        }
        return parseResolvConf(Files.readString(file));
    }

    public static List<InetSocketAddress> parseResolvConf(String text) {
        List<InetSocketAddress> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            String[] w = line.trim().split("\\s+");
            if (w.length >= 2 && w[0].equals("nameserver")) {
                try {
                    out.add(new InetSocketAddress(literal(w[1]), 53));
                } catch (IllegalArgumentException ignored) {
                    // not a literal: resolv.conf allows only literals, skip it
                }
            }
        }
        return out;
    }
}
