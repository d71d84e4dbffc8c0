package io.xlatbox.appliance.config;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;
import java.util.List;

/**
 * DNS64 settings (RFC 6147): where it listens, whom it asks, which prefixes it synthesizes with, what it
 * excludes, and who may use it. Addresses with ports are written "address:port" ("[v6]:port" for IPv6). The
 * length limits are those of the database columns.
 */
public record Dns64Settings(
        boolean enabled,
        @NotNull List<@NotBlank @Size(max = 200) String> listen,
        @NotNull List<@NotBlank @Size(max = 200) String> upstreams,
        @NotNull List<@NotNull @Valid Dns64Prefix> prefixes,
        @NotNull List<@NotBlank @Size(max = 200) String> exclusions,
        @NotNull List<@NotBlank @Size(max = 200) String> clientAcl,
        @NotNull List<@NotBlank @Size(max = 200) String> synthesisAcl,
        @Min(100) @Max(10_000) int upstreamTimeoutMillis,
        @Min(0) @Max(10_000_000) int cacheMaxEntries,
        boolean allowNonGlobalWithWellKnownPrefix) {

    public Dns64Settings {
        listen = ConfigLists.copy(listen);
        upstreams = ConfigLists.copy(upstreams);
        prefixes = ConfigLists.copy(prefixes);
        exclusions = ConfigLists.copy(exclusions);
        clientAcl = ConfigLists.copy(clientAcl);
        synthesisAcl = ConfigLists.copy(synthesisAcl);
    }

    /** A synthesis prefix and the IPv4 ranges it may carry (RFC 6147 §5.1.7); no ranges means all. */
    public record Dns64Prefix(@NotBlank @Size(max = 64) String prefix,
                              @NotNull List<@NotBlank String> mappedRanges) {
        public Dns64Prefix {
            mappedRanges = ConfigLists.copy(mappedRanges);
        }
    }

    public static Dns64Settings defaults() {
        return new Dns64Settings(true, List.of("[::]:53", "0.0.0.0:53"), List.of("9.9.9.9:53", "1.1.1.1:53"),
                List.of(new Dns64Prefix("64:ff9b::/96", List.of())), List.of("::ffff:0:0/96"),
                List.of("127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7",
                        "fe80::/10", "2000::/3"),
                List.of("::/0", "0.0.0.0/0"), 1500, 100_000, false);
    }
}
