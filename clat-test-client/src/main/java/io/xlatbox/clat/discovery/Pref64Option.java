package io.xlatbox.clat.discovery;

import io.xlatbox.engine.addr.Rfc6052Prefix;

/**
 * The PREF64 option of a router advertisement (RFC 8781 §4):
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Type      |    Length     |     Scaled Lifetime     | PLC |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |              Highest 96 bits of the Prefix (12 octets)        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 * Type 38, Length 2 (units of 8 octets). The Scaled Lifetime is in units of 8 seconds (0: stop using the prefix;
 * at most 8191, so 65528 s). The Prefix Length Code (PLC) gives the length: 0 → /96, 1 → /64, 2 → /56, 3 → /48,
 * 4 → /40, 5 → /32; 6 and 7 are not defined and the option is then ignored. Bits beyond the length are ignored.
 *
 * @param prefix         the NAT64 prefix
 * @param scaledLifetime the 13-bit Scaled Lifetime
 * @param plc            the Prefix Length Code
 */
public record Pref64Option(Rfc6052Prefix prefix, int scaledLifetime, int plc) {
    public static final int TYPE = 38;
    /** Option length in units of 8 octets. */
    public static final int LENGTH_UNITS = 2;
    public static final int SIZE = 16;
    public static final int MAX_SCALED_LIFETIME = 8191;
    private static final int[] LENGTH_BY_PLC = {96, 64, 56, 48, 40, 32};

    /** The lifetime in seconds: Scaled Lifetime × 8. */
    public long lifetimeSeconds() {
        return scaledLifetime * 8L;
    }

    /** The prefix length a PLC stands for, or -1 for the undefined codes 6 and 7. */
    public static int lengthOf(int plc) {
        return plc >= 0 && plc < LENGTH_BY_PLC.length ? LENGTH_BY_PLC[plc] : -1;
    }

    /** The PLC of a prefix length, or -1 if RFC 6052 has no such length. */
    public static int plcOf(int length) {
        for (int i = 0; i < LENGTH_BY_PLC.length; i++) {
            if (LENGTH_BY_PLC[i] == length) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Decodes the option at {@code b[off]} ({@code available} bytes from there).
     *
     * @throws IllegalArgumentException with the reason when the option must be ignored (wrong type or length,
     *                                  undefined PLC, a prefix RFC 6052 forbids)
     */
    public static Pref64Option parse(byte[] b, int off, int available) {
        if (available < 2) {
            throw new IllegalArgumentException("truncated option");
        }
        int type = b[off] & 0xFF;
        if (type != TYPE) {
            throw new IllegalArgumentException("option type " + type + ", not PREF64 (" + TYPE + ")");
        }
        int units = b[off + 1] & 0xFF;
        if (units != LENGTH_UNITS) {
            throw new IllegalArgumentException("PREF64 option of length " + units + " (× 8 octets), not 2: ignored");
        }
        if (available < SIZE) {
            throw new IllegalArgumentException("truncated PREF64 option (" + available + " of 16 octets)");
        }
        int field = ((b[off + 2] & 0xFF) << 8) | (b[off + 3] & 0xFF);
        int scaled = field >>> 3;
        int plc = field & 7;
        int len = lengthOf(plc);
        if (len < 0) {
            throw new IllegalArgumentException("PREF64 option with PLC " + plc + ", which RFC 8781 does not define: "
                    + "ignored");
        }
        long hi = 0;
        for (int i = 0; i < 8; i++) {
            hi = (hi << 8) | (b[off + 4 + i] & 0xFF);
        }
        long lo = 0;
        for (int i = 0; i < 4; i++) {
            lo = (lo << 8) | (b[off + 12 + i] & 0xFF);
        }
        lo <<= 32;
        long maskHi = len >= 64 ? -1L : -1L << (64 - len);
        long maskLo = len <= 64 ? 0L : -1L << (128 - len);
        Rfc6052Prefix prefix;
        try {
            prefix = new Rfc6052Prefix(hi & maskHi, lo & maskLo, len);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("PREF64 option with an unusable prefix: " + e.getMessage());
        }
        String unusable = Rfc7050.unusable(prefix);
        if (unusable != null) {
            throw new IllegalArgumentException("PREF64 option with prefix " + prefix + ": " + unusable);
        }
        return new Pref64Option(prefix, scaled, plc);
    }

    /** The option's 16 octets, as a router sends it; the lifetime is rounded up to units of 8 s. */
    public static byte[] encode(Rfc6052Prefix prefix, long lifetimeSeconds) {
        int scaled = (int) Math.min(MAX_SCALED_LIFETIME, (lifetimeSeconds + 7) / 8);
        return encodeRaw(prefix.hi(), prefix.lo(), scaled, plcOf(prefix.length()));
    }

    /** Any field values, including invalid ones (for tests). */
    public static byte[] encodeRaw(long hi, long lo, int scaled, int plc) {
        byte[] b = new byte[SIZE];
        b[0] = (byte) TYPE;
        b[1] = (byte) LENGTH_UNITS;
        int field = (scaled << 3) | (plc & 7);
        b[2] = (byte) (field >>> 8);
        b[3] = (byte) field;
        for (int i = 0; i < 8; i++) {
            b[4 + i] = (byte) (hi >>> (56 - 8 * i));
        }
        for (int i = 0; i < 4; i++) {
            b[12 + i] = (byte) (lo >>> (56 - 8 * i));
        }
        return b;
    }
}
