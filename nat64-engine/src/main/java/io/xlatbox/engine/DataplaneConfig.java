package io.xlatbox.engine;

import java.util.Objects;

/**
 * How the engine meets the host: the TUN device, its queues (one worker each), the network namespace it lives
 * in, and what the engine sets up around it. Unlike {@link EngineConfig}, these take effect at {@link Engine#start}.
 *
 * @param tunName     the TUN device (created if absent, attached to if it exists with the same flags)
 * @param queues      TUN queues, one worker thread each
 * @param tunMtu      MTU set on the TUN; 0 means the larger of ipv6Mtu and ipv4Mtu
 * @param namespace   network namespace to create the TUN and routes in (as in /var/run/netns); null: the current one
 * @param manageRoutes route pool6 and pool4 into the TUN and turn on IPv6 and IPv4 forwarding
 * @param nat44Interface when set, masquerade pool4 behind this interface's address with nftables (one WAN address)
 * @param offloads    take and give GSO super-packets and partial checksums through the TUN (IFF_VNET_HDR and
 *                    TUNSETOFFLOAD); a kernel without them is detected and the engine runs without
 */
public record DataplaneConfig(String tunName, int queues, int tunMtu, String namespace, boolean manageRoutes,
                              String nat44Interface, boolean offloads) {
    public DataplaneConfig {
        Objects.requireNonNull(tunName, "tunName");
        if (queues < 1 || queues > 64) {
            throw new IllegalArgumentException("queues must be in 1..64 (was " + queues + ")");
        }
        if (tunMtu != 0 && (tunMtu < 1280 || tunMtu > 65535)) {
            throw new IllegalArgumentException("tunMtu must be 0 (automatic) or in 1280..65535 (was " + tunMtu + ")");
        }
    }

    /** TUN "nat64", one queue per core, routes and forwarding managed, no NAT44, the current namespace. */
    public static DataplaneConfig defaults() {
        return new DataplaneConfig("nat64", Runtime.getRuntime().availableProcessors(), 0, null, true, null, true);
    }

    public DataplaneConfig withTunName(String name) {
        return new DataplaneConfig(name, queues, tunMtu, namespace, manageRoutes, nat44Interface, offloads);
    }

    public DataplaneConfig withQueues(int n) {
        return new DataplaneConfig(tunName, n, tunMtu, namespace, manageRoutes, nat44Interface, offloads);
    }

    public DataplaneConfig withNamespace(String ns) {
        return new DataplaneConfig(tunName, queues, tunMtu, ns, manageRoutes, nat44Interface, offloads);
    }

    public DataplaneConfig withManageRoutes(boolean manage) {
        return new DataplaneConfig(tunName, queues, tunMtu, namespace, manage, nat44Interface, offloads);
    }

    public DataplaneConfig withNat44(String wanInterface) {
        return new DataplaneConfig(tunName, queues, tunMtu, namespace, manageRoutes, wanInterface, offloads);
    }

    public DataplaneConfig withOffloads(boolean on) {
        return new DataplaneConfig(tunName, queues, tunMtu, namespace, manageRoutes, nat44Interface, on);
    }

    public DataplaneConfig withTunMtu(int mtu) {
        return new DataplaneConfig(tunName, queues, mtu, namespace, manageRoutes, nat44Interface, offloads);
    }
}
