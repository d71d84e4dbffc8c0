package io.xlatbox.appliance.security;

import static io.xlatbox.appliance.testing.Support.PASSWORD;
import static io.xlatbox.appliance.testing.Support.USER;
import static io.xlatbox.appliance.testing.Support.body;
import static io.xlatbox.appliance.testing.Support.problem;
import static org.assertj.core.api.Assertions.assertThat;

import io.xlatbox.appliance.testing.Http;
import io.xlatbox.appliance.testing.Support;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
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

/** Wrong setup codes block the address; failed logins lock the account; both end after the lockout. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"xlatbox.dataplane.enabled=false", "xlatbox.dns64.enabled=false", "xlatbox.tls.enabled=false",
            "xlatbox.security.login.lockout=8s"})
@ExtendWith(OutputCaptureExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ThrottleTest {
    /** Failures count within the lockout too: long enough for a loaded machine, where each check is slow. */
    private static final long LOCKOUT_MILLIS = 8_000;

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

    private String setup(String code) {
        return body(Map.of("setupCode", code, "username", USER, "password", PASSWORD));
    }

    @Test
    @Order(1)
    void wrongSetupCodesBlockTheAddressForAWhile(CapturedOutput output) throws InterruptedException {
        Http http = new Http("http://localhost:" + port);
        String code = Support.setupCode(output);
        for (int i = 0; i < 10; i++) {
            problem(http.json("POST", "/api/v1/setup", setup("AAAA-BBBB-CCC" + (i % 8 + 2))), 403,
                    "setup-code-wrong");
        }
        // Blocked now, even with the right code.
        HttpResponse<String> blocked = http.json("POST", "/api/v1/setup", setup(code));
        assertThat(problem(blocked, 429, "too-many-attempts").get("detail").asString()).contains("Try again in");
        assertThat(blocked.headers().firstValue("Retry-After")).isPresent();
        assertThat(http.submit("/setup", "/setup", Map.of("setupCode", code, "username", USER,
                "password", PASSWORD, "confirm", PASSWORD)).body()).contains("Too many failed attempts");
        assertThat(jdbc.sql("SELECT COUNT(*) FROM AUDIT_LOG WHERE ACTION = 'login.lockout'").query(Integer.class)
                .single()).isEqualTo(1);

        Thread.sleep(LOCKOUT_MILLIS + 500);
        assertThat(http.json("POST", "/api/v1/setup", setup(code)).statusCode()).isEqualTo(201);
    }

    @Test
    @Order(2)
    void failedLoginsLockTheAccountAndASuccessResetsTheCount() throws InterruptedException {
        Http http = new Http("http://localhost:" + port);
        for (int left = 4; left >= 1; left--) {
            assertThat(Http.location(Support.login(http, USER, "wrong password " + left))).endsWith("/login?error");
            assertThat(http.get("/login?error").body()).contains("Wrong username or password. " + left
                    + (left == 1 ? " attempt left" : " attempts left"));
        }
        Support.login(http, USER, "wrong password 0");
        assertThat(http.get("/login?error").body()).contains("Too many failed logins: locked for 1 minute");

        // Locked: the right password is refused too, without being checked.
        HttpResponse<String> refused = Support.login(http, USER, PASSWORD);
        assertThat(Http.location(refused)).endsWith("/login?error");
        assertThat(http.get("/login?error").body()).contains("Too many failed logins. Try again in 1 minute.");
        assertThat(http.get("/api/v1/config").statusCode()).isEqualTo(401);
        assertThat(jdbc.sql("SELECT DETAIL FROM AUDIT_LOG WHERE ACTION = 'login.lockout' ORDER BY ID DESC LIMIT 1")
                .query(String.class).single()).contains("account locked");

        // Another address would be refused as well: the lock is the account's (checked in LoginThrottleTest).
        Thread.sleep(LOCKOUT_MILLIS + 500);
        Support.loginOk(http);
        Http other = new Http("http://localhost:" + port);
        Support.login(other, USER, "wrong again");
        assertThat(other.get("/login?error").body()).contains("4 attempts left");
    }
}
