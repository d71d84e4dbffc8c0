package io.xlatbox.engine;

import io.xlatbox.engine.addr.Ipv4Address;
import io.xlatbox.engine.addr.Ipv6Address;

/**
 * A page of the BIB or session table: optionally one protocol, optionally one address (IPv6 or IPv4, matching
 * either end), starting at a cursor returned by the previous page.
 *
 * @param protocol null for all
 * @param address  null for all; an IPv6 or IPv4 address in text form
 * @param cursor   0 for the first page, then {@link Page#nextCursor()}
 * @param limit    entries per page, 1..1000
 */
public record TableQuery(L4Protocol protocol, String address, int cursor, int limit) {
    public TableQuery {
        if (limit < 1 || limit > 1000) {
            throw new IllegalArgumentException("limit must be in 1..1000 (was " + limit + ")");
        }
        if (cursor < 0) {
            throw new IllegalArgumentException("cursor must not be negative");
        }
        if (address != null && !address.isBlank()) {
            if (address.contains(":")) {
                Ipv6Address.parse(address);
            } else {
                Ipv4Address.parse(address);
            }
        }
    }

    public static TableQuery all(int limit) {
        return new TableQuery(null, null, 0, limit);
    }

    /** A page of results and where the next one starts (-1: there is none). */
    public record Page<T>(java.util.List<T> items, int nextCursor) {
    }
}
