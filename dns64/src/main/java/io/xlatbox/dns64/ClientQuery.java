package io.xlatbox.dns64;

import java.util.Arrays;

/** A client query waiting for the upstream: a copy of its bytes and what its response needs. */
final class ClientQuery {
    final byte[] bytes;
    final int id;
    final int flags;
    final int questionEnd;
    final boolean edns;
    final boolean dnssecOk;
    final int limit;
    final Responder responder;
    final Object to;

    ClientQuery(WireQuery q, int limit, Responder responder, Object to) {
        this.bytes = Arrays.copyOf(q.buf, q.len);
        this.id = q.id;
        this.flags = q.flags;
        this.questionEnd = q.questionEnd;
        this.edns = q.edns;
        this.dnssecOk = q.dnssecOk;
        this.limit = limit;
        this.responder = responder;
        this.to = to;
    }
}
