package io.xlatbox.clat.discovery;

import io.xlatbox.engine.addr.Rfc6052Prefix;
import java.time.Instant;
import java.util.Objects;

/**
 * The PLAT-side translator's prefix (RFC 6877's "NAT64 prefix"), where it came from, and until when it holds.
 *
 * @param prefix     the RFC 6052 prefix the CLAT embeds IPv4 destinations in
 * @param source     configured, a router advertisement's PREF64 option (RFC 8781), or RFC 7050 discovery
 * @param detail     for people: "RA from fe80::1 on c0, lifetime 1800 s", "DNS64 2001:db8:1::1, TTL 60 s"
 * @param expires    when it must be learned again (PREF64 lifetime, DNS TTL); null: never
 */
public record PlatPrefix(Rfc6052Prefix prefix, Source source, String detail, Instant expires) {
    public enum Source {
        /** Given on the command line or in the configuration. */
        CONFIGURED,
        /** A PREF64 option in a router advertisement (RFC 8781): preferred whenever the network sends one. */
        PREF64,
        /** ipv4only.arpa through the network's DNS64 (RFC 7050): the fallback. */
        RFC7050
    }

    public PlatPrefix {
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(source, "source");
    }

    @Override
    public String toString() {
        String from = switch (source) {
            case CONFIGURED -> "configured";
            case PREF64 -> "PREF64 option (RFC 8781)";
            case RFC7050 -> "RFC 7050 discovery";
        };
        return prefix + " (" + from + (detail == null || detail.isEmpty() ? "" : ": " + detail) + ")";
    }
}
