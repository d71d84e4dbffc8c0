package io.xlatbox.engine.addr;

/**
 * An IPv4-embedded IPv6 prefix (RFC 6052 §2.2): one of the lengths 32, 40, 48, 56, 64, 96. Bits 64..71 (the
 * "u" octet) are never used for the IPv4 address and must be zero in the prefix.
 */
public final class Rfc6052Prefix {
    /** The Well-Known Prefix 64:ff9b::/96 (RFC 6052 §2.1). */
    public static final Rfc6052Prefix WELL_KNOWN = parse("64:ff9b::/96");

    private final long hi;
    private final long lo;
    private final int length;
    private final long maskHi;
    private final long maskLo;

    public Rfc6052Prefix(long hi, long lo, int length) {
        if (length != 32 && length != 40 && length != 48 && length != 56 && length != 64 && length != 96) {
            throw new IllegalArgumentException("RFC 6052 prefix " + Ipv6Address.format(hi, lo) + "/" + length
                    + " has an illegal length: it must be /32, /40, /48, /56, /64 or /96");
        }
        this.length = length;
        this.maskHi = length >= 64 ? -1L : -1L << (64 - length);
        this.maskLo = length <= 64 ? 0L : -1L << (128 - length);
        if ((hi & ~maskHi) != 0 || (lo & ~maskLo) != 0) {
            throw new IllegalArgumentException("RFC 6052 prefix " + Ipv6Address.format(hi, lo) + "/" + length
                    + " has bits set beyond its length; did you mean "
                    + Ipv6Address.format(hi & maskHi, lo & maskLo) + "/" + length + "?");
        }
        if ((lo >>> 56) != 0) {
            throw new IllegalArgumentException("RFC 6052 prefix " + Ipv6Address.format(hi, lo) + "/" + length
                    + " sets bits 64-71, the 'u' octet, which RFC 6052 section 2.2 reserves and requires to be zero");
        }
        this.hi = hi;
        this.lo = lo;
    }

    /** Parses "2001:db8::/32" and so on; the length is required. */
    public static Rfc6052Prefix parse(String text) {
        String t = text.trim();
        int slash = t.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("RFC 6052 prefix '" + text + "' needs a length, e.g. 64:ff9b::/96");
        }
        int len;
        try {
            len = Integer.parseInt(t.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad prefix length in '" + text + "'");
        }
        long[] a = Ipv6Address.parse(t.substring(0, slash));
        return new Rfc6052Prefix(a[0], a[1], len);
    }

    public int length() { return length; }
    public long hi() { return hi; }
    public long lo() { return lo; }

    public boolean isWellKnown() {
        return hi == WELL_KNOWN_HI && lo == 0 && length == 96;
    }

    private static final long WELL_KNOWN_HI = 0x0064ff9b00000000L;

    /** True when the address lies under this prefix. */
    public boolean contains(long aHi, long aLo) {
        return (aHi & maskHi) == hi && (aLo & maskLo) == lo;
    }

    /** High 64 bits of the address that embeds {@code v4} (§2.2, Figure 1). */
    public long embedHi(int v4) {
        long a = v4 & 0xFFFFFFFFL;
        switch (length) {
            case 32: return hi | a;
            case 40: return hi | (a >>> 8);
            case 48: return hi | (a >>> 16);
            case 56: return hi | (a >>> 24);
            default: return hi;
        }
    }

    /** Low 64 bits of the address that embeds {@code v4}; the u octet and the suffix are zero. */
    public long embedLo(int v4) {
        long a = v4 & 0xFFFFFFFFL;
        switch (length) {
            case 32: return 0;
            case 40: return (a & 0xFF) << 48;
            case 48: return (a & 0xFFFF) << 40;
            case 56: return (a & 0xFFFFFF) << 32;
            case 64: return a << 24;
            default: return lo | a;
        }
    }

    /** The IPv4 address embedded in an address under this prefix (§2.3); the u octet and suffix are ignored. */
    public int extract(long aHi, long aLo) {
        switch (length) {
            case 32: return (int) aHi;
            case 40: return (int) ((aHi & 0xFFFFFF) << 8 | ((aLo >>> 48) & 0xFF));
            case 48: return (int) ((aHi & 0xFFFF) << 16 | ((aLo >>> 40) & 0xFFFF));
            case 56: return (int) ((aHi & 0xFF) << 24 | ((aLo >>> 32) & 0xFFFFFF));
            case 64: return (int) (aLo >>> 24);
            default: return (int) aLo;
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Rfc6052Prefix p && p.hi == hi && p.lo == lo && p.length == length;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(hi) * 31 + Long.hashCode(lo) * 7 + length;
    }

    @Override
    public String toString() {
        return Ipv6Address.format(hi, lo) + "/" + length;
    }
}
