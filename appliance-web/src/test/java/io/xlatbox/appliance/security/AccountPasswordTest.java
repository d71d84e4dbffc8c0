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
import java.util.HashMap;
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
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/** The admin changes their password, over REST and on the account page, over real HTTP. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"xlatbox.dataplane.enabled=false", "xlatbox.dns64.enabled=false", "xlatbox.tls.enabled=false",
            "xlatbox.security.login.lockout=8s"})
@ExtendWith(OutputCaptureExtension.class)
class AccountPasswordTest {
    private static final String NEW = "a brand new passphrase";
    private static final long LOCKOUT_MILLIS = 8_000;
    private static final String PUT = "/api/v1/account/password";

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
    @Autowired
    PasswordEncoder encoder;

    Http anonymous;
    Http browser;

    /** Each test starts from the setup password and a logged-in browser (which also clears the failure counts). */
    @BeforeEach
    void setUp(CapturedOutput output) {
        anonymous = new Http(base());
        Support.ensureSetUp(anonymous, output);
        jdbc.sql("UPDATE ACCOUNT SET PASSWORDHASH = ? WHERE USERNAME = ?").params(encoder.encode(PASSWORD), USER)
                .update();
        browser = new Http(base());
        Support.loginOk(browser);
    }

    private String base() {
        return "http://localhost:" + port;
    }

    private static String change(String current, String next) {
        Map<String, String> m = new HashMap<>();
        m.put("currentPassword", current);
        m.put("newPassword", next);
        return body(m);
    }

    private HttpResponse<String> put(Http http, String current, String next) {
        return http.json("PUT", PUT, change(current, next), "X-XSRF-TOKEN", xsrf(http));
    }

    private String hash() {
        return jdbc.sql("SELECT PASSWORDHASH FROM ACCOUNT WHERE USERNAME = ?").param(USER).query(String.class)
                .single();
    }

    private void assertUnchanged() {
        assertThat(encoder.matches(PASSWORD, hash())).as("the password is unchanged").isTrue();
    }

    private String newestAction() {
        return jdbc.sql("SELECT ACTION FROM AUDIT_LOG ORDER BY ID DESC LIMIT 1").query(String.class).single();
    }

    @Test
    void changedOverRestOnlyTheNewPasswordLogsInAndOtherSessionsAreLoggedOut() {
        Http other = new Http(base());
        Support.loginOk(other);
        assertThat(other.get("/tokens").statusCode()).isEqualTo(200);

        HttpResponse<String> r = put(browser, PASSWORD, NEW);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(204);
        assertThat(hash()).startsWith("{bcrypt}$2a$12$").doesNotContain(NEW);
        assertThat(encoder.matches(NEW, hash())).isTrue();

        // The session that changed it goes on; the other one is logged out at its next request.
        assertThat(browser.get("/api/v1/config").statusCode()).isEqualTo(200);
        problem(other.get("/api/v1/config"), 401, "unauthorized");
        assertThat(Http.location(other.get("/tokens"))).endsWith("/login");

        Http fresh = new Http(base());
        assertThat(Http.location(Support.login(fresh, USER, PASSWORD))).endsWith("/login?error");
        HttpResponse<String> ok = Support.login(fresh, USER, NEW);
        assertThat(Http.location(ok)).doesNotContain("error");
        assertThat(fresh.get("/tokens").statusCode()).isEqualTo(200);

        Map<String, Object> entry = jdbc.sql("SELECT ACTOR, DETAIL FROM AUDIT_LOG WHERE ACTION = 'account.password' "
                + "ORDER BY ID DESC LIMIT 1").query().singleRow();
        assertThat(entry.get("ACTOR")).isEqualTo(USER);
        assertThat((String) entry.get("DETAIL")).startsWith("password changed").contains("other session");
        JsonNode newest = json(browser.get("/api/v1/audit?limit=500")).get("entries");
        assertThat(newest.toString()).contains("account.password");
    }

    @Test
    void aWrongCurrentPasswordIs422OnItsFieldAndCountsAsAFailedLogin() {
        JsonNode p = problem(put(browser, "not the password", NEW), 422, "invalid-request");
        assertThat(p.at("/errors/0/field").asString()).isEqualTo("currentPassword");
        assertThat(p.at("/errors/0/message").asString()).contains("wrong password").contains("4 attempts left");
        assertThat(p.get("errors")).hasSize(1);
        assertUnchanged();
        assertThat(newestAction()).isEqualTo("account.password.failure");

        // The same counter as logins: the next wrong login has one attempt fewer.
        Http other = new Http(base());
        Support.login(other, USER, "still not the password");
        assertThat(other.get("/login?error").body()).contains("3 attempts left");

        // Both fields at once: a wrong current password and a weak new one.
        JsonNode both = problem(put(browser, "", "short"), 422, "invalid-request");
        assertThat(both.get("errors").findValuesAsString("field")).containsExactly("currentPassword", "newPassword");
    }

    @Test
    void aWeakOrUnchangedNewPasswordIs422() {
        JsonNode shortOne = problem(put(browser, PASSWORD, "short"), 422, "invalid-request");
        assertThat(shortOne.at("/errors/0/field").asString()).isEqualTo("newPassword");
        assertThat(shortOne.at("/errors/0/message").asString()).contains("at least 12");
        JsonNode tooLong = problem(put(browser, PASSWORD, "x".repeat(73)), 422, "invalid-request");
        assertThat(tooLong.at("/errors/0/message").asString()).contains("72 bytes");
        JsonNode same = problem(put(browser, PASSWORD, PASSWORD), 422, "invalid-request");
        assertThat(same.at("/errors/0/field").asString()).isEqualTo("newPassword");
        assertThat(same.at("/errors/0/message").asString()).contains("differ");
        JsonNode missing = problem(browser.json("PUT", PUT, body(Map.of("currentPassword", PASSWORD)),
                "X-XSRF-TOKEN", xsrf(browser)), 422, "invalid-request");
        assertThat(missing.at("/errors/0/field").asString()).isEqualTo("newPassword");
        assertUnchanged();
    }

    @Test
    void tokensCannotChangeThePasswordAndItIsDocumented() {
        String write = Support.token(browser, "automation", "write");
        String read = Support.token(browser, "monitoring", "read");
        JsonNode p = problem(anonymous.json("PUT", PUT, change(PASSWORD, NEW), "Authorization", bearer(write)), 403,
                "session-required");
        assertThat(p.get("detail").asString()).contains("API tokens");
        problem(anonymous.json("PUT", PUT, change(PASSWORD, NEW), "Authorization", bearer(read)), 403,
                "session-required");
        // A token wins over a session cookie sent along with it.
        problem(browser.json("PUT", PUT, change(PASSWORD, NEW), "Authorization", bearer(write)), 403,
                "session-required");
        problem(anonymous.json("PUT", PUT, change(PASSWORD, NEW)), 401, "unauthorized");
        assertUnchanged();

        JsonNode op = json(browser.get("/api/v1/openapi.json")).at("/paths/~1api~1v1~1account~1password/put");
        assertThat(op.get("summary").asString()).contains("password");
        assertThat(op.get("responses").propertyNames()).contains("204", "403", "422", "429");
    }

    @Test
    void aSessionNeedsItsCsrfToken() {
        problem(browser.json("PUT", PUT, change(PASSWORD, NEW)), 403, "csrf");
        problem(browser.json("PUT", PUT, change(PASSWORD, NEW), "X-XSRF-TOKEN", "forged"), 403, "csrf");
        assertThat(browser.form("/account/password", Map.of("currentPassword", PASSWORD, "newPassword", NEW,
                "confirm", NEW)).statusCode()).isEqualTo(403);
        assertUnchanged();
    }

    @Test
    void theAccountPageChangesThePassword() {
        assertThat(Http.location(anonymous.get("/account"))).endsWith("/login");
        HttpResponse<String> page = browser.get("/account");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("name=\"currentPassword\"").contains("name=\"newPassword\"")
                .contains("name=\"confirm\"").contains("name=\"_csrf\"").contains("Logged in as")
                .doesNotContainPattern("<script(?![^>]*\\ssrc=)");
        assertThat(page.headers().firstValue("Content-Security-Policy").orElse("")).contains("script-src 'self'");

        // The repeat is checked on the server; nothing comes back into the page.
        HttpResponse<String> differ = browser.submit("/account", "/account/password", Map.of(
                "currentPassword", PASSWORD, "newPassword", NEW, "confirm", NEW + "!"));
        assertThat(differ.statusCode()).isEqualTo(200);
        assertThat(differ.body()).contains("the two new passwords differ").contains("aria-invalid=\"true\"")
                .doesNotContain(PASSWORD).doesNotContain(NEW);
        HttpResponse<String> wrong = browser.submit("/account", "/account/password", Map.of(
                "currentPassword", "not the password", "newPassword", NEW, "confirm", NEW));
        assertThat(wrong.body()).contains("wrong password").contains("id=\"currentPassword-error\"")
                .doesNotContain("not the password");
        HttpResponse<String> weak = browser.submit("/account", "/account/password", Map.of(
                "currentPassword", PASSWORD, "newPassword", "short", "confirm", "short"));
        assertThat(weak.body()).contains("at least 12 characters").contains("id=\"newPassword-error\"");
        assertUnchanged();

        HttpResponse<String> ok = browser.submit("/account", "/account/password", Map.of(
                "currentPassword", PASSWORD, "newPassword", NEW, "confirm", NEW));
        assertThat(ok.statusCode()).isEqualTo(302);
        assertThat(Http.location(ok)).endsWith("/account");
        assertThat(browser.get("/account").body()).contains("Password changed");
        assertThat(browser.get("/account").body()).doesNotContain("Password changed"); // shown once
        assertThat(newestAction()).isEqualTo("account.password");
        assertThat(encoder.matches(NEW, hash())).isTrue();
        Http fresh = new Http(base());
        assertThat(Http.location(Support.login(fresh, USER, NEW))).doesNotContain("error");
    }

    @Test
    void guessingTheCurrentPasswordLocksTheAccountLikeFailedLogins() throws InterruptedException {
        for (int left = 4; left >= 1; left--) {
            assertThat(problem(put(browser, "guess " + left, NEW), 422, "invalid-request").at("/errors/0/message")
                    .asString()).contains(left + (left == 1 ? " attempt left" : " attempts left"));
        }
        assertThat(problem(put(browser, "guess 0", NEW), 422, "invalid-request").at("/errors/0/message")
                .asString()).contains("locked for");

        // Locked: even the right password is not checked, here and at the login.
        HttpResponse<String> locked = put(browser, PASSWORD, NEW);
        assertThat(problem(locked, 429, "too-many-attempts").get("detail").asString()).contains("Try again in");
        assertThat(locked.headers().firstValue("Retry-After")).isPresent();
        assertThat(browser.submit("/account", "/account/password", Map.of("currentPassword", PASSWORD,
                "newPassword", NEW, "confirm", NEW)).body()).contains("Too many failed");
        Http other = new Http(base());
        assertThat(Http.location(Support.login(other, USER, PASSWORD))).endsWith("/login?error");
        assertThat(other.get("/login?error").body()).contains("Too many failed logins");
        assertThat(jdbc.sql("SELECT DETAIL FROM AUDIT_LOG WHERE ACTION = 'login.lockout' ORDER BY ID DESC LIMIT 1")
                .query(String.class).single()).contains("account locked");
        assertUnchanged();

        Thread.sleep(LOCKOUT_MILLIS + 500);
        assertThat(put(browser, PASSWORD, NEW).statusCode()).isEqualTo(204);
    }
}
