package io.xlatbox.appliance.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.xlatbox.appliance.sessions.Packets;
import io.xlatbox.engine.L4Protocol;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.test.web.servlet.MvcResult;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;

/** The history page, the diff between versions, and rollback with its version check and confirmation. */
class HistoryUiControllerTest extends UiTestBase {

    private long change(long udpTimeout) {
        ConfigService.Active a = configs.active();
        Nat64Settings n = a.config().nat64();
        return configs.apply(a.config().withNat64(new Nat64Settings(n.pool6(), n.pool4(), n.staticBib(), udpTimeout,
                n.tcpEstablishedTimeout(), n.tcpTransitoryTimeout(), n.icmpTimeout(), n.maxSessions(),
                n.maxSessionsPerHost(), n.addressDependentFiltering(), n.dropExternallyInitiatedTcp(), n.ipv6Mtu(),
                n.ipv4Mtu(), n.lowestIpv6Mtu(), n.ownIpv4Address(), n.ownIpv6Address(),
                n.allowNonGlobalWithWellKnownPrefix())), a.version(), "alice", null).version();
    }

    @Test
    void theHistoryListsVersionsWithTimeAuthorSummaryAndRollbackForms() throws Exception {
        long v1 = change(400);
        long v2 = change(500);
        String html = page("/history");
        assertThat(html).contains("v" + v1).contains("v" + v2).contains("alice")
                .contains("nat64.udpTimeout: 400 -&gt; 500")
                .contains("action=\"/history/" + v1 + "/rollback\"")
                .doesNotContain("action=\"/history/" + v2 + "/rollback\"") // the active one
                .contains("name=\"active\" value=\"" + v2 + "\"");
    }

    @Test
    void theDiffShowsWhatChangedFromThePredecessorOrAnyOtherVersion() throws Exception {
        long v1 = change(400);
        long v2 = change(500);
        String diff = page("/history/" + v2);
        assertThat(diff).contains("Changes from").contains("nat64.udpTimeout")
                .contains("<span class=\"diff-before\">400</span>").contains("<span class=\"diff-after\">500</span>");
        String against = page("/history/" + v2 + "?against=1");
        assertThat(against).contains("<span class=\"diff-before\">300</span>")
                .contains("<span class=\"diff-after\">500</span>");
        assertThat(page("/history/" + v1 + "?against=99999")).contains("no configuration version 99999");
        assertThat(page("/history/1")).contains("Settings at the start").contains("&quot;pool6&quot;");
        assertThat(page("/history/99999")).contains("no configuration version 99999");
    }

    @Test
    void rollbackAppliesTheEarlierVersionAgainAsANewOne() throws Exception {
        long v1 = change(400);
        long v2 = change(500);
        MvcResult r = submit("/history/" + v1 + "/rollback", fields("active", Long.toString(v2)));
        assertThat(r.getResponse().getRedirectedUrl()).isEqualTo("/history");
        assertThat(activeVersion()).isEqualTo(v2 + 1);
        assertThat(configs.active().config().nat64().udpTimeout()).isEqualTo(400);
        assertThat(configs.versions(1, Long.MAX_VALUE).get(0).summary()).isEqualTo("rollback to version " + v1);
        assertThat(r.getFlashMap().get("applied")).isNotNull();
    }

    @Test
    void aRollbackMadeAgainstAnOlderActiveVersionChangesNothing() throws Exception {
        long v1 = change(400);
        long v2 = change(500);
        change(600);
        MvcResult r = submit("/history/" + v1 + "/rollback", fields("active", Long.toString(v2)));
        assertThat(r.getResponse().getRedirectedUrl()).isEqualTo("/history");
        assertThat((String) r.getFlashMap().get("problem")).contains("changed meanwhile");
        assertThat(configs.active().config().nat64().udpTimeout()).isEqualTo(600);
    }

    @Test
    void aRollbackThatDropsSessionsAsksFirst() throws Exception {
        long base = activeVersion();
        ConfigService.Active a = configs.active();
        Nat64Settings n = a.config().nat64();
        List<Nat64Settings.Pool4Range> moved = List.of(n.pool4().get(0),
                new Nat64Settings.Pool4Range("udp", "100.64.77.0/24", 1024, 65535), n.pool4().get(2));
        long v = configs.apply(a.config().withNat64(new Nat64Settings(n.pool6(), moved, n.staticBib(),
                n.udpTimeout(), n.tcpEstablishedTimeout(), n.tcpTransitoryTimeout(), n.icmpTimeout(), n.maxSessions(),
                n.maxSessionsPerHost(), n.addressDependentFiltering(), n.dropExternallyInitiatedTcp(), n.ipv6Mtu(),
                n.ipv4Mtu(), n.lowestIpv6Mtu(), n.ownIpv4Address(), n.ownIpv6Address(),
                n.allowNonGlobalWithWellKnownPrefix())), a.version(), "alice", null).version();
        Packets.openUdpSession(dataplane.group(), "2001:db8:bb::1", 41000);
        assertThat(dataplane.group().sessionCounts().get(L4Protocol.UDP)).isPositive();

        MvcResult r = submit("/history/" + base + "/rollback", fields("active", Long.toString(v)));
        String html = r.getResponse().getContentAsString();
        assertThat(html).contains("Apply the rollback to version " + base + "?").containsPattern("drops \\d+ session");
        assertThat(activeVersion()).isEqualTo(v);

        MultiValueMap<String, String> yes = ConfigUiControllerTest.hiddenFields(html);
        yes.set("confirm", "yes");
        MvcResult done = submit("/history/" + base + "/rollback", yes);
        assertThat(done.getResponse().getRedirectedUrl()).isEqualTo("/history");
        assertThat(activeVersion()).isEqualTo(v + 1);
        assertThat(configs.active().config().nat64().pool4().get(1).prefix()).isEqualTo("100.64.64.0/24");
    }

    @Test
    void rollingBackToAVersionThatDoesNotExistSaysSo() throws Exception {
        MvcResult r = submit("/history/99999/rollback", fields("active", Long.toString(activeVersion())));
        assertThat((String) r.getFlashMap().get("problem")).contains("no configuration version 99999");
    }

    private static MultiValueMap<String, String> fields(String k, String v) {
        MultiValueMap<String, String> m = new LinkedMultiValueMap<>();
        m.add(k, v);
        return m;
    }
}
