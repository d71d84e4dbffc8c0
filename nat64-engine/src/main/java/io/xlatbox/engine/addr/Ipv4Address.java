package io.xlatbox.engine.addr;

/** IPv4 addresses as 32-bit ints: parsing and formatting for configuration and status (not the packet path). */
public final class Ipv4Address {
    private Ipv4Address() {
    }

    /** Parses dotted-quad notation strictly: four decimal octets, no leading zeros beyond a single 0. */
    public static int parse(String text) {
        String[] parts = text.trim().split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("not an IPv4 address: '" + text + "'");
        }
        int v = 0;
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit)
                    || (p.length() > 1 && p.charAt(0) == '0')) {
                throw new IllegalArgumentException("not an IPv4 address: '" + text + "'");
            }
            int o = Integer.parseInt(p);
            if (o > 255) {
                throw new IllegalArgumentException("not an IPv4 address: '" + text + "' (octet " + o + " > 255)");
            }
            v = (v << 8) | o;
        }
        return v;
    }

    public static String format(int a) {
        return ((a >>> 24) & 0xFF) + "." + ((a >>> 16) & 0xFF) + "." + ((a >>> 8) & 0xFF) + "." + (a & 0xFF);
    }

    public static long unsigned(int a) {
        return a & 0xFFFFFFFFL;
    }
}
