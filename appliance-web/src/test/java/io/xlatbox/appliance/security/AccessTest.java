package io.xlatbox.appliance.security;

import static io.xlatbox.appliance.testing.Support.PASSWORD;
import static io.xlatbox.appliance.testing.Support.USER;
import static io.xlatbox.appliance.testing.Support.bearer;
import static io.xlatbox.appliance.testing.Support.body;
import static io.xlatbox.appliance.testing.Support.json;
import static io.xlatbox.appliance.testing.Support.problem;
import static io.xlatbox.appliance.testing.Support.xsrf;
import static org.assertj.core.api.Assertions.assertThat;

import io.xlatbox.appliance.testing.Http;
import io.xlatbox.appliance.testing.Support;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** Who may reach what, over real HTTP: tokens and their scopes, sessions and CSRF, the audit log, backups. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"xlatbox.dataplane.enabled=false", "xlatbox.dns64.enabled=false", "xlatbox.tls.enabled=false"})
@ExtendWith(OutputCaptureExtension.class)
class AccessTest {
    @TempDir
    static Path dataDir;

    @DynamicPropertySource
    static void dataDir(DynamicPropertyRegistry r) {
        r.add("xlatbox.data-dir", () -> dataDir.toString());
    }

    @LocalServerPort
    int port;
    @Autowired
    JdbcClient jdbc;

    Http anonymous;
    Http browser;

    @BeforeEach
    void setUp(CapturedOutput output) {
        anonymous = new Http("http://localhost:" + port);
        Support.ensureSetUp(anonymous, output);
        browser = new Http("http://localhost:" + port);
        Support.loginOk(browser);
    }

    @Test
    void withoutATokenTheApiAnswers401AndPagesGoToLogin() {
        JsonNode p = problem(anonymous.get("/api/v1/config"), 401, "unauthorized");
        assertThat(p.get("detail").asString()).contains("Bearer");
        HttpResponse<String> bad = anonymous.get("/api/v1/config", "Authorization", bearer("xlb_nonsense"));
        problem(bad, 401, "invalid-token");
        assertThat(bad.headers().firstValue("WWW-Authenticate")).hasValue("Bearer error=\"invalid_token\"");
        HttpResponse<String> page = anonymous.get("/");
        assertThat(page.statusCode()).isEqualTo(302);
        assertThat(Http.location(page)).endsWith("/login");
        // A token is no way into the pages: they are for the logged-in admin.
        String read = Support.token(browser, "pages", "read");
        assertThat(anonymous.get("/tokens", "Authorization", bearer(read)).statusCode()).isIn(302, 403);
    }

    @Test
    void aReadTokenReadsButCannotWriteAndAWriteTokenCan() {
        String read = Support.token(browser, "monitoring", "read");
        String write = Support.token(browser, "automation", "write");

        HttpResponse<String> nat64 = anonymous.get("/api/v1/config/nat64", "Authorization", bearer(read));
        assertThat(nat64.statusCode()).isEqualTo(200);
        String etag = nat64.headers().firstValue("ETag").orElseThrow();
        ObjectNode changed = (ObjectNode) json(nat64);
        changed.put("udpTimeout", changed.get("udpTimeout").asLong() + 60);

        HttpResponse<String> refused = anonymous.json("PUT", "/api/v1/config/nat64", changed.toString(),
                "Authorization", bearer(read), "If-Match", etag);
        assertThat(problem(refused, 403, "insufficient-scope").get("detail").asString()).contains("write");
        problem(anonymous.json("POST", "/api/v1/tokens", body(Map.of("name", "x", "scope", "write")),
                "Authorization", bearer(read)), 403, "insufficient-scope");
        assertThat(anonymous.get("/actuator/prometheus", "Authorization", bearer(read)).statusCode()).isEqualTo(200);
        assertThat(anonymous.get("/actuator/health", "Authorization", bearer(read)).statusCode()).isEqualTo(200);

        // Bearer requests need no CSRF token: a browser never sends an Authorization header on its own.
        HttpResponse<String> ok = anonymous.json("PUT", "/api/v1/config/nat64", changed.toString(),
                "Authorization", bearer(write), "If-Match", etag);
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        assertThat(json(ok).get("changed").asBoolean()).isTrue();
        long version = json(ok).get("version").asLong();

        // The change is in the audit log, by the token.
        JsonNode entries = json(anonymous.get("/api/v1/audit", "Authorization", bearer(read))).get("entries");
        JsonNode newest = entries.get(0);
        assertThat(newest.get("action").asString()).isEqualTo("config.change");
        assertThat(newest.get("actor").asString()).isEqualTo("token:automation");
        assertThat(newest.get("detail").asString()).startsWith("version " + version + ": ").contains("udpTimeout");
        assertThat(newest.get("remote").asString()).isNotBlank();
    }

    @Test
    void tokensAreShownOnceStoredHashedListedWithoutSecretsAndDeletable() {
        String token = Support.token(browser, "short-lived", "read");
        assertThat(token).startsWith("xlb_").hasSizeGreaterThan(40);
        String hash = jdbc.sql("SELECT TOKENHASH FROM API_TOKEN WHERE NAME = 'short-lived'").query(String.class)
                .single();
        assertThat(hash).isEqualTo(TokenService.hash(token)).doesNotContain(token);

        HttpResponse<String> list = anonymous.get("/api/v1/tokens", "Authorization", bearer(token));
        assertThat(list.statusCode()).isEqualTo(200);
        assertThat(list.body()).contains("short-lived").doesNotContain(token).doesNotContain(hash);
        long id = -1;
        for (JsonNode t : json(list)) {
            if (t.get("name").asString().equals("short-lived")) {
                id = t.get("id").asLong();
                assertThat(t.get("lastUsedAt").isNull()).as("last use recorded").isFalse();
            }
        }
        HttpResponse<String> del = browser.send("DELETE", "/api/v1/tokens/" + id, null, null,
                "X-XSRF-TOKEN", xsrf(browser));
        assertThat(del.statusCode()).isEqualTo(204);
        problem(anonymous.get("/api/v1/tokens", "Authorization", bearer(token)), 401, "invalid-token");
        problem(browser.send("DELETE", "/api/v1/tokens/" + id, null, null, "X-XSRF-TOKEN", xsrf(browser)), 404,
                "not-found");
        assertThat(jdbc.sql("SELECT ACTION FROM AUDIT_LOG ORDER BY ID").query(String.class).list())
                .containsSubsequence("token.create", "token.delete");
    }

    @Test
    void theTokensPageShowsANewTokenOnceOnly() {
        HttpResponse<String> created = browser.submit("/tokens", "/tokens", Map.of("name", "grafana",
                "scope", "read"));
        assertThat(created.statusCode()).isEqualTo(302);
        String page = browser.get("/tokens").body();
        assertThat(page).contains("Token created").contains("grafana");
        String token = page.replaceAll("(?s).*<code class=\"secret\">(xlb_[A-Za-z0-9_-]+)</code>.*", "$1");
        assertThat(token).startsWith("xlb_");
        assertThat(anonymous.get("/api/v1/config", "Authorization", bearer(token)).statusCode()).isEqualTo(200);
        assertThat(browser.get("/tokens").body()).doesNotContain(token).contains("grafana");
    }

    @Test
    void csrfIsEnforcedOnFormsAndOnSessionApiWrites() {
        // Forms: without the hidden _csrf field, refused.
        assertThat(browser.form("/tokens", Map.of("name", "x", "scope", "read")).statusCode()).isEqualTo(403);
        assertThat(browser.form("/logout", Map.of()).statusCode()).isEqualTo(403);
        assertThat(anonymous.form("/login", Map.of("username", USER, "password", PASSWORD)).statusCode())
                .isEqualTo(403);

        // The session calling the API (the dashboard's JavaScript): reads need nothing, writes need the header.
        HttpResponse<String> nat64 = browser.get("/api/v1/config/nat64");
        assertThat(nat64.statusCode()).isEqualTo(200);
        String etag = nat64.headers().firstValue("ETag").orElseThrow();
        ObjectNode changed = (ObjectNode) json(nat64);
        changed.put("icmpTimeout", changed.get("icmpTimeout").asLong() + 1);
        problem(browser.json("PUT", "/api/v1/config/nat64", changed.toString(), "If-Match", etag), 403, "csrf");
        problem(browser.json("PUT", "/api/v1/config/nat64", changed.toString(), "If-Match", etag,
                "X-XSRF-TOKEN", "forged"), 403, "csrf");
        HttpResponse<String> ok = browser.json("PUT", "/api/v1/config/nat64", changed.toString(), "If-Match", etag,
                "X-XSRF-TOKEN", xsrf(browser));
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        assertThat(jdbc.sql("SELECT AUTHOR FROM CONFIG_VERSION ORDER BY VERSION DESC LIMIT 1").query(String.class)
                .single()).isEqualTo(USER);
    }

    @Test
    void cookiesAreHttpOnlyAndSameSiteStrict() {
        String session = browser.setCookie("JSESSIONID");
        assertThat(session).contains("HttpOnly").containsIgnoringCase("SameSite=Strict");
        String xsrf = browser.setCookie("XSRF-TOKEN");
        assertThat(xsrf).containsIgnoringCase("SameSite=Strict").doesNotContain("HttpOnly");
        // Secure needs HTTPS: HttpsTest checks it.
    }

    @Test
    void loginsAndLogoutsAreAudited() {
        assertThat(Support.login(anonymous, USER, "not the password").statusCode()).isEqualTo(302);
        HttpResponse<String> page = anonymous.get("/login?error");
        assertThat(page.body()).contains("Wrong username or password").contains("attempts left");
        Support.loginOk(anonymous); // resets the counter for the other tests
        HttpResponse<String> out = anonymous.submit("/tokens", "/logout", Map.of());
        assertThat(Http.location(out)).endsWith("/login?logout");
        assertThat(Http.location(anonymous.get("/tokens"))).endsWith("/login");

        List<String> actions = new ArrayList<>();
        json(browser.get("/api/v1/audit?limit=500")).get("entries").forEach(e -> actions.add(
                e.get("action").asString() + " " + e.get("actor").asString()));
        assertThat(actions).containsSubsequence("logout admin", "login.success admin", "login.failure admin");
        String html = browser.get("/audit").body();
        assertThat(html).contains("login.failure").contains("login.success").contains("logout");
    }

    @Test
    void theAuditLogIsPagedNewestFirst() {
        for (int i = 0; i < 3; i++) {
            Support.token(browser, "paging-" + i, "read");
        }
        JsonNode first = json(browser.get("/api/v1/audit?limit=2"));
        assertThat(first.get("entries")).hasSize(2);
        long a = first.get("entries").get(0).get("id").asLong();
        long b = first.get("entries").get(1).get("id").asLong();
        assertThat(a).isGreaterThan(b);
        JsonNode second = json(browser.get("/api/v1/audit?limit=2&before=" + first.get("next").asLong()));
        assertThat(second.get("entries").get(0).get("id").asLong()).isLessThan(b);
    }

    /**
     * Nothing but setup and login is reachable without authentication: every operation of the OpenAPI document
     * (read with a token), the documentation itself, actuator and the pages.
     */
    @Test
    void everyEndpointIsRefusedWithoutAuthentication() {
        String read = Support.token(browser, "walker", "read");
        HttpResponse<String> doc = anonymous.get("/api/v1/openapi.json", "Authorization", bearer(read));
        assertThat(doc.statusCode()).isEqualTo(200);
        JsonNode openapi = json(doc);
        assertThat(openapi.at("/components/securitySchemes/bearer/scheme").asString()).isEqualTo("bearer");

        List<String> checked = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> paths = openapi.get("paths").properties().iterator();
        while (paths.hasNext()) {
            Map.Entry<String, JsonNode> p = paths.next();
            String path = p.getKey().replaceAll("\\{[^}]+}", "1");
            for (String method : p.getValue().propertyNames()) {
                String m = method.toUpperCase();
                if (path.equals("/api/v1/setup")) {
                    continue; // public by design: the setup code is its credential
                }
                HttpResponse<String> r = anonymous.send(m, path, m.equals("GET") ? null : "{}",
                        m.equals("GET") ? null : "application/json");
                assertThat(r.statusCode()).as(m + " " + path + " without authentication").isEqualTo(401);
                checked.add(m + " " + path);
            }
        }
        assertThat(checked).as("the walk saw the API").hasSizeGreaterThan(15)
                .contains("GET /api/v1/config", "PUT /api/v1/config/nat64", "POST /api/v1/tokens",
                        "DELETE /api/v1/tokens/1", "GET /api/v1/audit", "POST /api/v1/restore");

        for (String path : new String[] {"/api/v1/openapi.json", "/actuator/health", "/actuator/prometheus",
            "/actuator", "/api/v1/nonexistent"}) {
            assertThat(anonymous.get(path).statusCode()).as(path).isEqualTo(401);
        }
        for (String path : new String[] {"/", "/api/docs", "/swagger-ui/index.html", "/tokens", "/audit",
            "/sessions", "/config/nat64", "/config/dns64", "/config/system", "/history", "/backup", "/error",
            "/nonexistent"}) {
            HttpResponse<String> r = anonymous.get(path);
            assertThat(r.statusCode()).as(path).isEqualTo(302);
            assertThat(Http.location(r)).as(path).endsWith("/login");
        }
        // What is public: the login and setup pages and static assets.
        assertThat(anonymous.get("/login").statusCode()).isEqualTo(200);
        assertThat(anonymous.get("/css/xlatbox.css").statusCode()).isEqualTo(200);
        // Unsafe methods on pages: CSRF refuses them before anything else.
        assertThat(anonymous.form("/tokens", Map.of()).statusCode()).isEqualTo(403);
    }

    @Test
    void securityHeaders() {
        HttpResponse<String> r = browser.get("/tokens");
        assertThat(r.headers().firstValue("Content-Security-Policy").orElse("")).contains("script-src 'self'")
                .contains("frame-ancestors 'none'");
        assertThat(r.headers().firstValue("X-Frame-Options")).hasValue("DENY");
        assertThat(r.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        assertThat(r.headers().firstValue("Cache-Control").orElse("")).contains("no-store");
    }

    @Test
    void backupsCarryHashesOnlyAndRestoreValidatesThem() {
        String write = Support.token(browser, "backup", "write");
        HttpResponse<String> backup = anonymous.get("/api/v1/backup", "Authorization", bearer(write));
        assertThat(backup.statusCode()).isEqualTo(200);
        ObjectNode doc = (ObjectNode) json(backup);
        assertThat(doc.at("/accounts/0/username").asString()).isEqualTo(USER);
        assertThat(doc.at("/accounts/0/passwordHash").asString()).startsWith("{bcrypt}$2a$12$");
        assertThat(backup.body()).doesNotContain(PASSWORD).doesNotContain(write);
        assertThat(doc.get("tokens").toString()).contains(TokenService.hash(write));
        String etag = backup.headers().firstValue("ETag").orElseThrow();

        // A plain-text password, a bad token: refused, naming each field, and nothing changes.
        ObjectNode bad = doc.deepCopy();
        ((ObjectNode) bad.at("/accounts/0")).put("passwordHash", "{noop}letmein");
        ((ObjectNode) bad.at("/tokens/0")).put("scope", "admin");
        JsonNode p = problem(anonymous.json("POST", "/api/v1/restore", bad.toString(), "Authorization",
                bearer(write), "If-Match", etag), 422, "invalid-configuration");
        assertThat(p.get("errors").toString()).contains("accounts[0].passwordHash").contains("tokens[0].scope");
        Support.loginOk(new Http("http://localhost:" + port));

        // Restoring a backup made before a token existed removes that token; accounts come back as they were.
        String later = Support.token(browser, "made-after-the-backup", "read");
        HttpResponse<String> restored = anonymous.json("POST", "/api/v1/restore", doc.toString(), "Authorization",
                bearer(write), "If-Match", browser.get("/api/v1/config").headers().firstValue("ETag").orElseThrow());
        assertThat(restored.statusCode()).as(restored.body()).isEqualTo(200);
        problem(anonymous.get("/api/v1/config", "Authorization", bearer(later)), 401, "invalid-token");
        assertThat(anonymous.get("/api/v1/config", "Authorization", bearer(write)).statusCode()).isEqualTo(200);
        Support.loginOk(new Http("http://localhost:" + port));
        assertThat(jdbc.sql("SELECT ACTION FROM AUDIT_LOG ORDER BY ID DESC LIMIT 5").query(String.class).list())
                .contains("security.restore");
    }
}
