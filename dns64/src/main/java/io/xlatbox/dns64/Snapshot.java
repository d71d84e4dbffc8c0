package io.xlatbox.dns64;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;

/** One configuration as the query path uses it: the config, its Synthesizer and its ACLs. Immutable. */
final class Snapshot {
    final Dns64Config config;
    final Synthesizer synthesizer;
    final long maxTtlSeconds;
    final int udpSize;
    final List<InetSocketAddress> upstreams;
    private final AddressPrefix[] clientAcl;
    private final AddressPrefix[] synthesisAcl;

    Snapshot(Dns64Config config) {
        this.config = config;
        synthesizer = new Synthesizer(config);
        maxTtlSeconds = config.cacheMaxTtl().getSeconds();
        udpSize = config.ednsBufferSize();
        upstreams = config.upstreams().stream().map(Dns64Config.Endpoint::socketAddress).toList();
        clientAcl = config.clientAcl().toArray(new AddressPrefix[0]);
        synthesisAcl = config.synthesisAcl().toArray(new AddressPrefix[0]);
    }

    boolean clientAllowed(InetAddress a) {
        return matches(clientAcl, a);
    }

    boolean synthesisAllowed(InetAddress a) {
        return matches(synthesisAcl, a);
    }

    private static boolean matches(AddressPrefix[] acl, InetAddress a) {
        for (AddressPrefix p : acl) {
            if (p.contains(a)) {
                return true;
            }
        }
        return false;
    }
}
