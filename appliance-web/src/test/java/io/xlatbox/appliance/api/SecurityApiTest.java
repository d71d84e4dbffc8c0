package io.xlatbox.appliance.api;

import static io.xlatbox.appliance.api.Api.fields;
import static io.xlatbox.appliance.testing.Support.bearer;
import static io.xlatbox.appliance.testing.Support.body;
import static io.xlatbox.appliance.testing.Support.json;
import static io.xlatbox.appliance.testing.Support.problem;
import static org.assertj.core.api.Assertions.assertThat;

import io.xlatbox.appliance.testing.Http;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
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
 * The security endpoints as automation sees them (setup state, tokens, audit log, the session-only password
 * change): their shapes and status codes.
 * Who may call what is AccessTest's subject; this is the contract of the answers.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"xlatbox.dataplane.enabled=false", "xlatbox.dns64.enabled=false", "xlatbox.tls.enabled=false"})
@ExtendWith(OutputCaptureExtension.class)
class SecurityApiTest {
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
            api = Api.connect(port, output, "security-automation");
        }
    }

    @Test
    void setupIsDoneOnceOnly() {
        assertThat(api.read("/api/v1/setup").get("setupRequired").asBoolean()).isFalse();
        Http anonymous = new Http(api.http.base);
        assertThat(json(anonymous.get("/api/v1/setup")).get("setupRequired").asBoolean()).isFalse();
        problem(anonymous.json("POST", "/api/v1/setup", body(Map.of("setupCode", "AAAA-BBBB-CCCC",
                "username", "second", "password", "another long password"))), 409, "setup-done");
    }

    @Test
    void tokensAreCreatedListedAndDeleted() {
        HttpResponse<String> created = api.post("/api/v1/tokens", body(Map.of("name", "ci", "scope", "read")), null);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        JsonNode t = json(created);
        long id = t.get("id").asLong();
        assertThat(created.headers().firstValue("Location")).hasValue("/api/v1/tokens/" + id);
        assertThat(t.get("name").asString()).isEqualTo("ci");
        assertThat(t.get("scope").asString()).isEqualTo("read");
        String secret = t.get("token").asString();
        assertThat(secret).startsWith("xlb_");

        JsonNode list = api.read("/api/v1/tokens");
        assertThat(list.toString()).contains("\"ci\"", "security-automation").doesNotContain(secret);
        for (JsonNode e : list) {
            assertThat(e.propertyNames()).containsExactlyInAnyOrder("id", "name", "scope", "createdAt",
                    "lastUsedAt");
        }
        Http automation = new Http(api.http.base);
        assertThat(automation.get("/api/v1/status", "Authorization", bearer(secret)).statusCode()).isEqualTo(200);

        JsonNode bad = problem(api.post("/api/v1/tokens", body(Map.of("name", " ", "scope", "admin")), null), 422,
                "invalid-request");
        assertThat(fields(bad)).containsExactlyInAnyOrder("name", "scope");
        problem(api.post("/api/v1/tokens", "{\"name\": ", null), 400, "unreadable");

        assertThat(api.http.send("DELETE", "/api/v1/tokens/" + id, null, null, "Authorization",
                bearer(api.token)).statusCode()).isEqualTo(204);
        problem(automation.get("/api/v1/status", "Authorization", bearer(secret)), 401, "invalid-token");
        problem(api.http.send("DELETE", "/api/v1/tokens/" + id, null, null, "Authorization", bearer(api.token)),
                404, "not-found");
        problem(api.http.send("DELETE", "/api/v1/tokens/ci", null, null, "Authorization", bearer(api.token)),
                400, "bad-request");
    }

    @Test
    void thePasswordIsTheSessionsToChangeNotATokens() {
        // AccountPasswordTest covers the change itself; automation gets a clear refusal.
        JsonNode p = problem(api.send("PUT", "/api/v1/account/password", body(Map.of("currentPassword", "x",
                "newPassword", "a long new password")), null), 403, "session-required");
        assertThat(p.get("detail").asString()).contains("API tokens");
    }

    @Test
    void theAuditLogIsPagedNewestFirst() {
        for (int i = 0; i < 3; i++) {
            api.post("/api/v1/tokens", body(Map.of("name", "audit-" + i, "scope", "read")), null);
        }
        JsonNode first = api.read("/api/v1/audit?limit=2");
        JsonNode entries = first.get("entries");
        assertThat(entries).hasSize(2);
        assertThat(entries.get(0).propertyNames()).contains("id", "at", "actor", "action", "detail", "remote");
        assertThat(entries.get(0).get("action").asString()).isEqualTo("token.create");
        assertThat(entries.get(0).get("actor").asString()).isEqualTo("token:security-automation");
        assertThat(entries.get(0).get("id").asLong()).isGreaterThan(entries.get(1).get("id").asLong());
        long next = first.get("next").asLong();
        JsonNode second = api.read("/api/v1/audit?limit=2&before=" + next);
        assertThat(second.get("entries").get(0).get("id").asLong()).isLessThan(next);
        JsonNode last = api.read("/api/v1/audit?limit=500&before=2");
        assertThat(last.get("next").isNull()).isTrue();
        problem(api.get("/api/v1/audit?before=yesterday"), 400, "bad-request");
    }
}
