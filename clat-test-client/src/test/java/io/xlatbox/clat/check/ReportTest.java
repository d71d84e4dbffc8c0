package io.xlatbox.clat.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xlatbox.clat.check.CheckResult.Status;
import io.xlatbox.clat.util.Json;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReportTest {
    private final Report report = new Report("xl1c", "198.51.100.2", "server.xlatbox.test", "192.0.0.2/29 on clat",
            null, Instant.parse("2025-01-01T00:00:00Z"), 1234, List.of(
            new CheckResult("tcp4", "TCP to 198.51.100.2:80", Status.PASS, 3, "HTTP 200", null, Map.of("status", 200)),
            new CheckResult("udp4", "UDP to 198.51.100.2:7", Status.FAIL, 3000, "no echo",
                    "CLAT clat: 3 IPv4 packets in\nno reply from 64:ff9b::c633:6402 — NAT64 down?", Map.of()),
            new CheckResult("dns4", "DNS to 198.51.100.2", Status.SKIP, 1, "skipped", "no IPv4 resolver at X",
                    Map.of())));

    @Test
    void tableSaysWhatFailedAndWhy() {
        String t = report.table();
        assertTrue(t.contains("pass   tcp4"), t);
        assertTrue(t.contains("FAIL   udp4"), t);
        assertTrue(t.contains("cause: CLAT clat: 3 IPv4 packets in"), t);
        assertTrue(t.contains("       no reply from 64:ff9b::c633:6402"), t);
        assertTrue(t.contains("skip   dns4"), t);
        assertTrue(t.contains("no IPv4 resolver at X"), t);
        assertTrue(t.contains("1 passed, 1 failed, 1 skipped"), t);
        assertFalse(report.passed());
    }

    @Test
    void jsonForMachines() {
        Map<String, Object> m = Json.object(Json.parse(report.toJson()));
        assertEquals("xl1c", m.get("namespace"));
        Map<String, Object> s = Json.object(m.get("summary"));
        assertEquals(1L, s.get("failed"));
        List<Object> checks = Json.array(m.get("checks"));
        assertEquals(3, checks.size());
        Map<String, Object> udp = Json.object(checks.get(1));
        assertEquals("fail", udp.get("status"));
        assertTrue(((String) udp.get("cause")).contains("NAT64 down"));
    }
}
