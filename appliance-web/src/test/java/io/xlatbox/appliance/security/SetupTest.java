package io.xlatbox.appliance.security;

import static io.xlatbox.appliance.testing.Support.PASSWORD;
import static io.xlatbox.appliance.testing.Support.USER;
import static io.xlatbox.appliance.testing.Support.body;
import static io.xlatbox.appliance.testing.Support.json;
import static io.xlatbox.appliance.testing.Support.problem;
import static org.assertj.core.api.Assertions.assertThat;

import io.xlatbox.appliance.testing.Http;
import io.xlatbox.appliance.testing.Support;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
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

/** First boot: no default password; only the console's setup code creates the admin account, once. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"xlatbox.dataplane.enabled=false", "xlatbox.dns64.enabled=false", "xlatbox.tls.enabled=false"})
@ExtendWith(OutputCaptureExtension.class)
class SetupTest {
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

    @Test
    void onlyTheSetupCodeCreatesTheAdminAccountAndOnlyOnce(CapturedOutput output) {
        Http http = new Http("http://localhost:" + port);
        String code = Support.setupCode(output);
        assertThat(output.getAll()).contains("open http://").contains(":" + port + "/setup");

        // Before setup: pages go to /setup, the API says setup is needed, nothing else is reachable.
        for (String page : new String[] {"/", "/login", "/tokens", "/audit", "/config/nat64"}) {
            HttpResponse<String> r = http.get(page);
            assertThat(r.statusCode()).as(page).isEqualTo(302);
            assertThat(Http.location(r)).as(page).endsWith("/setup");
        }
        for (String api : new String[] {"/api/v1/config", "/api/v1/tokens", "/actuator/health",
            "/api/v1/openapi.json"}) {
            assertThat(problem(http.get(api), 401, "setup-required").get("detail").asString())
                    .contains("setup code");
        }
        assertThat(json(http.get("/api/v1/setup")).get("setupRequired").asBoolean()).isTrue();

        // Without the code, or with a wrong one: refused, and nothing is created.
        problem(http.json("POST", "/api/v1/setup", body(Map.of("username", USER, "password", PASSWORD))), 403,
                "setup-code-wrong");
        HttpResponse<String> wrong = http.json("POST", "/api/v1/setup",
                body(Map.of("setupCode", "AAAA-AAAA-AAAA", "username", USER, "password", PASSWORD)));
        assertThat(problem(wrong, 403, "setup-code-wrong").get("detail").asString()).contains("setup code is wrong");
        assertThat(jdbc.sql("SELECT COUNT(*) FROM ACCOUNT").query(Integer.class).single()).isZero();

        // The password policy: 12 characters at least.
        HttpResponse<String> weak = http.json("POST", "/api/v1/setup",
                body(Map.of("setupCode", code, "username", USER, "password", "short")));
        assertThat(problem(weak, 422, "invalid-request").get("errors").get(0).get("field").asString())
                .isEqualTo("password");

        // The form: CSRF-protected, and a wrong code is a clear message on the page.
        HttpResponse<String> page = http.get("/setup");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("name=\"setupCode\"").contains("name=\"_csrf\"");
        HttpResponse<String> noCsrf = http.form("/setup", Map.of("setupCode", code, "username", USER,
                "password", PASSWORD, "confirm", PASSWORD));
        assertThat(noCsrf.statusCode()).isEqualTo(403);
        HttpResponse<String> badForm = http.submit("/setup", "/setup", Map.of("setupCode", "BBBB-BBBB-BBBB",
                "username", USER, "password", PASSWORD, "confirm", PASSWORD));
        assertThat(badForm.statusCode()).isEqualTo(200);
        assertThat(badForm.body()).contains("The setup code is wrong");
        assertThat(badForm.body()).doesNotContain(PASSWORD);
        assertThat(jdbc.sql("SELECT COUNT(*) FROM ACCOUNT").query(Integer.class).single()).isZero();

        // With the code (typed in lower case, without dashes, through the form): the account exists.
        HttpResponse<String> ok = http.submit("/setup", "/setup", Map.of("setupCode",
                code.replace("-", "").toLowerCase(), "username", USER, "password", PASSWORD, "confirm", PASSWORD));
        assertThat(ok.statusCode()).isEqualTo(302);
        assertThat(Http.location(ok)).endsWith("/login?setup");

        // Once only.
        problem(http.json("POST", "/api/v1/setup", body(Map.of("setupCode", code, "username", "other",
                "password", "another long password"))), 409, "setup-done");
        assertThat(Http.location(http.get("/setup"))).endsWith("/login");
        assertThat(json(http.get("/api/v1/setup")).get("setupRequired").asBoolean()).isFalse();
        problem(http.get("/api/v1/config"), 401, "unauthorized");

        // Stored as a bcrypt hash of strength 12, never as the password.
        String hash = jdbc.sql("SELECT PASSWORDHASH FROM ACCOUNT WHERE USERNAME = ?").param(USER)
                .query(String.class).single();
        assertThat(hash).startsWith("{bcrypt}$2a$12$").doesNotContain(PASSWORD);
        assertThat(jdbc.sql("SELECT COUNT(*) FROM ACCOUNT").query(Integer.class).single()).isEqualTo(1);

        // The audit log has the wrong codes and the setup.
        assertThat(jdbc.sql("SELECT ACTION FROM AUDIT_LOG ORDER BY ID").query(String.class).list())
                .containsSubsequence("setup.failure", "setup.failure", "setup");

        // And the account works.
        Support.loginOk(http);
        assertThat(http.get("/api/v1/config").statusCode()).isEqualTo(200);
    }
}
