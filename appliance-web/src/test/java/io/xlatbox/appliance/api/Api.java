package io.xlatbox.appliance.api;

import static io.xlatbox.appliance.testing.Support.bearer;
import static org.assertj.core.api.Assertions.assertThat;

import io.xlatbox.appliance.testing.Http;
import io.xlatbox.appliance.testing.Support;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.test.system.CapturedOutput;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The REST API as automation uses it: plain HTTP with a write token (Bearer), no session, no CSRF token. Made
 * once per test class: the box is set up and a token created by a logged-in browser, as a user would.
 */
final class Api {
    final Http http;
    final String token;
    final String tokenName;

    private Api(Http http, String token, String tokenName) {
        this.http = http;
        this.token = token;
        this.tokenName = tokenName;
    }

    static Api connect(int port, CapturedOutput output, String tokenName) {
        String base = "http://localhost:" + port;
        Support.ensureSetUp(new Http(base), output);
        Http browser = new Http(base);
        Support.loginOk(browser);
        return new Api(new Http(base), Support.token(browser, tokenName, "write"), tokenName);
    }

    HttpResponse<String> get(String path) {
        return http.get(path, "Authorization", bearer(token));
    }

    /** A JSON request; {@code ifMatch} null sends none. */
    HttpResponse<String> send(String method, String path, String body, String ifMatch) {
        return ifMatch == null ? http.json(method, path, body, "Authorization", bearer(token))
                : http.json(method, path, body, "Authorization", bearer(token), "If-Match", ifMatch);
    }

    HttpResponse<String> put(String path, Object body, String ifMatch) {
        return send("PUT", path, body.toString(), ifMatch);
    }

    HttpResponse<String> post(String path, Object body, String ifMatch) {
        return send("POST", path, body == null ? null : body.toString(), ifMatch);
    }

    /** GET, asserting 200; the body as JSON. */
    JsonNode read(String path) {
        HttpResponse<String> r = get(path);
        assertThat(r.statusCode()).as("GET " + path + ": " + r.body()).isEqualTo(200);
        return Support.json(r);
    }

    /** GET of an object, for changing it. */
    ObjectNode object(String path) {
        return (ObjectNode) read(path);
    }

    /** The ETag of a configuration resource, asserting it is the quoted version number. */
    static String etag(HttpResponse<String> r) {
        String e = r.headers().firstValue("ETag").orElse(null);
        assertThat(e).as("ETag of " + r.uri()).isNotNull().matches("\"\\d+\"");
        return e;
    }

    static long version(String etag) {
        return Long.parseLong(etag.replace("\"", ""));
    }

    String currentETag() {
        return etag(get("/api/v1/config"));
    }

    /** The active configuration and its ETag, to compare before and after a refused change. */
    record Snapshot(String etag, String body) {
    }

    Snapshot snapshot() {
        HttpResponse<String> r = get("/api/v1/config");
        assertThat(r.statusCode()).isEqualTo(200);
        return new Snapshot(etag(r), Support.json(r).toString());
    }

    void assertUnchanged(Snapshot before) {
        assertThat(snapshot()).as("the configuration and its version are unchanged").isEqualTo(before);
    }

    /** The fields a 422 (or 400) problem names, in order. */
    static List<String> fields(JsonNode problem) {
        List<String> out = new ArrayList<>();
        problem.path("errors").forEach(e -> out.add(e.get("field").asString()));
        return out;
    }

    /** Asserts a 200 that applied a change: the new version is both the ETag and the body's version. */
    static JsonNode applied(HttpResponse<String> r) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode b = Support.json(r);
        assertThat(etag(r)).isEqualTo("\"" + b.get("version").asLong() + "\"");
        assertThat(b.has("changed")).isTrue();
        assertThat(b.get("changes").isArray()).isTrue();
        assertThat(b.get("sessionsDropped").asInt()).isZero();
        return b;
    }
}
