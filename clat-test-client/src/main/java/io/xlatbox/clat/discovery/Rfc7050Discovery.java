package io.xlatbox.clat.discovery;

import io.xlatbox.clat.net.DnsClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xbill.DNS.Message;

/**
 * RFC 7050 discovery over the network: asks each resolver for AAAA ipv4only.arpa from inside the client's namespace,
 * a few times each, and returns the first valid prefix (RFC 7050 §3 parsing in {@link Rfc7050}). When none comes,
 * the exception names every resolver and what it did (silence, ICMP unreachable, NODATA, NXDOMAIN, bad records).
 */
public final class Rfc7050Discovery {
    private static final SecureRandom RANDOM = new SecureRandom();
    /** RFC 7050 §5 says to learn the prefix again when the TTL runs out; a DNS64 may send 0, so at least this. */
    public static final Duration MIN_REFRESH = Duration.ofSeconds(60);

    private Rfc7050Discovery() {
    }

    public static PlatPrefix discover(String namespace, List<InetSocketAddress> resolvers, int attempts,
                                      Duration perAttempt, Clock clock) throws DiscoveryException {
        if (resolvers.isEmpty()) {
            throw new DiscoveryException("no resolver to ask for ipv4only.arpa (none given with --dns, and none in "
                    + (namespace != null ? "/etc/netns/" + namespace + "/resolv.conf or " : "") + "/etc/resolv.conf)");
        }
        Map<InetSocketAddress, String> failures = new LinkedHashMap<>();
        List<InetSocketAddress> pending = new ArrayList<>(resolvers);
        for (int attempt = 1; attempt <= attempts && !pending.isEmpty(); attempt++) {
            for (InetSocketAddress r : new ArrayList<>(pending)) {
                String name = DnsClient.describe(r);
                Message q = Rfc7050.query(RANDOM.nextInt(1 << 16));
                Message answer;
                try {
                    answer = DnsClient.query(namespace, r, q, perAttempt);
                } catch (SocketTimeoutException e) {
                    failures.put(r, name + ": no answer to AAAA ipv4only.arpa (" + attempt + " attempt"
                            + (attempt > 1 ? "s" : "") + ", " + perAttempt.toMillis() + " ms each)");
                    continue;
                } catch (PortUnreachableException e) {
                    failures.put(r, name + ": ICMP port unreachable, no DNS server listens there");
                    pending.remove(r);
                    continue;
                } catch (IOException e) {
                    failures.put(r, name + ": " + e.getMessage());
                    pending.remove(r);
                    continue;
                }
                try {
                    Rfc7050.Result result = Rfc7050.fromResponse(q, answer, name);
                    long ttl = result.ttl() < 0 ? MIN_REFRESH.toSeconds() : Math.max(result.ttl(),
                            MIN_REFRESH.toSeconds());
                    String detail = "DNS64 " + name + ", TTL " + result.ttl() + " s"
                            + (result.prefixes().size() > 1 ? ", also offers " + result.prefixes().subList(1,
                            result.prefixes().size()) : "")
                            + (result.notes().isEmpty() ? "" : "; " + String.join("; ", result.notes()));
                    return new PlatPrefix(result.prefixes().get(0), PlatPrefix.Source.RFC7050, detail,
                            Instant.now(clock).plusSeconds(ttl));
                } catch (DiscoveryException e) {
                    failures.put(r, e.getMessage());
                    pending.remove(r);
                }
            }
        }
        throw new DiscoveryException("RFC 7050 discovery failed: " + String.join("; ", failures.values()));
    }
}
