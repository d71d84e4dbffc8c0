package io.xlatbox.engine.lan;

import java.nio.ByteBuffer;

/**
 * The Router Solicitation message (RFC 4861 §4.1) and the validity checks of §6.1.1 a router applies before
 * answering one. The checksum is not checked here: on a raw ICMPv6 socket the kernel drops a message whose
 * checksum is wrong before it is read.
 * <pre>
 *  Type 133 | Code 0 | Checksum
 *  Reserved (32 bits)
 *  Options: Source Link-Layer Address (1) …
 * </pre>
 */
public final class RouterSolicitation {
    public static final int TYPE = 133;
    static final int HEADER = 8;

    /** Why a solicitation was dropped; each has a counter. */
    public enum Drop {
        NOT_A_SOLICITATION("not ICMPv6 type 133"),
        HOP_LIMIT("IP hop limit not 255 (sent from off the link)"),
        CODE("ICMP code not 0"),
        TOO_SHORT("ICMP length below 8 octets"),
        BAD_OPTION("an option of length 0, or running past the end of the message"),
        LINK_LAYER_ADDRESS_FROM_UNSPECIFIED("a Source Link-Layer Address option from the unspecified address");

        private final String description;

        Drop(String description) {
            this.description = description;
        }

        public String description() {
            return description;
        }
    }

    private RouterSolicitation() {
    }

    /**
     * The checks of RFC 4861 §6.1.1 on the ICMPv6 message {@code msg[0, length)}.
     *
     * @param hopLimit           the IPv6 hop limit it arrived with, or -1 when unknown (then it is dropped)
     * @param sourceUnspecified  whether the IPv6 source address is ::
     * @return null when valid, else why it must be dropped
     */
    public static Drop check(ByteBuffer msg, int length, int hopLimit, boolean sourceUnspecified) {
        if (length < 1 || (msg.get(0) & 0xFF) != TYPE) {
            return Drop.NOT_A_SOLICITATION;
        }
        if (hopLimit != 255) {
            return Drop.HOP_LIMIT;
        }
        if (length >= 2 && msg.get(1) != 0) {
            return Drop.CODE;
        }
        if (length < HEADER) {
            return Drop.TOO_SHORT;
        }
        int off = HEADER;
        boolean linkLayerAddress = false;
        while (off < length) {
            if (length - off < 2) {
                return Drop.BAD_OPTION;
            }
            int units = msg.get(off + 1) & 0xFF;
            if (units == 0 || units * 8 > length - off) {
                return Drop.BAD_OPTION;
            }
            if ((msg.get(off) & 0xFF) == RouterAdvertisement.OPTION_SOURCE_LINK_LAYER_ADDRESS) {
                linkLayerAddress = true;
            }
            off += units * 8;
        }
        if (sourceUnspecified && linkLayerAddress) {
            return Drop.LINK_LAYER_ADDRESS_FROM_UNSPECIFIED;
        }
        return null;
    }
}
