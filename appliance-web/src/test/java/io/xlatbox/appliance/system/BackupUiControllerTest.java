package io.xlatbox.appliance.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.csrf;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.multipart;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;

import io.xlatbox.appliance.config.ApplianceConfig;
import io.xlatbox.appliance.config.ConfigService;
import io.xlatbox.appliance.config.Nat64Settings;
import io.xlatbox.appliance.config.SystemSettings;
import io.xlatbox.appliance.config.UiTestBase;
import io.xlatbox.appliance.sessions.Packets;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.mock.web.MockMultipartFile;
import org.springframework.test.web.servlet.MvcResult;
import org.springframework.web.util.HtmlUtils;
import tools.jackson.databind.json.JsonMapper;

/** The backup page: the download, and restore from an uploaded file with full validation first. */
class BackupUiControllerTest extends UiTestBase {
    @Autowired
    JsonMapper json;

    @Test
    void thePageOffersTheDownloadAndTheUploadForm() throws Exception {
        String html = page("/backup");
        assertThat(html).contains("href=\"/api/v1/backup\"").contains("enctype=\"multipart/form-data\"")
                .contains("action=\"/backup/restore\"").contains("name=\"version\" value=\"" + activeVersion() + "\"");
        MvcResult r = mvc.perform(get("/api/v1/backup")).andReturn();
        assertThat(r.getResponse().getStatus()).isEqualTo(200);
        assertThat(r.getResponse().getContentAsString()).contains("\"format\":\"xlatbox-backup\"");
    }

    @Test
    void aFileThatIsNotJsonIsRefusedAndChangesNothing() throws Exception {
        long v = activeVersion();
        String html = upload("this is not json".getBytes(StandardCharsets.UTF_8), v, null);
        assertThat(html).contains("cannot be restored").contains("not a valid backup document");
        assertThat(activeVersion()).isEqualTo(v);
    }

    @Test
    void aBackupWithBadFieldsListsEveryFieldAndChangesNothing() throws Exception {
        long v = activeVersion();
        String doc = backupJson().replace("\"udpTimeout\":300", "\"udpTimeout\":5")
                .replace("\"hostname\":\"xlatbox\"", "\"hostname\":\"no spaces allowed\"")
                .replace("\"format\":\"xlatbox-backup\"", "\"format\":\"something-else\"");
        String html = upload(doc.getBytes(StandardCharsets.UTF_8), v, null);
        assertThat(html).contains("3 problems. Nothing was changed.")
                .contains("<td>config.nat64.udpTimeout</td>").contains("<td>config.system.hostname</td>")
                .contains("<td>format</td>");
        assertThat(activeVersion()).isEqualTo(v);
    }

    @Test
    void aGoodBackupIsAppliedAsANewVersion() throws Exception {
        long v = activeVersion();
        String doc = backupJson().replace("\"udpTimeout\":300", "\"udpTimeout\":777");
        MvcResult r = mvc.perform(multipart("/backup/restore").file(file(doc.getBytes(StandardCharsets.UTF_8)))
                .param("version", Long.toString(v)).with(csrf())).andReturn();
        assertThat(r.getResponse().getRedirectedUrl()).isEqualTo("/backup");
        assertThat(activeVersion()).isEqualTo(v + 1);
        assertThat(configs.active().config().nat64().udpTimeout()).isEqualTo(777);
        String after = mvc.perform(get("/backup").flashAttrs(r.getFlashMap())).andReturn().getResponse()
                .getContentAsString();
        assertThat(after).contains("Applied as version " + (v + 1)).contains("Restored the backup of configuration");
    }

    @Test
    void aBackupMadeForAnOlderVersionIsReportedAsAConflict() throws Exception {
        long v = activeVersion();
        String doc = backupJson().replace("\"udpTimeout\":300", "\"udpTimeout\":778");
        ConfigService.Active a = configs.active();
        configs.apply(a.config().withSystem(new SystemSettings("box2", "", "", "nat64", 0, false)), a.version(),
                "someone", null);
        String html = upload(doc.getBytes(StandardCharsets.UTF_8), v, null);
        assertThat(html).contains("The configuration changed meanwhile").contains("Nothing was restored");
        assertThat(configs.active().config().nat64().udpTimeout()).isEqualTo(300);
        // The conflict notice offers the same document again, against the active version.
        assertThat(html).contains("name=\"version\" value=\"" + (v + 1) + "\"").contains("name=\"document\"");
    }

    @Test
    void aRestoreThatDropsSessionsAsksFirst() throws Exception {
        long v = activeVersion();
        BackupDocument doc = json.readValue(backupJson(), BackupDocument.class);
        Nat64Settings n = doc.config().nat64();
        List<Nat64Settings.Pool4Range> moved = List.of(n.pool4().get(0),
                new Nat64Settings.Pool4Range("udp", "100.64.88.0/24", 1024, 65535), n.pool4().get(2));
        ApplianceConfig c = doc.config().withNat64(new Nat64Settings(n.pool6(), moved, n.staticBib(), n.udpTimeout(),
                n.tcpEstablishedTimeout(), n.tcpTransitoryTimeout(), n.icmpTimeout(), n.maxSessions(),
                n.maxSessionsPerHost(), n.addressDependentFiltering(), n.dropExternallyInitiatedTcp(), n.ipv6Mtu(),
                n.ipv4Mtu(), n.lowestIpv6Mtu(), n.ownIpv4Address(), n.ownIpv6Address(),
                n.allowNonGlobalWithWellKnownPrefix()));
        String text = json.writeValueAsString(new BackupDocument(doc.format(), doc.formatVersion(), doc.createdAt(),
                doc.configVersion(), c, doc.accounts(), doc.tokens()));
        Packets.openUdpSession(dataplane.group(), "2001:db8:e1::1", 54000);

        String html = upload(text.getBytes(StandardCharsets.UTF_8), v, null);
        assertThat(html).containsPattern("This change drops \\d+ session");
        assertThat(activeVersion()).isEqualTo(v);
        String document = hidden(html, "document");
        assertThat(document).isEqualTo(text);
        MvcResult r = mvc.perform(post("/backup/restore").param("document", document)
                .param("version", hidden(html, "version")).param("confirm", "yes").with(csrf())).andReturn();
        assertThat(r.getResponse().getRedirectedUrl()).isEqualTo("/backup");
        assertThat(activeVersion()).isEqualTo(v + 1);
        assertThat(configs.active().config().nat64().pool4().get(1).prefix()).isEqualTo("100.64.88.0/24");
    }

    @Test
    void anEmptyUploadSaysWhatToDo() throws Exception {
        String html = mvc.perform(multipart("/backup/restore").param("version", "1").with(csrf())).andReturn()
                .getResponse().getContentAsString();
        assertThat(html).contains("Choose a backup file");
    }

    /**
     * The backup of the active configuration, without "accounts": the test box was never set up, so it has no
     * admin account to restore, and a document without accounts keeps the current ones.
     */
    private String backupJson() throws Exception {
        BackupDocument d = json.readValue(mvc.perform(get("/api/v1/backup")).andReturn().getResponse()
                .getContentAsString(), BackupDocument.class);
        return json.writeValueAsString(new BackupDocument(d.format(), d.formatVersion(), d.createdAt(),
                d.configVersion(), d.config(), null, d.tokens()));
    }

    private String upload(byte[] content, long version, String confirm) throws Exception {
        var b = multipart("/backup/restore").file(file(content)).param("version", Long.toString(version))
                .with(csrf());
        if (confirm != null) {
            b.param("confirm", confirm);
        }
        MvcResult r = mvc.perform(b).andReturn();
        assertThat(r.getResponse().getStatus()).isEqualTo(200);
        return r.getResponse().getContentAsString();
    }

    private static MockMultipartFile file(byte[] content) {
        return new MockMultipartFile("file", "xlatbox-backup.json", "application/json", content);
    }

    private static String hidden(String html, String name) {
        Matcher m = Pattern.compile("<input type=\"hidden\" name=\"" + name + "\" value=\"([^\"]*)\"").matcher(html);
        if (!m.find()) {
            throw new AssertionError("no hidden " + name);
        }
        return HtmlUtils.htmlUnescape(m.group(1));
    }
}
