package io.xlatbox.appliance.api;

import static io.xlatbox.appliance.api.Api.applied;
import static io.xlatbox.appliance.api.Api.etag;
import static io.xlatbox.appliance.api.Api.fields;
import static io.xlatbox.appliance.api.Api.version;
import static io.xlatbox.appliance.testing.Support.json;
import static io.xlatbox.appliance.testing.Support.problem;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The configuration API over real HTTP, as automation uses it (a write token): reading with ETags, writing with
 * If-Match, validation naming every bad field while nothing changes, previews, versions, diffs and rollback.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"xlatbox.dataplane.enabled=false", "xlatbox.dns64.enabled=false", "xlatbox.tls.enabled=false"})
@ExtendWith(OutputCaptureExtension.class)
class ConfigApiTest {
    static final String CONFIG = "/api/v1/config";
    static final List<String> WRITES = List.of(CONFIG, CONFIG + "/nat64", CONFIG + "/dns64", CONFIG + "/system");

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
            api = Api.connect(port, output, "config-automation");
        }
    }

    // ------------------------------------------------------------------------------------------------- reading

    @Test
    void theConfigurationAndEachSectionCarryTheVersionAsETag() {
        HttpResponse<String> whole = api.get(CONFIG);
        assertThat(whole.statusCode()).isEqualTo(200);
        assertThat(whole.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
        String etag = etag(whole);
        JsonNode c = json(whole);
        assertThat(c.propertyNames()).containsExactlyInAnyOrder("nat64", "dns64", "system");

        JsonNode nat64 = c.get("nat64");
        assertThat(nat64.propertyNames()).contains("pool6", "pool4", "staticBib", "udpTimeout",
                "tcpEstablishedTimeout", "tcpTransitoryTimeout", "icmpTimeout", "maxSessions", "maxSessionsPerHost",
                "addressDependentFiltering", "dropExternallyInitiatedTcp", "ipv6Mtu", "ipv4Mtu", "lowestIpv6Mtu",
                "ownIpv4Address", "ownIpv6Address", "allowNonGlobalWithWellKnownPrefix");
        assertThat(nat64.get("pool6").isString()).isTrue();
        assertThat(nat64.get("udpTimeout").isNumber()).isTrue();
        assertThat(nat64.get("pool4").isArray()).isTrue();
        assertThat(nat64.get("pool4").get(0).propertyNames())
                .containsExactlyInAnyOrder("protocol", "prefix", "portMin", "portMax");
        JsonNode dns64 = c.get("dns64");
        assertThat(dns64.propertyNames()).contains("enabled", "listen", "upstreams", "prefixes", "exclusions",
                "clientAcl", "synthesisAcl", "upstreamTimeoutMillis", "cacheMaxEntries",
                "allowNonGlobalWithWellKnownPrefix");
        assertThat(dns64.get("prefixes").get(0).propertyNames()).containsExactlyInAnyOrder("prefix", "mappedRanges");
        assertThat(c.get("system").propertyNames()).containsExactlyInAnyOrder("hostname", "wanInterface",
                "lanInterface", "tunName", "tunQueues", "nat44");

        for (String section : List.of("nat64", "dns64", "system")) {
            HttpResponse<String> r = api.get(CONFIG + "/" + section);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(etag(r)).as(section).isEqualTo(etag);
            assertThat(json(r)).as(section).isEqualTo(c.get(section));
        }
    }

    // --------------------------------------------------------------------------------------- preconditions

    @Test
    void aWriteWithoutIfMatchIs428AndChangesNothing() {
        Api.Snapshot before = api.snapshot();
        for (String path : WRITES) {
            JsonNode p = problem(api.put(path, changed(path), null), 428, "if-match-required");
            assertThat(p.get("detail").asString()).as(path).contains("If-Match");
        }
        problem(api.post(CONFIG + "/versions/1/rollback", null, null), 428, "if-match-required");
        api.assertUnchanged(before);
    }

    @Test
    void aWriteAgainstAnOlderVersionIs412AndChangesNothing() {
        String old = api.currentETag();
        bumpVersion();
        Api.Snapshot before = api.snapshot();
        for (String path : WRITES) {
            JsonNode p = problem(api.put(path, changed(path), old), 412, "version-conflict");
            assertThat(p.get("activeVersion").asLong()).isEqualTo(version(before.etag()));
            assertThat(p.get("detail").asString()).contains("version " + version(old));
        }
        problem(api.post(CONFIG + "/versions/1/rollback", null, old), 412, "version-conflict");
        // An If-Match that is no version at all.
        problem(api.put(CONFIG + "/nat64", changed(CONFIG + "/nat64"), "\"latest\""), 400, "bad-request");
        api.assertUnchanged(before);
    }

    // ------------------------------------------------------------------------------------------- validation

    /** One invalid change: the section it is made to, what is changed, and the fields the 422 must name. */
    record Invalid(String name, String path, Consumer<ObjectNode> change, List<String> fields) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Invalid nat64(String name, Consumer<ObjectNode> change, String... fields) {
        return new Invalid("nat64: " + name, CONFIG + "/nat64", change, List.of(fields));
    }

    static Invalid dns64(String name, Consumer<ObjectNode> change, String... fields) {
        return new Invalid("dns64: " + name, CONFIG + "/dns64", change, List.of(fields));
    }

    static Invalid system(String name, Consumer<ObjectNode> change, String... fields) {
        return new Invalid("system: " + name, CONFIG + "/system", change, List.of(fields));
    }

    static Invalid whole(String name, Consumer<ObjectNode> change, String... fields) {
        return new Invalid("whole: " + name, CONFIG, change, List.of(fields));
    }

    static ArrayNode array(ObjectNode n, String field) {
        return (ArrayNode) n.get(field);
    }

    static ObjectNode element(ObjectNode n, String field, int i) {
        return (ObjectNode) n.get(field).get(i);
    }

    /** Sets pool6 to the Well-Known Prefix and the static BIB to this one entry. */
    static ObjectNode staticBinding(ObjectNode nat64, String protocol, String ipv6, String ipv4) {
        nat64.put("pool6", "64:ff9b::/96");
        ObjectNode b = array(nat64, "staticBib").removeAll().addObject();
        b.put("protocol", protocol).put("ipv6Address", ipv6).put("ipv6Port", 80).put("ipv4Address", ipv4)
                .put("ipv4Port", 8080);
        return b;
    }

    /** Sets pool4 to the factory one (tcp, udp, icmp on 100.64.64.0/24), whatever earlier tests made of it. */
    static ArrayNode pool4(ObjectNode nat64) {
        ArrayNode p = array(nat64, "pool4").removeAll();
        p.addObject().put("protocol", "tcp").put("prefix", "100.64.64.0/24").put("portMin", 1024).put("portMax", 65535);
        p.addObject().put("protocol", "udp").put("prefix", "100.64.64.0/24").put("portMin", 1024).put("portMax", 65535);
        p.addObject().put("protocol", "icmp").put("prefix", "100.64.64.0/24").put("portMin", 0).put("portMax", 65535);
        return p;
    }

    /** Entry i of the factory pool4. */
    static ObjectNode pool4(ObjectNode nat64, int i) {
        return (ObjectNode) pool4(nat64).get(i);
    }

    /** The mapped ranges of the only DNS64 prefix, the Well-Known Prefix. */
    static ArrayNode mappedRanges(ObjectNode dns64) {
        return array((ObjectNode) prefixes(dns64, "64:ff9b::/96").get(0), "mappedRanges");
    }

    /** Sets the DNS64 prefixes to these, without mapped ranges. */
    static ArrayNode prefixes(ObjectNode dns64, String... prefixes) {
        ArrayNode a = array(dns64, "prefixes").removeAll();
        for (String p : prefixes) {
            a.addObject().put("prefix", p).putArray("mappedRanges");
        }
        return a;
    }

    static Stream<Invalid> invalid() {
        return Stream.of(
                nat64("pool6 of a non-RFC 6052 length (/95)", n -> n.put("pool6", "64:ff9b::/95"), "nat64.pool6"),
                nat64("pool6 /60", n -> n.put("pool6", "2001:db8::/60"), "nat64.pool6"),
                nat64("pool6 without a length", n -> n.put("pool6", "64:ff9b::"), "nat64.pool6"),
                nat64("pool6 blank", n -> n.put("pool6", ""), "nat64.pool6"),
                nat64("udpTimeout below UDP_MIN", n -> n.put("udpTimeout", 119), "nat64.udpTimeout"),
                nat64("udpTimeout over 7 days", n -> n.put("udpTimeout", 8 * 86400), "nat64.udpTimeout"),
                nat64("tcpEstablishedTimeout below TCP_EST", n -> n.put("tcpEstablishedTimeout", 7439),
                        "nat64.tcpEstablishedTimeout"),
                nat64("tcpTransitoryTimeout below TCP_TRANS", n -> n.put("tcpTransitoryTimeout", 239),
                        "nat64.tcpTransitoryTimeout"),
                nat64("icmpTimeout 0", n -> n.put("icmpTimeout", 0), "nat64.icmpTimeout"),
                nat64("overlapping pool4", n -> pool4(n).addObject().put("protocol", "tcp")
                        .put("prefix", "100.64.64.128/25").put("portMin", 2000).put("portMax", 3000), "nat64.pool4[3]"),
                nat64("pool4 prefix /33", n -> pool4(n, 0).put("prefix", "100.64.64.0/33"),
                        "nat64.pool4[0].prefix"),
                nat64("pool4 prefix shorter than /16", n -> pool4(n, 0).put("prefix", "10.0.0.0/8"),
                        "nat64.pool4[0].prefix"),
                nat64("pool4 prefix not an address", n -> pool4(n, 1).put("prefix", "300.1.2.0/24"),
                        "nat64.pool4[1].prefix"),
                nat64("pool4 portMin above portMax", n -> pool4(n, 0).put("portMin", 5000)
                        .put("portMax", 4000), "nat64.pool4[0].portMax"),
                nat64("pool4 tcp port 0", n -> pool4(n, 0).put("portMin", 0), "nat64.pool4[0].portMin"),
                nat64("pool4 port above 65535", n -> pool4(n, 1).put("portMax", 70000),
                        "nat64.pool4[1].portMax"),
                nat64("unknown pool4 protocol", n -> pool4(n, 2).put("protocol", "sctp"),
                        "nat64.pool4[2].protocol"),
                nat64("pool4 protocol too long to store", n -> pool4(n, 0).put("protocol", "   tcp   "),
                        "nat64.pool4[0].protocol"),
                nat64("a null pool4 entry", n -> pool4(n).insertNull(0), "nat64.pool4[0]"),
                nat64("static BIB IPv6 address malformed", n -> staticBinding(n, "tcp", "2001:db8::zz", "100.64.64.1"),
                        "nat64.staticBib[0].ipv6Address"),
                nat64("static BIB IPv4 address malformed", n -> staticBinding(n, "tcp", "2001:db8::1", "192.0.2.256"),
                        "nat64.staticBib[0].ipv4Address"),
                nat64("static BIB unknown protocol", n -> staticBinding(n, "gre", "2001:db8::1", "100.64.64.1"),
                        "nat64.staticBib[0].protocol"),
                nat64("static BIB inside pool6", n -> staticBinding(n, "tcp", "64:ff9b::1", "100.64.64.1"),
                        "nat64.staticBib[0].ipv6Address"),
                nat64("a null static BIB entry", n -> array(n, "staticBib").removeAll().addNull(),
                        "nat64.staticBib[0]"),
                nat64("ownIpv4Address malformed", n -> n.put("ownIpv4Address", "192.0.2.300"),
                        "nat64.ownIpv4Address"),
                nat64("ownIpv6Address malformed", n -> n.put("ownIpv6Address", "2001:db8::g"),
                        "nat64.ownIpv6Address"),
                nat64("ownIpv6Address too long to store", n -> n.put("ownIpv6Address", " ".repeat(70) + "2001:db8::1"),
                        "nat64.ownIpv6Address"),
                nat64("lowestIpv6Mtu above ipv6Mtu", n -> n.put("ipv6Mtu", 1400).put("lowestIpv6Mtu", 1500),
                        "nat64.lowestIpv6Mtu"),
                nat64("ipv6Mtu below 1280", n -> n.put("ipv6Mtu", 1279), "nat64.ipv6Mtu"),
                nat64("maxSessions 0", n -> n.put("maxSessions", 0), "nat64.maxSessions"),
                nat64("several at once", n -> n.put("udpTimeout", 60).put("maxSessionsPerHost", 0),
                        "nat64.maxSessionsPerHost", "nat64.udpTimeout"),

                dns64("listen address not an IP", d -> array(d, "listen").set(0, "dns.example:53"),
                        "dns64.listen[0].address"),
                dns64("listen without ']'", d -> array(d, "listen").set(0, "[::1"), "dns64.listen[0]"),
                dns64("listen port above 65535", d -> array(d, "listen").set(1, "0.0.0.0:70000"),
                        "dns64.listen[1].port"),
                dns64("listen blank", d -> array(d, "listen").set(0, ""), "dns64.listen[0]"),
                dns64("listen null", d -> array(d, "listen").insertNull(0), "dns64.listen[0]"),
                dns64("listen empty", d -> array(d, "listen").removeAll(), "dns64.listen"),
                dns64("upstream port 0", d -> array(d, "upstreams").set(0, "9.9.9.9:0"), "dns64.upstreams[0].port"),
                dns64("upstream a name", d -> array(d, "upstreams").set(1, "resolver.example"),
                        "dns64.upstreams[1].address"),
                dns64("upstream too long to store", d -> array(d, "upstreams").set(0, " ".repeat(200) + "9.9.9.9"),
                        "dns64.upstreams[0]"),
                dns64("no upstreams", d -> array(d, "upstreams").removeAll(), "dns64.upstreams"),
                dns64("prefix of a non-RFC 6052 length", d -> prefixes(d, "64:ff9b::/95"), "dns64.prefixes[0].prefix"),
                dns64("no prefixes", d -> array(d, "prefixes").removeAll(), "dns64.prefixes"),
                dns64("a null prefix", d -> array(d, "prefixes").insertNull(0), "dns64.prefixes[0]"),
                dns64("overlapping prefixes", d -> prefixes(d, "64:ff9b::/96", "64:ff9b::/96"),
                        "dns64.prefixes[1].prefix"),
                dns64("mapped range malformed", d -> mappedRanges(d).add("10.0.0.0/33"),
                        "dns64.prefixes[0].mappedRanges[0]"),
                dns64("mapped ranges too long to store", d -> {
                    ArrayNode ranges = mappedRanges(d);
                    for (int i = 0; i < 300; i++) {
                        ranges.add("203.0.113.0/24");
                    }
                }, "dns64.prefixes[0].mappedRanges"),
                dns64("an IPv4 exclusion", d -> array(d, "exclusions").insert(0, "10.0.0.0/8"), "dns64.exclusions[0]"),
                dns64("client ACL malformed", d -> array(d, "clientAcl").set(0, "bogus"), "dns64.clientAcl[0]"),
                dns64("synthesis ACL /129", d -> array(d, "synthesisAcl").set(0, "::/129"), "dns64.synthesisAcl[0]"),
                dns64("upstream timeout 50 ms", d -> d.put("upstreamTimeoutMillis", 50), "dns64.upstreamTimeoutMillis"),
                dns64("cache size negative", d -> d.put("cacheMaxEntries", -1), "dns64.cacheMaxEntries"),

                system("hostname with '_'", s -> s.put("hostname", "bad_host"), "system.hostname"),
                system("hostname beginning with '-'", s -> s.put("hostname", "-xlatbox"), "system.hostname"),
                system("hostname ending with '-'", s -> s.put("hostname", "xlatbox-"), "system.hostname"),
                system("hostname with a dot", s -> s.put("hostname", "xlatbox.example"), "system.hostname"),
                system("hostname of 64 characters", s -> s.put("hostname", "a".repeat(64)), "system.hostname"),
                system("hostname blank", s -> s.put("hostname", ""), "system.hostname"),
                system("tunName blank", s -> s.put("tunName", ""), "system.tunName"),
                system("tunName of 16 characters", s -> s.put("tunName", "n".repeat(16)), "system.tunName"),
                system("tunQueues 65", s -> s.put("tunQueues", 65), "system.tunQueues"),
                system("tunQueues negative", s -> s.put("tunQueues", -1), "system.tunQueues"),
                system("wanInterface with a space", s -> s.put("wanInterface", "eth 0"), "system.wanInterface"),

                whole("a section missing", c -> c.remove("dns64"), "dns64"),
                whole("a section null", c -> c.putNull("nat64"), "nat64"),
                whole("errors in every section at once", c -> {
                    ((ObjectNode) c.get("nat64")).put("pool6", "64:ff9b::/95");
                    array((ObjectNode) c.get("dns64"), "listen").set(0, "dns.example:53");
                    ((ObjectNode) c.get("system")).put("hostname", "bad_host");
                }, "dns64.listen[0].address", "nat64.pool6", "system.hostname"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalid")
    void anInvalidValueIs422NamingTheFieldAndNothingChanges(Invalid c) {
        Api.Snapshot before = api.snapshot();
        ObjectNode body = api.object(c.path());
        c.change().accept(body);
        JsonNode p = problem(api.put(c.path(), body, before.etag()), 422, "invalid-configuration");
        assertThat(fields(p).stream().distinct().toList()).as(p.toString()).isEqualTo(c.fields());
        p.get("errors").forEach(e -> assertThat(e.get("message").asString()).isNotBlank());
        assertThat(p.get("detail").asString()).contains("nothing was changed");
        api.assertUnchanged(before);
        // The preview finds the same problems.
        ObjectNode whole = api.object(CONFIG);
        if (c.path().equals(CONFIG)) {
            whole = body;
        } else {
            whole.set(c.path().substring(CONFIG.length() + 1), body);
        }
        JsonNode preview = json(api.post(CONFIG + "/preview", whole, null));
        assertThat(preview.get("valid").asBoolean()).isFalse();
        assertThat(fields(preview).stream().distinct().toList()).isEqualTo(c.fields());
    }

    @Test
    void malformedJsonAndWrongTypesAre400WithTheFieldAndNothingChanges() {
        Api.Snapshot before = api.snapshot();
        for (String path : WRITES) {
            for (String body : List.of("{\"nat64\": ", "not json", "[]", "42", "")) {
                JsonNode p = problem(api.send("PUT", path, body, before.etag()), 400, "unreadable");
                assertThat(p.get("detail").asString()).as(path + " " + body).isNotBlank().doesNotContain("public ");
            }
        }
        // A value of the wrong type names its field, with the same path as the validation errors.
        ObjectNode nat64 = api.object(CONFIG + "/nat64");
        nat64.put("udpTimeout", "five minutes");
        JsonNode p = problem(api.put(CONFIG + "/nat64", nat64, before.etag()), 400, "unreadable");
        assertThat(fields(p)).containsExactly("nat64.udpTimeout");
        ObjectNode pool4 = api.object(CONFIG + "/nat64");
        element(pool4, "pool4", 1).put("portMin", "low");
        assertThat(fields(problem(api.put(CONFIG + "/nat64", pool4, before.etag()), 400, "unreadable")))
                .containsExactly("nat64.pool4[1].portMin");
        ObjectNode whole = api.object(CONFIG);
        ((ObjectNode) whole.get("dns64")).put("listen", "[::]:53"); // a string for a list
        ((ObjectNode) whole.get("dns64")).putObject("enabled");
        assertThat(fields(problem(api.put(CONFIG, whole, before.etag()), 400, "unreadable")).get(0))
                .startsWith("dns64.");
        // A setting left out (PUT replaces the whole resource).
        ObjectNode partial = api.object(CONFIG + "/system");
        partial.remove("tunQueues");
        assertThat(fields(problem(api.put(CONFIG + "/system", partial, before.etag()), 400, "unreadable")))
                .containsExactly("system.tunQueues");
        // Not JSON at all.
        HttpResponse<String> text = api.http.send("PUT", CONFIG + "/system", "hostname=x", "text/plain",
                "Authorization", "Bearer " + api.token, "If-Match", before.etag());
        assertThat(text.statusCode()).isEqualTo(415);
        assertThat(text.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
        problem(api.post(CONFIG + "/preview", "{", null), 400, "unreadable");
        api.assertUnchanged(before);
    }

    // ---------------------------------------------------------------------------------------------- changing

    @Test
    void aValidChangeMakesANewVersionAndTheSameConfigurationAgainChangesNothing() {
        String etag = api.currentETag();
        ObjectNode nat64 = api.object(CONFIG + "/nat64");
        long udp = nat64.get("udpTimeout").asLong();
        nat64.put("udpTimeout", udp + 1);
        JsonNode a = applied(api.put(CONFIG + "/nat64", nat64, etag));
        assertThat(a.get("changed").asBoolean()).isTrue();
        assertThat(a.get("version").asLong()).isEqualTo(version(etag) + 1);
        assertThat(a.get("changes")).hasSize(1);
        assertThat(a.get("changes").get(0).asString()).isEqualTo("nat64.udpTimeout: " + udp + " -> " + (udp + 1));
        HttpResponse<String> now = api.get(CONFIG + "/nat64");
        assertThat(etag(now)).isEqualTo("\"" + a.get("version").asLong() + "\"");
        assertThat(json(now).get("udpTimeout").asLong()).isEqualTo(udp + 1);

        // The same again: 200, nothing changed, the version stays.
        JsonNode same = applied(api.put(CONFIG + "/nat64", nat64, etag(now)));
        assertThat(same.get("changed").asBoolean()).isFalse();
        assertThat(same.get("version").asLong()).isEqualTo(a.get("version").asLong());
        assertThat(same.get("changes")).isEmpty();
        assertThat(api.currentETag()).isEqualTo(etag(now));
    }

    @Test
    void eachSectionAndTheWholeConfigurationCanBeReplaced() {
        ObjectNode dns64 = api.object(CONFIG + "/dns64");
        array(dns64, "upstreams").set(0, "[2620:fe::fe]:53");
        array(element(dns64, "prefixes", 0), "mappedRanges").add("192.0.2.0/24");
        dns64.put("cacheMaxEntries", 5000);
        JsonNode d = applied(api.put(CONFIG + "/dns64", dns64, api.currentETag()));
        assertThat(d.get("changes").toString()).contains("dns64.upstreams[0]", "dns64.cacheMaxEntries",
                "dns64.prefixes[0].mappedRanges");
        assertThat(api.read(CONFIG + "/dns64")).isEqualTo(dns64);

        ObjectNode system = api.object(CONFIG + "/system");
        system.put("hostname", "nat64-gw-2").put("lanInterface", "eth1").put("tunQueues", 2);
        applied(api.put(CONFIG + "/system", system, api.currentETag()));
        assertThat(api.read(CONFIG + "/system")).isEqualTo(system);

        ObjectNode whole = api.object(CONFIG);
        ObjectNode nat64 = (ObjectNode) whole.get("nat64");
        staticBinding(nat64, "tcp", "2001:db8::80", "100.64.65.1");
        nat64.put("pool6", "2001:db8:64::/96").put("maxSessionsPerHost", 1000).put("ownIpv4Address", "100.64.64.1");
        array(nat64, "pool4").addObject().put("protocol", "udp").put("prefix", "100.64.65.0/24").put("portMin", 1024)
                .put("portMax", 65535);
        array((ObjectNode) whole.get("dns64"), "prefixes").addObject().put("prefix", "2001:db8:64::/96")
                .putArray("mappedRanges");
        ((ObjectNode) whole.get("system")).put("hostname", "xlatbox");
        JsonNode w = applied(api.put(CONFIG, whole, api.currentETag()));
        assertThat(w.get("changed").asBoolean()).isTrue();
        assertThat(w.get("changes").toString()).contains("nat64.pool6: 64:ff9b::/96 -> 2001:db8:64::/96",
                "nat64.staticBib[0].ipv6Address", "system.hostname: nat64-gw-2 -> xlatbox", "dns64.prefixes[1]");
        assertThat(api.read(CONFIG)).isEqualTo(whole);
        assertThat(api.read("/api/v1/status").get("configVersion").asLong()).isEqualTo(w.get("version").asLong());
    }

    @Test
    void aPreviewValidatesAndTellsTheChangesWithoutApplyingThem() {
        Api.Snapshot before = api.snapshot();
        ObjectNode next = api.object(CONFIG);
        long icmp = next.get("nat64").get("icmpTimeout").asLong();
        ((ObjectNode) next.get("nat64")).put("icmpTimeout", icmp + 100);
        ((ObjectNode) next.get("system")).put("nat44", !next.get("system").get("nat44").asBoolean());
        HttpResponse<String> r = api.post(CONFIG + "/preview", next, null);
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode p = json(r);
        assertThat(p.get("valid").asBoolean()).isTrue();
        assertThat(p.get("errors")).isEmpty();
        assertThat(p.get("sessionsDropped").asInt()).isZero();
        List<String> changes = new ArrayList<>();
        p.get("changes").forEach(c -> changes.add(c.asString()));
        assertThat(changes).containsExactly("nat64.icmpTimeout: " + icmp + " -> " + (icmp + 100),
                "system.nat44: " + !next.get("system").get("nat44").asBoolean() + " -> "
                        + next.get("system").get("nat44").asBoolean());
        api.assertUnchanged(before);

        JsonNode unchanged = json(api.post(CONFIG + "/preview", api.read(CONFIG), null));
        assertThat(unchanged.get("valid").asBoolean()).isTrue();
        assertThat(unchanged.get("changes")).isEmpty();

        ((ObjectNode) next.get("nat64")).put("udpTimeout", 10);
        JsonNode bad = json(api.post(CONFIG + "/preview", next, null));
        assertThat(bad.get("valid").asBoolean()).isFalse();
        assertThat(fields(bad)).containsExactly("nat64.udpTimeout");
        assertThat(bad.get("changes")).isEmpty();
        api.assertUnchanged(before);
    }

    // -------------------------------------------------------------------------------------- versions, rollback

    @Test
    void versionsArePagedNewestFirstAndEachCanBeRead() {
        long first = bumpVersion();
        long second = bumpVersion();
        long third = bumpVersion();
        JsonNode page = api.read(CONFIG + "/versions?limit=2");
        assertThat(page).hasSize(2);
        assertThat(page.get(0).get("version").asLong()).isEqualTo(third);
        assertThat(page.get(1).get("version").asLong()).isEqualTo(second);
        JsonNode v = page.get(0);
        assertThat(v.propertyNames()).contains("version", "createdAt", "author", "summary", "changes");
        assertThat(v.get("author").asString()).isEqualTo("token:" + api.tokenName);
        assertThat(v.get("summary").asString()).contains("nat64.icmpTimeout");
        assertThat(v.path("config").isNull()).as("lists leave the configuration out").isTrue();

        JsonNode next = api.read(CONFIG + "/versions?limit=2&before=" + second);
        assertThat(next.get(0).get("version").asLong()).isEqualTo(first);
        assertThat(api.read(CONFIG + "/versions?before=1")).isEmpty();
        assertThat(api.read(CONFIG + "/versions?limit=0")).hasSize(1); // clamped to 1..500
        JsonNode all = api.read(CONFIG + "/versions?limit=100000");
        assertThat(all.get(all.size() - 1).get("version").asLong()).isEqualTo(1);
        assertThat(all.get(all.size() - 1).get("author").asString()).isEqualTo("system");

        JsonNode one = api.read(CONFIG + "/versions/" + second);
        assertThat(one.get("version").asLong()).isEqualTo(second);
        assertThat(one.get("changes")).hasSize(1);
        assertThat(one.get("config").get("nat64").get("icmpTimeout").asLong())
                .isEqualTo(api.read(CONFIG + "/versions/" + third).get("config").get("nat64").get("icmpTimeout")
                        .asLong() - 1);
        assertThat(api.read(CONFIG + "/versions/" + third).get("config")).isEqualTo(api.read(CONFIG));

        problem(api.get(CONFIG + "/versions/999999"), 404, "not-found");
        problem(api.get(CONFIG + "/versions/0"), 404, "not-found");
        problem(api.get(CONFIG + "/versions/latest"), 400, "bad-request");
        problem(api.get(CONFIG + "/versions?limit=ten"), 400, "bad-request");
    }

    @Test
    void aDiffSaysWhatChangedFromThePreviousOrAnyVersion() {
        long a = bumpVersion();
        long b = bumpVersion();
        long icmp = api.read(CONFIG + "/nat64").get("icmpTimeout").asLong();
        JsonNode diff = api.read(CONFIG + "/versions/" + b + "/diff");
        assertThat(diff).hasSize(1);
        assertThat(diff.get(0).asString()).isEqualTo("nat64.icmpTimeout: " + (icmp - 1) + " -> " + icmp);
        JsonNode against = api.read(CONFIG + "/versions/" + b + "/diff?against=" + (a - 1));
        assertThat(against.get(0).asString()).isEqualTo("nat64.icmpTimeout: " + (icmp - 2) + " -> " + icmp);
        JsonNode backwards = api.read(CONFIG + "/versions/" + (a - 1) + "/diff?against=" + b);
        assertThat(backwards.get(0).asString()).isEqualTo("nat64.icmpTimeout: " + icmp + " -> " + (icmp - 2));
        assertThat(api.read(CONFIG + "/versions/" + b + "/diff?against=" + b)).isEmpty();
        assertThat(api.read(CONFIG + "/versions/1/diff")).as("the first version has none before it").isEmpty();
        problem(api.get(CONFIG + "/versions/999999/diff"), 404, "not-found");
        problem(api.get(CONFIG + "/versions/" + b + "/diff?against=999999"), 404, "not-found");
        problem(api.get(CONFIG + "/versions/" + b + "/diff?against=x"), 400, "bad-request");
    }

    @Test
    void aRollbackAppliesAnEarlierVersionAsANewOne() {
        long target = bumpVersion();
        JsonNode old = api.read(CONFIG + "/versions/" + target).get("config");
        ObjectNode system = api.object(CONFIG + "/system");
        system.put("hostname", "rolled-forward");
        applied(api.put(CONFIG + "/system", system, api.currentETag()));
        bumpVersion();
        Api.Snapshot before = api.snapshot();
        assertThat(before.body()).isNotEqualTo(old.toString());

        problem(api.post(CONFIG + "/versions/999999/rollback", null, before.etag()), 404, "not-found");
        api.assertUnchanged(before);

        JsonNode r = applied(api.post(CONFIG + "/versions/" + target + "/rollback", null, before.etag()));
        assertThat(r.get("changed").asBoolean()).isTrue();
        assertThat(r.get("version").asLong()).isEqualTo(version(before.etag()) + 1);
        assertThat(r.get("changes").toString()).contains("system.hostname: rolled-forward -> ", "nat64.icmpTimeout");
        assertThat(api.read(CONFIG)).isEqualTo(old);
        JsonNode v = api.read(CONFIG + "/versions/" + r.get("version").asLong());
        assertThat(v.get("summary").asString()).isEqualTo("rollback to version " + target);

        // Rolling back to what is active already changes nothing.
        JsonNode again = applied(api.post(CONFIG + "/versions/" + target + "/rollback", null, api.currentETag()));
        assertThat(again.get("changed").asBoolean()).isFalse();
        assertThat(again.get("version").asLong()).isEqualTo(r.get("version").asLong());
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** A valid change of the given resource (for the precondition tests, which must fail before validation). */
    private static ObjectNode changed(String path) {
        ObjectNode body = api.object(path);
        ObjectNode nat64 = path.equals(CONFIG) ? (ObjectNode) body.get("nat64") : body;
        if (path.endsWith("/dns64")) {
            body.put("cacheMaxEntries", body.get("cacheMaxEntries").asInt() + 1);
        } else if (path.endsWith("/system")) {
            body.put("tunQueues", (body.get("tunQueues").asInt() + 1) % 64);
        } else {
            nat64.put("icmpTimeout", nat64.get("icmpTimeout").asLong() + 1);
        }
        return body;
    }

    /** Applies a small change (icmpTimeout + 1); returns the new version. */
    private static long bumpVersion() {
        ObjectNode nat64 = api.object(CONFIG + "/nat64");
        nat64.put("icmpTimeout", nat64.get("icmpTimeout").asLong() + 1);
        JsonNode a = applied(api.put(CONFIG + "/nat64", nat64, api.currentETag()));
        assertThat(a.get("changed").asBoolean()).isTrue();
        return a.get("version").asLong();
    }
}
