package io.xlatbox.appliance.sessions;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.xlatbox.appliance.dataplane.DataplaneService;
import io.xlatbox.engine.L4Protocol;
import io.xlatbox.engine.TableQuery;
import io.xlatbox.engine.TableViews;
import io.xlatbox.engine.TranslatorGroup;
import java.util.List;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The BIB and session tables (RFC 6146 §3.1, §3.2), paged and filtered, and pool4 usage. Before the NAT64 has
 * started (the first moments of a boot) the tables are empty.
 */
@RestController
@RequestMapping("/api/v1/nat64")
@Tag(name = "nat64 tables")
public class SessionsRestController {
    private final DataplaneService dataplane;

    public SessionsRestController(DataplaneService dataplane) {
        this.dataplane = dataplane;
    }

    @GetMapping("/sessions")
    @Operation(summary = "A page of sessions; protocol tcp|udp|icmp, address matches any end; "
            + "cursor from the last page")
    public TableQuery.Page<TableViews.Session> sessions(@RequestParam(required = false) String protocol,
                                                        @RequestParam(required = false) String address,
                                                        @RequestParam(defaultValue = "0") int cursor,
                                                        @RequestParam(defaultValue = "100") int limit) {
        TableQuery q = query(protocol, address, cursor, limit);
        TranslatorGroup g = dataplane.group();
        return g == null ? new TableQuery.Page<>(List.of(), -1) : g.sessions(q);
    }

    @GetMapping("/bib")
    @Operation(summary = "A page of BIB entries")
    public TableQuery.Page<TableViews.BibEntry> bib(@RequestParam(required = false) String protocol,
                                                    @RequestParam(required = false) String address,
                                                    @RequestParam(defaultValue = "0") int cursor,
                                                    @RequestParam(defaultValue = "100") int limit) {
        TableQuery q = query(protocol, address, cursor, limit);
        TranslatorGroup g = dataplane.group();
        return g == null ? new TableQuery.Page<>(List.of(), -1) : g.bib(q);
    }

    @GetMapping("/pool4")
    @Operation(summary = "Ports (ICMP identifiers) in use per pool4 address and protocol")
    public List<TableViews.Pool4Usage> pool4() {
        TranslatorGroup g = dataplane.group();
        return g == null ? List.of() : g.pool4Usage();
    }

    static TableQuery query(String protocol, String address, int cursor, int limit) {
        L4Protocol p = protocol == null || protocol.isBlank() ? null : L4Protocol.parse(protocol);
        return new TableQuery(p, address == null || address.isBlank() ? null : address.trim(), cursor,
                Math.max(1, Math.min(limit, 1000)));
    }
}
