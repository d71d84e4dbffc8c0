package io.xlatbox.clat.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xlatbox.clat.lab.ClatLab;
import io.xlatbox.clat.util.Json;
import io.xlatbox.engine.tun.RootRequirement;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * 464XLAT as a newcomer runs it: {@code lab.sh up --appliance --clat} starts the packaged appliance (its NAT64 and
 * DNS64 in the router) and the packaged CLAT in the client, and {@code java -jar xlatbox-clat.jar check}, the
 * command lab.sh prints, must pass every check: once with the Well-Known Prefix and a 100 MB transfer, once with a
 * network-specific prefix that the CLAT learns from the appliance's DNS64 (RFC 7050).
 */
@Tag("root")
@ExtendWith(RootRequirement.class)
class Clat464ApplianceIT {
    private static final String NAME = "server.lab.test";

    @Test
    void theWholeCheckSuitePassesThroughTheApplianceWithTheWellKnownPrefix() throws Exception {
        Map<String, Map<String, Object>> checks = checkThroughAppliance("64:ff9b::/96", 100);
        Map<String, Object> bulk = data(checks, "bulk4");
        assertTrue(((Number) bulk.get("bytes")).longValue() >= 100L * 1024 * 1024, "at least 100 MB: " + bulk);
        assertEquals(bulk.get("expectedSha256"), bulk.get("sha256"), "verified byte for byte (SHA-256)");
    }

    @Test
    void theClatLearnsANetworkSpecificPrefixFromTheAppliancesDns64() throws Exception {
        Map<String, Map<String, Object>> checks = checkThroughAppliance("2001:db8:64::/96", 8);
        assertTrue(Json.array(data(checks, "dns64").get("aaaa")).get(0).toString().startsWith("2001:db8:64::"),
                checks.get("dns64").toString());
    }

    /** A lab with the appliance on {@code pool6} and the CLAT; runs check there and returns its checks by ID. */
    private static Map<String, Map<String, Object>> checkThroughAppliance(String pool6, int bigMb) throws Exception {
        Path dir = Files.createTempDirectory("clat-appliance-");
        try (ClatLab lab = ClatLab.withAppliance("--clat", "--pool6", pool6, "--http", "--port",
                Integer.toString(freePort()), "--data-dir", dir.resolve("data").toString(),
                "--big-mb", Integer.toString(bigMb))) {
            Path json = dir.resolve("check.json");
            ClatLab.Result r = lab.exec(null, Duration.ofSeconds(240), "java", "-jar", clatJar(), "check",
                    "--netns", lab.client, "--dns", ClatLab.ROUTER6, "--name", NAME, "--json", json.toString());
            System.out.println(r.stdout());
            assertEquals(0, r.exit(), r.toString());
            assertTrue(r.stdout().contains("13 passed, 0 failed, 0 skipped"), r.stdout());
            Map<String, Map<String, Object>> checks = new LinkedHashMap<>();
            for (Object o : Json.array(Json.object(Json.parse(Files.readString(json))).get("checks"))) {
                Map<String, Object> c = Json.object(o);
                checks.put((String) c.get("id"), c);
                assertEquals("pass", c.get("status"), c.toString());
            }
            assertEquals(pool6, data(checks, "plat").get("prefix"), "the prefix the CLAT discovered");
            assertEquals(Boolean.TRUE, data(checks, "dns64").get("underPlat"), checks.get("dns64").toString());
            return checks;
        } finally {
            Clat464EndToEndTest.deleteTree(dir);
        }
    }

    private static Map<String, Object> data(Map<String, Map<String, Object>> checks, String id) {
        assertTrue(checks.containsKey(id), "check " + id + " ran: " + checks.keySet());
        return Json.object(checks.get(id).get("data"));
    }

    private static String clatJar() {
        String jar = System.getProperty("xlatbox.clatJar");
        assertTrue(jar != null && Files.isRegularFile(Path.of(jar)), "the packaged CLAT (mvn package): " + jar);
        return jar;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
