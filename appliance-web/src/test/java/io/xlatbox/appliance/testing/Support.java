package io.xlatbox.appliance.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.boot.test.system.CapturedOutput;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** What the security tests share: the setup code from the console, setting up, logging in, making tokens. */
public final class Support {
    public static final String USER = "admin";
    public static final String PASSWORD = "correct horse battery";
    public static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Pattern CODE = Pattern.compile("Setup code: ([A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4})");

    private Support() {
    }

    /** The code printed at start (the console is captured from before the application starts). */
    public static String setupCode(CapturedOutput output) {
        Matcher m = CODE.matcher(output.getAll());
        assertThat(m.find()).as("the setup code is printed on the console").isTrue();
        return m.group(1);
    }

    /** Creates the admin account unless it exists. */
    public static void ensureSetUp(Http http, CapturedOutput output) {
        if (json(http.get("/api/v1/setup")).get("setupRequired").asBoolean()) {
            HttpResponse<String> r = http.json("POST", "/api/v1/setup", body(Map.of("setupCode", setupCode(output),
                    "username", USER, "password", PASSWORD)));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        }
    }

    /** Logs in through the form; returns the response to POST /login. */
    public static HttpResponse<String> login(Http http, String user, String password) {
        return http.submit("/login", "/login", Map.of("username", user, "password", password));
    }

    public static void loginOk(Http http) {
        HttpResponse<String> r = login(http, USER, PASSWORD);
        assertThat(r.statusCode()).isEqualTo(302);
        assertThat(Http.location(r)).doesNotContain("error");
    }

    /** A new API token made by a logged-in browser over REST (session + CSRF header). */
    public static String token(Http session, String name, String scope) {
        HttpResponse<String> r = session.json("POST", "/api/v1/tokens", body(Map.of("name", name, "scope", scope)),
                "X-XSRF-TOKEN", xsrf(session));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return json(r).get("token").asString();
    }

    /** The XSRF-TOKEN cookie, as the dashboard's JavaScript reads it; a page is loaded first if there is none. */
    public static String xsrf(Http session) {
        if (!session.cookies.containsKey("XSRF-TOKEN")) {
            session.get("/tokens");
        }
        String t = session.cookies.get("XSRF-TOKEN");
        assertThat(t).as("XSRF-TOKEN cookie").isNotNull();
        return t;
    }

    public static JsonNode json(HttpResponse<String> r) {
        return JSON.readTree(r.body());
    }

    public static String body(Object o) {
        return JSON.writeValueAsString(o);
    }

    public static String bearer(String token) {
        return "Bearer " + token;
    }

    /** Asserts an RFC 9457 problem document of this status and type. */
    public static JsonNode problem(HttpResponse<String> r, int status, String type) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
        JsonNode p = json(r);
        assertThat(p.get("type").asString()).isEqualTo("https://xlatbox.io/problems/" + type);
        assertThat(p.get("status").asInt()).isEqualTo(status);
        return p;
    }
}
