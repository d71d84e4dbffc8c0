package io.xlatbox.appliance.config;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;
import java.util.List;

/**
 * NAT64 settings (RFC 6146, RFC 7915). Timeouts are in seconds. The engine checks everything again when the
 * settings become an {@code EngineConfig}, so its errors (RFC minimums, overlaps, illegal prefixes) reach the user
 * with the same field names. The length limits are those of the database columns.
 */
public record Nat64Settings(
        @NotBlank @Size(max = 64) String pool6,
        @NotNull List<@NotNull @Valid Pool4Range> pool4,
        @NotNull List<@NotNull @Valid StaticBinding> staticBib,
        @Min(120) long udpTimeout,
        @Min(7440) long tcpEstablishedTimeout,
        @Min(240) long tcpTransitoryTimeout,
        @Min(1) long icmpTimeout,
        @Min(1) @Max(16_777_216) int maxSessions,
        @Min(1) @Max(16_777_216) int maxSessionsPerHost,
        boolean addressDependentFiltering,
        boolean dropExternallyInitiatedTcp,
        @Min(1280) @Max(65535) int ipv6Mtu,
        @Min(68) @Max(65535) int ipv4Mtu,
        @Min(1280) @Max(65535) int lowestIpv6Mtu,
        @Size(max = 64) String ownIpv4Address,
        @Size(max = 64) String ownIpv6Address,
        boolean allowNonGlobalWithWellKnownPrefix) {

    public Nat64Settings {
        pool4 = ConfigLists.copy(pool4);
        staticBib = ConfigLists.copy(staticBib);
    }

    /** One pool4 entry: a prefix of IPv4 addresses times a port range, for one protocol (tcp, udp or icmp). */
    public record Pool4Range(@NotBlank @Size(max = 8) String protocol, @NotBlank @Size(max = 32) String prefix,
                             @Min(0) @Max(65535) int portMin, @Min(0) @Max(65535) int portMax) {
    }

    /** A static BIB entry: an IPv6 service reachable from IPv4 at a fixed pool4 transport address. */
    public record StaticBinding(@NotBlank @Size(max = 8) String protocol, @NotBlank @Size(max = 64) String ipv6Address,
                                @Min(0) @Max(65535) int ipv6Port, @NotBlank @Size(max = 32) String ipv4Address,
                                @Min(0) @Max(65535) int ipv4Port) {
    }

    public static Nat64Settings defaults() {
        return new Nat64Settings("64:ff9b::/96", List.of(
                new Pool4Range("tcp", "100.64.64.0/24", 1024, 65535),
                new Pool4Range("udp", "100.64.64.0/24", 1024, 65535),
                new Pool4Range("icmp", "100.64.64.0/24", 0, 65535)),
                List.of(), 300, 7440, 240, 60, 262_144, 16_384, false, false, 1500, 1500, 1280, null, null, false);
    }
}
