package io.xlatbox.dns64;

/**
 * Everything the DNS64 counts. Drops carry the reason. The names are the ones shown by the UI, the REST API and
 * the metrics.
 */
public enum Dns64Counter {
    QUERIES_UDP("queries received over UDP"),
    QUERIES_TCP("queries received over TCP (RFC 7766)"),
    CACHE_HITS("queries answered from the cache"),
    CACHE_MISSES("queries that needed the upstream or a local answer"),
    COALESCED("queries attached to an identical query already waiting on the upstream"),
    SYNTHESIZED("answers with synthesized AAAA records (RFC 6147 section 5.1.7)"),
    SYNTHESIZED_PTR("PTR answers with a synthesized CNAME (RFC 6147 section 5.3.1)"),
    EXCLUDED_AAAA("AAAA answers with records in the exclusion set (RFC 6147 section 5.1.4)"),
    LOCAL_ANSWERS("answers for ipv4only.arpa and the prefixes' reverse names, made without the upstream"),
    TRUNCATED("UDP responses sent with TC=1"),
    UPSTREAM_QUERIES("queries sent to upstream resolvers over UDP"),
    UPSTREAM_TCP_QUERIES("queries retried over TCP after a truncated upstream answer"),
    UPSTREAM_TIMEOUTS("upstream queries that got no answer in time"),
    UPSTREAM_ERRORS("upstream send failures, malformed answers and TCP failures"),
    UPSTREAM_REJECTED("upstream answers dropped: wrong source, ID or question (RFC 5452)"),
    UPSTREAM_FAILOVERS("upstream queries retried with the next resolver"),
    RESPONSES_NOERROR("responses with RCODE NOERROR"),
    RESPONSES_NXDOMAIN("responses with RCODE NXDOMAIN"),
    RESPONSES_SERVFAIL("responses with RCODE SERVFAIL"),
    RESPONSES_FORMERR("responses with RCODE FORMERR"),
    RESPONSES_NOTIMP("responses with RCODE NOTIMP"),
    RESPONSES_REFUSED("responses with RCODE REFUSED (client not in the ACL, or from upstream)"),
    RESPONSES_BADVERS("responses with extended RCODE BADVERS (EDNS version above 0)"),
    RESPONSES_OTHER("responses with any other RCODE"),
    DROP_MALFORMED("datagrams or TCP messages too short or too broken to answer"),
    DROP_RESPONSE("messages with QR=1 sent to the server (never answered, to avoid loops)"),
    DROP_OVERLOAD("queries dropped: too many waiting on upstreams"),
    DROP_TCP_LIMIT("TCP connections closed at once: too many open, or too many queries outstanding"),
    DROP_SEND_FAILED("responses the socket refused to send");

    static final Dns64Counter[] VALUES = values();

    private final String description;

    Dns64Counter(String description) {
        this.description = description;
    }

    public String description() {
        return description;
    }

    /** The response counter for an RCODE (extended RCODEs included). */
    static Dns64Counter forRcode(int rcode) {
        switch (rcode) {
            case 0: return RESPONSES_NOERROR;
            case 1: return RESPONSES_FORMERR;
            case 2: return RESPONSES_SERVFAIL;
            case 3: return RESPONSES_NXDOMAIN;
            case 4: return RESPONSES_NOTIMP;
            case 5: return RESPONSES_REFUSED;
            case 16: return RESPONSES_BADVERS;
            default: return RESPONSES_OTHER;
        }
    }
}
