package io.xlatbox.dns64;

import io.xlatbox.engine.addr.Ipv4Address;
import io.xlatbox.engine.addr.Ipv4Prefix;
import io.xlatbox.engine.addr.Ipv6Address;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;

/**
 * An IPv4 or IPv6 prefix ("10.0.0.0/8", "fc00::/7", or a bare address as a host prefix), for client ACLs and
 * the AAAA exclusion set (RFC 6147 §5.1.4). IPv6 is held as two longs, like the engine's addresses.
 */
public record AddressPrefix(boolean v6, long hi, long lo, int length) {
    public AddressPrefix {
        int max = v6 ? 128 : 32;
        if (length < 0 || length > max) {
            throw new IllegalArgumentException("prefix length " + length + " is not in 0.." + max);
        }
        long mHi = maskHi(v6 ? length : 0);
        long mLo = v6 ? maskLo(length) : Ipv4Prefix.mask(length) & 0xFFFFFFFFL;
        if (v6 ? ((hi & ~mHi) != 0 || (lo & ~mLo) != 0) : (hi != 0 || (lo & ~mLo) != 0)) {
            String fixed = v6 ? Ipv6Address.format(hi & mHi, lo & mLo) : Ipv4Address.format((int) (lo & mLo));
            throw new IllegalArgumentException("prefix " + text(v6, hi, lo, length) + " has host bits set; did you mean "
                    + fixed + "/" + length + "?");
        }
    }

    /** Parses "a.b.c.d/len", "x::y/len", or a bare address (a /32 or /128). Names are rejected. */
    public static AddressPrefix parse(String text) {
        String t = text.trim();
        int slash = t.indexOf('/');
        String addr = slash < 0 ? t : t.substring(0, slash);
        boolean v6 = addr.indexOf(':') >= 0;
        int len;
        if (slash < 0) {
            len = v6 ? 128 : 32;
        } else {
            try {
                len = Integer.parseInt(t.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad prefix length in '" + text + "'");
            }
        }
        if (v6) {
            long[] a = Ipv6Address.parse(addr);
            return new AddressPrefix(true, a[0], a[1], len);
        }
        return new AddressPrefix(false, 0, Ipv4Address.parse(addr) & 0xFFFFFFFFL, len);
    }

    public static AddressPrefix of(Ipv4Prefix p) {
        return new AddressPrefix(false, 0, p.address() & 0xFFFFFFFFL, p.length());
    }

    /** True for an IPv6 address (hi, lo) inside this (IPv6) prefix. */
    public boolean contains6(long aHi, long aLo) {
        return v6 && (aHi & maskHi(length)) == hi && (aLo & maskLo(length)) == lo;
    }

    /** True for an IPv4 address inside this (IPv4) prefix. */
    public boolean contains4(int a) {
        return !v6 && (a & Ipv4Prefix.mask(length)) == (int) lo;
    }

    /** Matches a socket address; IPv4-mapped IPv6 addresses (dual-stack sockets) are matched as IPv4. */
    public boolean contains(InetAddress a) {
        if (a instanceof Inet4Address) {
            return contains4(a.hashCode()); // Inet4Address.hashCode() is the address itself
        }
        byte[] b = a.getAddress();
        ByteBuffer bb = ByteBuffer.wrap(b);
        long aHi = bb.getLong(0);
        long aLo = bb.getLong(8);
        if (a instanceof Inet6Address && aHi == 0 && (aLo >>> 32) == 0xFFFF) {
            return contains4((int) aLo);
        }
        return contains6(aHi, aLo);
    }

    /** True when the two prefixes share an address. */
    public boolean overlaps(AddressPrefix o) {
        if (v6 != o.v6) {
            return false;
        }
        int l = Math.min(length, o.length);
        if (v6) {
            return (hi & maskHi(l)) == (o.hi & maskHi(l)) && (lo & maskLo(l)) == (o.lo & maskLo(l));
        }
        int m = Ipv4Prefix.mask(l);
        return ((int) lo & m) == ((int) o.lo & m);
    }

    static long maskHi(int length) {
        return length == 0 ? 0 : length >= 64 ? -1L : -1L << (64 - length);
    }

    static long maskLo(int length) {
        return length <= 64 ? 0 : length == 128 ? -1L : -1L << (128 - length);
    }

    private static String text(boolean v6, long hi, long lo, int length) {
        return (v6 ? Ipv6Address.format(hi, lo) : Ipv4Address.format((int) lo)) + "/" + length;
    }

    @Override
    public String toString() {
        return text(v6, hi, lo, length);
    }
}
