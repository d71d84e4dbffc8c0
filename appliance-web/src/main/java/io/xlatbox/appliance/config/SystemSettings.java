package io.xlatbox.appliance.config;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;

/**
 * How the box meets its networks: the interfaces and their roles, and the TUN device of the NAT64. Changing the
 * TUN name or queues restarts the dataplane (sessions are kept); everything else applies live.
 *
 * @param wanInterface  the IPv4 uplink; with {@code nat44}, pool4 is masqueraded behind its address
 * @param lanInterface  the IPv6-only network the clients are on
 */
public record SystemSettings(
        @NotBlank @Pattern(regexp = SystemSettings.HOSTNAME, message = "must be a host name (RFC 1123): 1 to 63 "
                + "letters, digits and '-', not beginning or ending with '-'") String hostname,
        @Pattern(regexp = "[A-Za-z0-9_.@-]{0,15}") String wanInterface,
        @Pattern(regexp = "[A-Za-z0-9_.@-]{0,15}") String lanInterface,
        @NotBlank @Pattern(regexp = "[A-Za-z0-9_.-]{1,15}") String tunName,
        @Min(0) @Max(64) int tunQueues,
        boolean nat44) {

    /** One DNS label (RFC 1123 §2.1): letters, digits and inner hyphens. */
    public static final String HOSTNAME = "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?";

    public static SystemSettings defaults() {
        return new SystemSettings("xlatbox", "", "", "nat64", 0, false);
    }
}
