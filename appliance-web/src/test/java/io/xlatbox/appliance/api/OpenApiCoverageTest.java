package io.xlatbox.appliance.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
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
 * Every operation of the published OpenAPI document has contract tests: the list below names the test class of
 * each, and must equal the document's operations. A new endpoint fails this test until it is tested and listed
 * here; a removed one, until it is removed from the list.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"xlatbox.dataplane.enabled=false", "xlatbox.dns64.enabled=false", "xlatbox.tls.enabled=false"})
@ExtendWith(OutputCaptureExtension.class)
class OpenApiCoverageTest {
    /** Operation ("METHOD /path" as in the document) to the test class that covers it. */
    static final Map<String, String> COVERED = new TreeMap<>(Map.ofEntries(
            Map.entry("GET /api/v1/config", "ConfigApiTest"),
            Map.entry("PUT /api/v1/config", "ConfigApiTest"),
            Map.entry("GET /api/v1/config/nat64", "ConfigApiTest"),
            Map.entry("PUT /api/v1/config/nat64", "ConfigApiTest"),
            Map.entry("GET /api/v1/config/dns64", "ConfigApiTest"),
            Map.entry("PUT /api/v1/config/dns64", "ConfigApiTest"),
            Map.entry("GET /api/v1/config/system", "ConfigApiTest"),
            Map.entry("PUT /api/v1/config/system", "ConfigApiTest"),
            Map.entry("POST /api/v1/config/preview", "ConfigApiTest"),
            Map.entry("GET /api/v1/config/versions", "ConfigApiTest"),
            Map.entry("GET /api/v1/config/versions/{version}", "ConfigApiTest"),
            Map.entry("GET /api/v1/config/versions/{version}/diff", "ConfigApiTest"),
            Map.entry("POST /api/v1/config/versions/{version}/rollback", "ConfigApiTest"),
            Map.entry("GET /api/v1/status", "StatusApiTest"),
            Map.entry("GET /api/v1/status/counters", "StatusApiTest"),
            Map.entry("GET /api/v1/status/counters/descriptions", "StatusApiTest"),
            Map.entry("GET /api/v1/status/history", "StatusApiTest"),
            Map.entry("GET /api/v1/nat64/sessions", "StatusApiTest"),
            Map.entry("GET /api/v1/nat64/bib", "StatusApiTest"),
            Map.entry("GET /api/v1/nat64/pool4", "StatusApiTest"),
            Map.entry("GET /api/v1/dns64/stats", "StatusApiTest"),
            Map.entry("GET /api/v1/backup", "BackupApiTest"),
            Map.entry("POST /api/v1/restore", "BackupApiTest"),
            Map.entry("GET /api/v1/setup", "SecurityApiTest"),
            Map.entry("POST /api/v1/setup", "SecurityApiTest"),
            Map.entry("GET /api/v1/tokens", "SecurityApiTest"),
            Map.entry("POST /api/v1/tokens", "SecurityApiTest"),
            Map.entry("DELETE /api/v1/tokens/{id}", "SecurityApiTest"),
            Map.entry("GET /api/v1/audit", "SecurityApiTest"),
            Map.entry("PUT /api/v1/account/password", "security.AccountPasswordTest, SecurityApiTest")));

    @TempDir
    static Path dataDir;

    @DynamicPropertySource
    static void dataDir(DynamicPropertyRegistry r) {
        r.add("xlatbox.data-dir", () -> dataDir.toString());
    }

    @LocalServerPort
    int port;

    @Test
    void everyOperationOfTheOpenApiDocumentIsCovered(CapturedOutput output) {
        Api api = Api.connect(port, output, "openapi-reader");
        JsonNode doc = api.read("/api/v1/openapi.json");
        assertThat(doc.get("openapi").asString()).startsWith("3.");
        TreeSet<String> documented = new TreeSet<>();
        for (Map.Entry<String, JsonNode> path : doc.get("paths").properties()) {
            for (String method : path.getValue().propertyNames()) {
                if (!method.equals("parameters") && !method.equals("summary") && !method.equals("description")) {
                    documented.add(method.toUpperCase() + " " + path.getKey());
                }
            }
        }
        TreeSet<String> untested = new TreeSet<>(documented);
        untested.removeAll(COVERED.keySet());
        TreeSet<String> gone = new TreeSet<>(COVERED.keySet());
        gone.removeAll(documented);
        assertThat(untested).as("operations without contract tests (test them, then list them in COVERED)")
                .isEmpty();
        assertThat(gone).as("listed operations the API no longer has").isEmpty();
    }
}
