package io.xlatbox.appliance.api;

import static io.xlatbox.appliance.api.Api.version;
import static io.xlatbox.appliance.testing.Support.json;
import static io.xlatbox.appliance.testing.Support.problem;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * Status, counters, history, the NAT64 tables, DNS64 statistics and the actuator, with the dataplane and the DNS64
 * disabled (as on a box whose engine could not start): every answer is well-formed, tables are empty, nothing is
 * a 500.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"xlatbox.dataplane.enabled=false", "xlatbox.dns64.enabled=false", "xlatbox.tls.enabled=false"})
@ExtendWith(OutputCaptureExtension.class)
class StatusApiTest {
    @TempDir
    static Path dataDir;

    @DynamicPropertySource
    static void dataDir(DynamicPropertyRegistry r) {
        r.add("xlatbox.data-dir", () -> dataDir.toString());
    }

    static Api api;

    @LocalServerPort
    int port;

    @BeforeEach
    void connect(CapturedOutput output) {
        if (api == null) {
            api = Api.connect(port, output, "status-automation");
        }
    }

    @Test
    void statusTellsTheConfigurationVersionWhatRunsAndTheTableSizes() {
        JsonNode s = api.read("/api/v1/status");
        assertThat(s.get("configVersion").asLong()).isEqualTo(version(api.currentETag()));
        JsonNode d = s.get("dataplane");
        assertThat(d.get("engineEnabled").asBoolean()).isFalse();
        assertThat(d.get("engineRunning").asBoolean()).isFalse();
        assertThat(d.get("engineError").isNull()).isTrue();
        assertThat(d.get("dns64Enabled").asBoolean()).isFalse();
        assertThat(d.get("dns64Running").asBoolean()).isFalse();
        assertThat(d.get("dnsPorts")).isEmpty();
        assertThat(d.get("startedAt").asString()).isNotBlank();
        for (String table : List.of("bib", "sessions")) {
            assertThat(s.get(table).propertyNames()).as(table).containsExactlyInAnyOrder("TCP", "UDP", "ICMP");
            s.get(table).values().forEach(n -> assertThat(n.asLong()).isZero());
        }
    }

    @Test
    void countersAndTheirDescriptions() {
        JsonNode c = api.read("/api/v1/status/counters");
        assertThat(c.propertyNames()).containsExactly("nat64", "dns64");
        JsonNode nat64 = c.get("nat64");
        assertThat(nat64.propertyNames()).contains("receivedIpv6", "translated6to4", "translated4to6",
                "dropNotPool6", "dropPoolExhausted", "sessionsCreated");
        nat64.values().forEach(v -> assertThat(v.isNumber()).isTrue());
        assertThat(c.get("dns64").isEmpty()).as("the DNS64 does not run").isTrue();

        JsonNode descriptions = api.read("/api/v1/status/counters/descriptions");
        assertThat(descriptions.propertyNames()).containsExactlyInAnyOrderElementsOf(nat64.propertyNames());
        descriptions.values().forEach(v -> assertThat(v.asString()).isNotBlank());
    }

    @Test
    void historyHasOneListPerSeriesAndHonoursSince() {
        JsonNode h = api.read("/api/v1/status/history");
        List<String> series = List.of("time", "packets6to4", "packets4to6", "bytes6to4", "bytes4to6", "sessionsTcp",
                "sessionsUdp", "sessionsIcmp", "pool4Used", "dnsQueries", "dnsSynthesized", "dnsCacheHits",
                "dnsCacheMisses", "drops");
        assertThat(h.propertyNames()).containsSubsequence(series).hasSize(series.size() + 1)
                .contains("dropsByReason");
        int n = h.get("time").size();
        series.forEach(name -> assertThat(h.get(name)).as(name).hasSize(n));
        // Per drop reason, only the reasons that dropped anything: none without traffic.
        JsonNode byReason = h.get("dropsByReason");
        assertThat(byReason.isObject()).isTrue();
        byReason.values().forEach(v -> assertThat(v).hasSize(n));
        for (int i = 1; i < n; i++) {
            assertThat(h.get("time").get(i).asLong()).isGreaterThan(h.get("time").get(i - 1).asLong());
        }
        JsonNode none = api.read("/api/v1/status/history?since=" + (System.currentTimeMillis() + 60_000));
        assertThat(none.get("time")).isEmpty();
        assertThat(none.get("drops")).isEmpty();
        problem(api.get("/api/v1/status/history?since=yesterday"), 400, "bad-request");
    }

    @Test
    void sessionsAndBibAreEmptyPagesAndTheirFiltersAreChecked() {
        for (String table : List.of("sessions", "bib")) {
            String path = "/api/v1/nat64/" + table;
            for (String query : List.of("", "?protocol=tcp", "?protocol=UDP&limit=5", "?protocol=icmp&cursor=10",
                    "?address=2001:db8::1", "?address=192.0.2.1&limit=5000", "?address=&protocol=")) {
                JsonNode page = api.read(path + query);
                assertThat(page.get("items")).as(path + query).isEmpty();
                assertThat(page.get("nextCursor").asInt()).as(path + query).isEqualTo(-1);
            }
            assertThat(problem(api.get(path + "?protocol=sctp"), 400, "bad-request").get("detail").asString())
                    .contains("sctp");
            assertThat(problem(api.get(path + "?address=not-an-address"), 400, "bad-request").get("detail")
                    .asString()).contains("not-an-address");
            problem(api.get(path + "?address=2001:db8::zz"), 400, "bad-request");
            problem(api.get(path + "?cursor=-1"), 400, "bad-request");
            problem(api.get(path + "?limit=many"), 400, "bad-request");
        }
    }

    @Test
    void pool4UsageListsEveryAddressAndProtocolOfThePool() {
        JsonNode nat64 = api.read("/api/v1/config/nat64");
        JsonNode usage = api.read("/api/v1/nat64/pool4");
        // The factory pool4: 100.64.64.0/24 for TCP and UDP (ports 1024-65535) and ICMP (identifiers 0-65535).
        assertThat(nat64.get("pool4").toString()).contains("100.64.64.0/24");
        assertThat(usage).hasSize(3 * 256);
        List<String> protocols = new ArrayList<>();
        for (JsonNode u : usage) {
            assertThat(u.propertyNames()).containsExactlyInAnyOrder("protocol", "address", "used", "total");
            assertThat(u.get("address").asString()).startsWith("100.64.64.");
            assertThat(u.get("used").asLong()).isZero();
            assertThat(u.get("total").asLong()).isEqualTo(u.get("protocol").asString().equals("ICMP") ? 65536
                    : 64512);
            if (!protocols.contains(u.get("protocol").asString())) {
                protocols.add(u.get("protocol").asString());
            }
        }
        assertThat(protocols).containsExactlyInAnyOrder("TCP", "UDP", "ICMP");
    }

    @Test
    void dns64StatsSayItDoesNotRun() {
        JsonNode s = api.read("/api/v1/dns64/stats");
        assertThat(s.get("running").asBoolean()).isFalse();
        assertThat(s.get("error").isNull()).isTrue();
        assertThat(s.has("counters")).isFalse();
    }

    @Test
    void prometheusExportsTheXlatboxMetrics() {
        HttpResponse<String> r = api.get("/actuator/prometheus");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
        assertThat(r.body()).contains("xlatbox_nat64_translated6to4_total ", "xlatbox_nat64_receivedIpv6_total",
                "xlatbox_nat64_drops_total{reason=\"dropNotPool6\"}", "xlatbox_nat64_sessions{protocol=\"tcp\"}",
                "xlatbox_nat64_bib{protocol=\"icmp\"}", "xlatbox_dns64_queries_udp_total",
                "xlatbox_dns64_synthesized_total");
        assertThat(r.body()).contains("http_server_requests_seconds_count");
    }

    @Test
    void healthIsUpWithTheDataplaneDisabled() {
        HttpResponse<String> r = api.get("/actuator/health");
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode h = json(r);
        assertThat(h.get("status").asString()).isEqualTo("UP");
        JsonNode dataplane = h.at("/components/dataplane");
        assertThat(dataplane.get("status").asString()).isEqualTo("UP");
        assertThat(dataplane.at("/details/engine").asString()).isEqualTo("disabled");
        assertThat(dataplane.at("/details/dns64").asString()).isEqualTo("disabled");
        assertThat(h.at("/components/db/status").asString()).isEqualTo("UP");
    }
}
