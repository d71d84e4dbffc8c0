package io.xlatbox.dns64;

import java.net.InetAddress;
import java.nio.ByteBuffer;

/**
 * What happens to one query between the socket and the resolver: read it, check the client ACL, answer errors,
 * and serve cache hits from stored wire bytes; everything else goes to the {@link Resolver}. It is the fast path:
 * a cache hit allocates nothing and parses nothing beyond the question.
 */
final class QueryHandler {
    /** Nothing to send (dropped, or handed to the resolver, which answers later). */
    static final int NONE = 0;
    /** {@code out} holds the response: send it now. */
    static final int SEND = 1;
    /** Handed to the resolver: {@link Responder#done} follows. */
    static final int PENDING = 2;

    private final Dns64Server server;

    QueryHandler(Dns64Server server) {
        this.server = server;
    }

    /**
     * Serves the query in {@code buf[0, len)} from {@code client}. {@code wq} and {@code out} belong to the calling
     * thread; {@code to} is where {@code responder} sends a later answer.
     */
    int handle(WireQuery wq, byte[] buf, int len, InetAddress client, boolean tcp, Responder responder, Object to,
               ByteBuffer out, Dns64Counters.Stripe stripe) {
        Snapshot s = server.snapshot();
        int status = wq.parse(buf, len);
        if (status == WireQuery.DROP_SHORT) {
            stripe.inc(Dns64Counter.DROP_MALFORMED);
            return NONE;
        }
        if (status == WireQuery.DROP_RESPONSE) {
            stripe.inc(Dns64Counter.DROP_RESPONSE);
            return NONE;
        }
        if (!s.clientAllowed(client)) {
            return error(wq, out, 5, s, stripe); // REFUSED: not an open resolver
        }
        switch (status) {
            case WireQuery.FORMERR: return error(wq, out, 1, s, stripe);
            case WireQuery.NOTIMP: return error(wq, out, 4, s, stripe);
            case WireQuery.BADVERS: return error(wq, out, 16, s, stripe);
            default: break;
        }
        boolean synthesis = s.synthesisAllowed(client);
        wq.finishKey(synthesis);
        int limit = tcp ? 65535 : wq.udpLimit(s.udpSize);
        ResponseCache cache = server.cache();
        long now = System.nanoTime();
        WireAnswer a = cache.get(wq.key, now);
        if (a != null) {
            stripe.inc(Dns64Counter.CACHE_HITS);
            int r = a.render(out, buf, wq.id, wq.flags, wq.edns, wq.dnssecOk, limit, s.udpSize, now);
            stripe.inc(Dns64Counter.forRcode(r & 0xFF));
            if ((r & WireAnswer.TRUNCATED) != 0) {
                stripe.inc(Dns64Counter.TRUNCATED);
            }
            return SEND;
        }
        stripe.inc(Dns64Counter.CACHE_MISSES);
        server.resolver().resolve(s, wq, synthesis, new ClientQuery(wq, limit, responder, to));
        return PENDING;
    }

    private static int error(WireQuery wq, ByteBuffer out, int rcode, Snapshot s, Dns64Counters.Stripe stripe) {
        wq.writeError(out, rcode, s.udpSize);
        stripe.inc(Dns64Counter.forRcode(rcode));
        return SEND;
    }
}
