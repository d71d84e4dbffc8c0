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
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Backup and restore over REST: the document, a round trip through a changed configuration, and restores that
 * are refused (bad documents, missing or stale If-Match) without changing anything.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"xlatbox.dataplane.enabled=false", "xlatbox.dns64.enabled=false", "xlatbox.tls.enabled=false"})
@ExtendWith(OutputCaptureExtension.class)
class BackupApiTest {
    static final String CONFIG = "/api/v1/config";
    static final String RESTORE = "/api/v1/restore";

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
            api = Api.connect(port, output, "backup-automation"); // before any backup, so every backup holds it
        }
    }

    @Test
    void aBackupIsTheWholeConfigurationWithItsVersion() {
        HttpResponse<String> r = api.get("/api/v1/backup");
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode doc = json(r);
        long v = version(api.currentETag());
        assertThat(etag(r)).isEqualTo("\"" + v + "\"");
        assertThat(r.headers().firstValue("Content-Disposition").orElse(""))
                .isEqualTo("attachment; filename=\"xlatbox-backup-v" + v + ".json\"");
        assertThat(doc.get("format").asString()).isEqualTo("xlatbox-backup");
        assertThat(doc.get("formatVersion").asInt()).isEqualTo(1);
        assertThat(doc.get("configVersion").asLong()).isEqualTo(v);
        assertThat(doc.get("createdAt").asString()).isNotBlank();
        assertThat(doc.get("config")).isEqualTo(api.read(CONFIG));
        assertThat(doc.get("accounts").isArray()).isTrue();
        assertThat(doc.get("tokens").toString()).contains("backup-automation").doesNotContain(api.token);
    }

    @Test
    void aRestoreBringsTheBackedUpConfigurationBackAsANewVersion() {
        JsonNode backup = api.read("/api/v1/backup");
        ObjectNode changed = api.object(CONFIG);
        ((ObjectNode) changed.get("nat64")).put("udpTimeout", 600).put("pool6", "2001:db8:46::/96");
        ((ArrayNode) changed.get("dns64").get("upstreams")).set(0, "192.0.2.53:53");
        ((ObjectNode) changed.get("system")).put("hostname", "changed-after-backup");
        JsonNode c = applied(api.put(CONFIG, changed, api.currentETag()));
        assertThat(c.get("changed").asBoolean()).isTrue();
        assertThat(api.read(CONFIG)).isNotEqualTo(backup.get("config"));

        JsonNode r = applied(api.post(RESTORE, backup, api.currentETag()));
        assertThat(r.get("changed").asBoolean()).isTrue();
        assertThat(r.get("version").asLong()).isEqualTo(c.get("version").asLong() + 1);
        assertThat(r.get("changes").toString()).contains("nat64.udpTimeout: 600 -> ",
                "system.hostname: changed-after-backup -> ");
        assertThat(api.read(CONFIG)).isEqualTo(backup.get("config"));
        assertThat(api.read(CONFIG + "/versions/" + r.get("version").asLong()).get("summary").asString())
                .isEqualTo("restored from a backup of configuration version " + backup.get("configVersion").asLong());
        // The token the backup holds still works (it is the one making these calls).
        assertThat(api.get(CONFIG).statusCode()).isEqualTo(200);

        // Restoring what runs already: no new version.
        JsonNode same = applied(api.post(RESTORE, api.read("/api/v1/backup"), api.currentETag()));
        assertThat(same.get("changed").asBoolean()).isFalse();
        assertThat(same.get("version").asLong()).isEqualTo(r.get("version").asLong());
    }

    @Test
    void aBackupWithoutAccountsAndTokensKeepsTheCurrentOnes() {
        ObjectNode backup = api.object("/api/v1/backup");
        backup.remove("accounts");
        backup.remove("tokens");
        ((ObjectNode) backup.get("config").get("nat64")).put("icmpTimeout", 90);
        JsonNode r = applied(api.post(RESTORE, backup, api.currentETag()));
        assertThat(r.get("changed").asBoolean()).isTrue();
        assertThat(api.read(CONFIG + "/nat64").get("icmpTimeout").asLong()).isEqualTo(90);
        assertThat(api.get(CONFIG).statusCode()).isEqualTo(200);
    }

    @Test
    void anInvalidBackupIs422NamingTheFieldsAndNothingChanges() {
        ObjectNode backup = api.object("/api/v1/backup");
        Api.Snapshot before = api.snapshot();

        ObjectNode wrongFormat = backup.deepCopy().put("format", "pfsense-config");
        assertThat(fields(problem(api.post(RESTORE, wrongFormat, before.etag()), 422, "invalid-configuration")))
                .containsExactly("format");
        ObjectNode future = backup.deepCopy().put("formatVersion", 2);
        assertThat(fields(problem(api.post(RESTORE, future, before.etag()), 422, "invalid-configuration")))
                .containsExactly("formatVersion");
        ObjectNode noConfig = backup.deepCopy();
        noConfig.remove("config");
        assertThat(fields(problem(api.post(RESTORE, noConfig, before.etag()), 422, "invalid-configuration")))
                .containsExactly("config");

        ObjectNode badConfig = backup.deepCopy();
        ((ObjectNode) badConfig.get("config").get("nat64")).put("pool6", "64:ff9b::/95");
        ((ArrayNode) badConfig.get("config").get("dns64").get("listen")).set(0, "[::1");
        ((ObjectNode) badConfig.get("config").get("system")).put("hostname", "no spaces allowed");
        JsonNode p = problem(api.post(RESTORE, badConfig, before.etag()), 422, "invalid-configuration");
        assertThat(fields(p)).containsExactly("config.dns64.listen[0]", "config.nat64.pool6", "config.system.hostname");

        ObjectNode nullEntry = backup.deepCopy();
        ((ArrayNode) nullEntry.get("config").get("nat64").get("pool4")).insertNull(1);
        assertThat(fields(problem(api.post(RESTORE, nullEntry, before.etag()), 422, "invalid-configuration")))
                .containsExactly("config.nat64.pool4[1]");

        ObjectNode badToken = backup.deepCopy();
        ((ObjectNode) badToken.get("tokens").get(0)).put("scope", "root");
        ((ObjectNode) badToken.get("config").get("nat64")).put("udpTimeout", 1);
        assertThat(fields(problem(api.post(RESTORE, badToken, before.etag()), 422, "invalid-configuration")))
                .containsExactlyInAnyOrder("config.nat64.udpTimeout", "tokens[0].scope");

        // Not a backup at all, or values of the wrong type: 400.
        for (String body : new String[] {"{", "[]", "", "{\"format\": \"xlatbox-backup\"}"}) {
            problem(api.send("POST", RESTORE, body, before.etag()), 400, "unreadable");
        }
        ObjectNode wrongType = backup.deepCopy().put("formatVersion", "one");
        assertThat(fields(problem(api.post(RESTORE, wrongType, before.etag()), 400, "unreadable")))
                .containsExactly("formatVersion");
        api.assertUnchanged(before);
        assertThat(api.read("/api/v1/tokens").toString()).contains("backup-automation");
    }

    @Test
    void aRestoreNeedsTheCurrentVersionInIfMatch() {
        ObjectNode backup = api.object("/api/v1/backup");
        ((ObjectNode) backup.get("config").get("system")).put("hostname", "from-the-backup");
        problem(api.post(RESTORE, backup, null), 428, "if-match-required");
        String old = api.currentETag();
        ObjectNode nat64 = api.object(CONFIG + "/nat64");
        nat64.put("icmpTimeout", nat64.get("icmpTimeout").asLong() + 1);
        applied(api.put(CONFIG + "/nat64", nat64, old));
        Api.Snapshot before = api.snapshot();
        JsonNode p = problem(api.post(RESTORE, backup, old), 412, "version-conflict");
        assertThat(p.get("activeVersion").asLong()).isEqualTo(version(before.etag()));
        api.assertUnchanged(before);
        assertThat(api.read(CONFIG + "/system").get("hostname").asString()).isNotEqualTo("from-the-backup");
    }
}
