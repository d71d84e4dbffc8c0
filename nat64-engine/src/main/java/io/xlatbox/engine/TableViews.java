package io.xlatbox.engine;

/** Read-only views of table entries for status pages and the API, in the RFC 6146 notation. */
public final class TableViews {
    private TableViews() {
    }

    /** A BIB entry (X',x) &lt;-&gt; (T,t). */
    public record BibEntry(L4Protocol protocol, String ipv6Address, int ipv6Port, String ipv4Address, int ipv4Port,
                           boolean isStatic, int sessions) {
    }

    /**
     * A session (X',x),(Y',y) &lt;-&gt; (T,t),(Z,z); for ICMP the ports are the identifiers and y, z are 0.
     *
     * @param tcpState RFC 6146 §3.5.2 state name; empty for UDP and ICMP
     * @param expiresInMillis time left before the session expires unless a packet refreshes it
     */
    public record Session(L4Protocol protocol, String ipv6Address, int ipv6Port, String remoteIpv6Address,
                          int remoteIpv6Port, String ipv4Address, int ipv4Port, String remoteIpv4Address,
                          int remoteIpv4Port, String tcpState, long expiresInMillis) {
    }

    /** Ports (or identifiers) of one pool4 address in use for one protocol. */
    public record Pool4Usage(L4Protocol protocol, String address, long used, long total) {
    }
}
