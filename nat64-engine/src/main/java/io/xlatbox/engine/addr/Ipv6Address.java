package io.xlatbox.engine.addr;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;

/** IPv6 addresses as two longs (high and low 64 bits): parsing and RFC 5952 formatting, off the packet path. */
public final class Ipv6Address {
    private Ipv6Address() {
    }

    /** Parses an IPv6 literal into {high, low}. Rejects names: nothing here ever resolves DNS. */
    public static long[] parse(String text) {
        String t = text.trim();
        if (t.isEmpty() || t.indexOf(':') < 0 || !t.matches("[0-9A-Fa-f:.]+")) {
            throw new IllegalArgumentException("not an IPv6 address: '" + text + "'");
        }
        InetAddress a;
        try {
            a = InetAddress.getByName(t);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IPv6 address: '" + text + "'", e);
        }
        byte[] b = a.getAddress();
        if (b.length != 16) {
            // Java maps ::ffff:a.b.c.d to an Inet4Address; rebuild the mapped form.
            if (b.length == 4) {
                return new long[] {0, 0xFFFF00000000L | (ByteBuffer.wrap(b).getInt() & 0xFFFFFFFFL)};
            }
            throw new IllegalArgumentException("not an IPv6 address: '" + text + "'");
        }
        ByteBuffer bb = ByteBuffer.wrap(b);
        return new long[] {bb.getLong(0), bb.getLong(8)};
    }

    /** RFC 5952 text form. */
    public static String format(long hi, long lo) {
        int[] w = new int[8];
        for (int i = 0; i < 4; i++) {
            w[i] = (int) (hi >>> (48 - 16 * i)) & 0xFFFF;
            w[i + 4] = (int) (lo >>> (48 - 16 * i)) & 0xFFFF;
        }
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; ) {
            if (w[i] == 0) {
                int j = i;
                while (j < 8 && w[j] == 0) {
                    j++;
                }
                if (j - i > bestLen) {
                    bestStart = i;
                    bestLen = j - i;
                }
                i = j;
            } else {
                i++;
            }
        }
        StringBuilder sb = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(w[i]));
        }
        return sb.toString();
    }

    public static Inet6Address toInet(long hi, long lo) {
        byte[] b = ByteBuffer.allocate(16).putLong(hi).putLong(lo).array();
        try {
            return Inet6Address.getByAddress(null, b, -1);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
