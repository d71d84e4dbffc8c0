package io.xlatbox.engine.addr;

/** An IPv4 prefix such as 192.0.2.0/24; host bits must be zero. */
public record Ipv4Prefix(int address, int length) {
    public Ipv4Prefix {
        if (length < 0 || length > 32) {
            throw new IllegalArgumentException("IPv4 prefix length " + length + " is not in 0..32");
        }
        if ((address & ~mask(length)) != 0) {
            throw new IllegalArgumentException("IPv4 prefix " + Ipv4Address.format(address) + "/" + length
                    + " has host bits set; did you mean " + Ipv4Address.format(address & mask(length)) + "/" + length + "?");
        }
    }

    /** Parses "a.b.c.d/len", or a bare address as a /32. */
    public static Ipv4Prefix parse(String text) {
        String t = text.trim();
        int slash = t.indexOf('/');
        if (slash < 0) {
            return new Ipv4Prefix(Ipv4Address.parse(t), 32);
        }
        int len;
        try {
            len = Integer.parseInt(t.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad IPv4 prefix length in '" + text + "'");
        }
        return new Ipv4Prefix(Ipv4Address.parse(t.substring(0, slash)), len);
    }

    public static int mask(int length) {
        return length == 0 ? 0 : -1 << (32 - length);
    }

    public boolean contains(int a) {
        return (a & mask(length)) == address;
    }

    public long size() {
        return 1L << (32 - length);
    }

    public int first() {
        return address;
    }

    public int last() {
        return address | ~mask(length);
    }

    public boolean overlaps(Ipv4Prefix o) {
        int l = Math.min(length, o.length);
        return (address & mask(l)) == (o.address & mask(l));
    }

    @Override
    public String toString() {
        return Ipv4Address.format(address) + "/" + length;
    }
}
