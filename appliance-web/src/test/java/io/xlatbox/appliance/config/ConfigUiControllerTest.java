package io.xlatbox.appliance.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;

import io.xlatbox.appliance.sessions.Packets;
import io.xlatbox.engine.L4Protocol;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.springframework.test.web.servlet.MvcResult;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;
import org.springframework.web.util.HtmlUtils;

/**
 * The configuration pages, driven as a browser without JavaScript would: read the form from the rendered page,
 * change fields, post it, follow the outcome.
 */
class ConfigUiControllerTest extends UiTestBase {
    private static final String FORM = "config-form";

    @Test
    void everySectionRendersTheActiveConfigurationAndItsVersion() throws Exception {
        long v = activeVersion();
        MultiValueMap<String, String> nat = HtmlForm.fields(page("/config/nat64"), FORM);
        assertThat(nat.getFirst("version")).isEqualTo(Long.toString(v));
        assertThat(nat.getFirst("pool6")).isEqualTo("64:ff9b::/96");
        assertThat(nat.getFirst("pool4[0].protocol")).isEqualTo("tcp");
        assertThat(nat.getFirst("pool4[0].prefix")).isEqualTo("100.64.64.0/24");
        assertThat(nat.getFirst("pool4[2].portMin")).isEqualTo("0");
        assertThat(nat.getFirst("pool4[3].prefix")).as("an empty row to add a range").isEmpty();
        assertThat(nat.getFirst("staticBib[0].ipv6Address")).as("an empty static BIB row").isEmpty();
        assertThat(nat.getFirst("udpTimeout")).isEqualTo("300");
        assertThat(nat.getFirst("tcpEstablishedTimeout")).isEqualTo("7440");
        assertThat(nat.getFirst("lowestIpv6Mtu")).isEqualTo("1280");
        assertThat(nat).doesNotContainKey("addressDependentFiltering");

        MultiValueMap<String, String> dns = HtmlForm.fields(page("/config/dns64"), FORM);
        assertThat(dns.getFirst("enabled")).isEqualTo("true");
        assertThat(dns.getFirst("listen")).isEqualTo("[::]:53\n0.0.0.0:53");
        assertThat(dns.getFirst("upstreams")).isEqualTo("9.9.9.9:53\n1.1.1.1:53");
        assertThat(dns.getFirst("prefixes[0].prefix")).isEqualTo("64:ff9b::/96");
        assertThat(dns.getFirst("exclusions")).isEqualTo("::ffff:0:0/96");
        assertThat(dns.getFirst("cacheMaxEntries")).isEqualTo("100000");

        String sysPage = page("/config/system");
        MultiValueMap<String, String> sys = HtmlForm.fields(sysPage, FORM);
        assertThat(sys.getFirst("hostname")).isEqualTo("xlatbox");
        assertThat(sys.getFirst("tunName")).isEqualTo("nat64");
        assertThat(sysPage).contains("Interfaces on this box").contains(">lo<");
    }

    @Test
    void theUnchangedFormAppliesNothing() throws Exception {
        long v = activeVersion();
        MultiValueMap<String, String> f = HtmlForm.fields(page("/config/nat64"), FORM);
        MvcResult r = submit("/config/nat64", f);
        assertThat(r.getResponse().getRedirectedUrl()).isEqualTo("/config/nat64");
        assertThat(activeVersion()).isEqualTo(v);
        assertThat(follow(r)).contains("Nothing changed");
    }

    @Test
    void aValidPostAppliesANewVersionAndSaysSo() throws Exception {
        long v = activeVersion();
        MultiValueMap<String, String> f = HtmlForm.fields(page("/config/nat64"), FORM);
        f.set("udpTimeout", "600");
        f.set("addressDependentFiltering", "true");
        f.set("pool4[3].protocol", "tcp"); // the empty row adds a range
        f.set("pool4[3].prefix", "100.64.65.0/24");
        f.set("pool4[3].portMin", "1024");
        f.set("pool4[3].portMax", "65535");
        f.set("staticBib[0].protocol", "tcp");
        f.set("staticBib[0].ipv6Address", "2001:db8::80");
        f.set("staticBib[0].ipv6Port", "80");
        f.set("staticBib[0].ipv4Address", "100.64.64.9");
        f.set("staticBib[0].ipv4Port", "8080");
        MvcResult r = submit("/config/nat64", f);

        assertThat(r.getResponse().getRedirectedUrl()).isEqualTo("/config/nat64");
        assertThat(activeVersion()).isEqualTo(v + 1);
        Nat64Settings n = configs.active().config().nat64();
        assertThat(n.udpTimeout()).isEqualTo(600);
        assertThat(n.addressDependentFiltering()).isTrue();
        assertThat(n.pool4()).hasSize(4).last()
                .isEqualTo(new Nat64Settings.Pool4Range("tcp", "100.64.65.0/24", 1024, 65535));
        assertThat(n.staticBib()).containsExactly(
                new Nat64Settings.StaticBinding("tcp", "2001:db8::80", 80, "100.64.64.9", 8080));
        assertThat(configs.versions(1, Long.MAX_VALUE).get(0).author()).isEqualTo("admin");
        String after = follow(r);
        assertThat(after).contains("Applied as version " + (v + 1)).contains("nat64.udpTimeout: 300 -&gt; 600");
        assertThat(HtmlForm.fields(after, FORM).getFirst("udpTimeout")).isEqualTo("600");
    }

    @Test
    void theRemoveBoxTakesARowAway() throws Exception {
        MultiValueMap<String, String> f = HtmlForm.fields(page("/config/nat64"), FORM);
        f.set("pool4[2].remove", "true"); // icmp
        MvcResult r = submit("/config/nat64", f);
        assertThat(r.getResponse().getRedirectedUrl()).isEqualTo("/config/nat64");
        assertThat(configs.active().config().nat64().pool4()).extracting(Nat64Settings.Pool4Range::protocol)
                .containsExactly("tcp", "udp");
    }

    @Test
    void anInvalidPostShowsEachErrorNextToItsFieldKeepsTheInputAndChangesNothing() throws Exception {
        long v = activeVersion();
        ApplianceConfig before = configs.active().config();
        MultiValueMap<String, String> f = HtmlForm.fields(page("/config/nat64"), FORM);
        f.set("udpTimeout", "10");
        f.set("ipv4Mtu", "fifteen hundred");
        f.set("maxSessions", "0");
        MvcResult r = submit("/config/nat64", f);

        assertThat(r.getResponse().getStatus()).isEqualTo(200);
        assertThat(activeVersion()).isEqualTo(v);
        assertThat(configs.active().config()).isEqualTo(before);
        String html = r.getResponse().getContentAsString();
        assertThat(html).contains("3 problems found; nothing was changed.");
        assertThat(errorOf(html, "udpTimeout")).contains("120");
        assertThat(errorOf(html, "ipv4Mtu")).isEqualTo("must be a whole number (got \"fifteen hundred\")");
        assertThat(errorOf(html, "maxSessions")).isNotEmpty();
        MultiValueMap<String, String> kept = HtmlForm.fields(html, FORM);
        assertThat(kept.getFirst("version")).isEqualTo(Long.toString(v));
        assertThat(kept.getFirst("udpTimeout")).isEqualTo("10");
        assertThat(kept.getFirst("ipv4Mtu")).isEqualTo("fifteen hundred");
        assertThat(html).contains("aria-invalid=\"true\"").contains("href=\"#f-udpTimeout\"");
    }

    @Test
    void theEnginesOwnChecksLandOnTheRowsTheyConcern() throws Exception {
        long v = activeVersion();
        MultiValueMap<String, String> f = HtmlForm.fields(page("/config/nat64"), FORM);
        f.set("pool4[1].portMax", "80");      // below portMin 1024
        f.set("pool4[3].protocol", "udp");    // the new row: not a prefix
        f.set("pool4[3].prefix", "300.1.2.0/24");
        f.set("pool4[3].portMin", "1024");
        f.set("pool4[3].portMax", "2000");
        MvcResult r = submit("/config/nat64", f);
        String html = r.getResponse().getContentAsString();
        assertThat(activeVersion()).isEqualTo(v);
        assertThat(errorOf(html, "pool4[3].prefix")).isNotEmpty();
        assertThat(HtmlForm.fields(html, FORM).getFirst("pool4[3].prefix")).isEqualTo("300.1.2.0/24");
        assertThat(HtmlForm.fields(html, FORM).getFirst("pool4[3].protocol")).isEqualTo("udp");

        // Once the entries parse, the engine checks how they fit together.
        f.set("pool4[3].remove", "true");
        f.set("ipv6Mtu", "1300");
        f.set("lowestIpv6Mtu", "1400");
        html = submit("/config/nat64", f).getResponse().getContentAsString();
        assertThat(errorOf(html, "pool4[1].portMax")).contains("must not be below portMin");
        assertThat(errorOf(html, "lowestIpv6Mtu")).contains("must not exceed ipv6Mtu");
        assertThat(activeVersion()).isEqualTo(v);
    }

    @Test
    void errorsOfALaterRowLandOnThatRowWhenAnEarlierOneIsRemoved() throws Exception {
        MultiValueMap<String, String> f = HtmlForm.fields(page("/config/nat64"), FORM);
        f.set("pool4[0].remove", "true");
        f.set("pool4[2].portMin", "70000");
        MvcResult r = submit("/config/nat64", f);
        String html = r.getResponse().getContentAsString();
        assertThat(errorOf(html, "pool4[2].portMin")).as("config index 1 is form row 2").isNotEmpty();
        assertThat(html).doesNotContain("id=\"f-pool4-1-portMin-error\"");
    }

    @Test
    void addARowWithoutJavaScriptKeepsTheInputAndAppliesNothing() throws Exception {
        long v = activeVersion();
        MultiValueMap<String, String> f = HtmlForm.fields(page("/config/nat64"), FORM);
        f.set("udpTimeout", "900");
        f.set("action", "add-pool4");
        String html = submit("/config/nat64", f).getResponse().getContentAsString();
        MultiValueMap<String, String> next = HtmlForm.fields(html, FORM);
        assertThat(next).containsKeys("pool4[3].prefix", "pool4[4].prefix");
        assertThat(next.getFirst("udpTimeout")).isEqualTo("900");
        assertThat(activeVersion()).isEqualTo(v);
    }

    @Test
    void aConcurrentChangeIsReportedAndTheInputKept() throws Exception {
        long v = activeVersion();
        MultiValueMap<String, String> f = HtmlForm.fields(page("/config/nat64"), FORM);
        ApplianceConfig c = configs.active().config();
        configs.apply(c.withSystem(new SystemSettings("other-box", "", "", "nat64", 0, false)), v, "someone", null);

        f.set("icmpTimeout", "90");
        MvcResult r = submit("/config/nat64", f);
        String html = r.getResponse().getContentAsString();
        assertThat(r.getResponse().getStatus()).isEqualTo(200);
        assertThat(html).contains("The configuration changed meanwhile")
                .contains("You edited version <span>" + v + "</span>");
        assertThat(HtmlForm.fields(html, FORM).getFirst("icmpTimeout")).isEqualTo("90");
        assertThat(activeVersion()).isEqualTo(v + 1);
        assertThat(configs.active().config().nat64().icmpTimeout()).isEqualTo(60);

        // "Apply my input over version v+1": the button posts the same form with rebase.
        MultiValueMap<String, String> again = HtmlForm.fields(html, FORM);
        again.set("rebase", Long.toString(v + 1));
        MvcResult applied = submit("/config/nat64", again);
        assertThat(applied.getResponse().getRedirectedUrl()).isEqualTo("/config/nat64");
        assertThat(configs.active().config().nat64().icmpTimeout()).isEqualTo(90);
        assertThat(configs.active().config().system().hostname()).as("the other change stays").isEqualTo("other-box");
    }

    @Test
    void aChangeThatDropsSessionsAsksFirst() throws Exception {
        Packets.openUdpSession(dataplane.group(), "2001:db8:aa::1", 40000);
        Packets.openUdpSession(dataplane.group(), "2001:db8:aa::2", 40001);
        assertThat(dataplane.group().sessionCounts().get(L4Protocol.UDP)).isGreaterThanOrEqualTo(2);
        long v = activeVersion();

        MultiValueMap<String, String> f = HtmlForm.fields(page("/config/nat64"), FORM);
        f.set("pool4[1].prefix", "100.64.99.0/24"); // udp moves: its sessions lose their address
        MvcResult r = submit("/config/nat64", f);
        String html = r.getResponse().getContentAsString();
        Nat64Settings n = configs.active().config().nat64();
        List<Nat64Settings.Pool4Range> pool4 = new ArrayList<>(n.pool4());
        pool4.set(1, new Nat64Settings.Pool4Range("udp", "100.64.99.0/24", 1024, 65535));
        int dropped = configs.preview(configs.active().config().withNat64(new Nat64Settings(n.pool6(), pool4,
                n.staticBib(), n.udpTimeout(), n.tcpEstablishedTimeout(), n.tcpTransitoryTimeout(), n.icmpTimeout(),
                n.maxSessions(), n.maxSessionsPerHost(), n.addressDependentFiltering(),
                n.dropExternallyInitiatedTcp(), n.ipv6Mtu(), n.ipv4Mtu(), n.lowestIpv6Mtu(), n.ownIpv4Address(),
                n.ownIpv6Address(), n.allowNonGlobalWithWellKnownPrefix()))).sessionsDropped();
        assertThat(dropped).isGreaterThanOrEqualTo(2);
        assertThat(html).contains("This change drops " + dropped + " sessions")
                .contains("Apply and drop " + dropped + " sessions")
                .contains("nat64.pool4[1].prefix");
        assertThat(activeVersion()).as("nothing applied yet").isEqualTo(v);

        // Back to the form: the input is still there.
        MultiValueMap<String, String> hidden = hiddenFields(html);
        MultiValueMap<String, String> back = new LinkedMultiValueMap<>(hidden);
        back.set("action", "edit");
        String form = submit("/config/nat64", back).getResponse().getContentAsString();
        assertThat(HtmlForm.fields(form, FORM).getFirst("pool4[1].prefix")).isEqualTo("100.64.99.0/24");
        assertThat(activeVersion()).isEqualTo(v);

        // Apply: the confirmation posts the same input with confirm=yes.
        MultiValueMap<String, String> yes = new LinkedMultiValueMap<>(hidden);
        yes.set("confirm", "yes");
        MvcResult done = submit("/config/nat64", yes);
        assertThat(done.getResponse().getRedirectedUrl()).isEqualTo("/config/nat64");
        assertThat(activeVersion()).isEqualTo(v + 1);
        assertThat(configs.active().config().nat64().pool4().get(1).prefix()).isEqualTo("100.64.99.0/24");
        assertThat(follow(done)).contains("were dropped");
    }

    @Test
    void dns64ListsAreOneEntryPerLineAndTheirErrorsNameTheLine() throws Exception {
        long v = activeVersion();
        MultiValueMap<String, String> f = HtmlForm.fields(page("/config/dns64"), FORM);
        f.set("upstreams", "192.0.2.53:53\n\n not-an-address:53 \n");
        MvcResult bad = submit("/config/dns64", f);
        String html = bad.getResponse().getContentAsString();
        assertThat(errorOf(html, "upstreams")).contains("line 3 (not-an-address:53)");
        assertThat(HtmlForm.fields(html, FORM).getFirst("upstreams"))
                .isEqualTo("192.0.2.53:53\n\n not-an-address:53 \n");
        assertThat(activeVersion()).isEqualTo(v);

        f.set("upstreams", "192.0.2.53:53\n[2001:db8::53]:53");
        f.set("exclusions", "::ffff:0:0/96\n2001:db8:bad::/48");
        f.set("prefixes[0].mappedRanges", "192.0.2.0/24, 198.51.100.0/24");
        MvcResult ok = submit("/config/dns64", f);
        assertThat(ok.getResponse().getRedirectedUrl()).isEqualTo("/config/dns64");
        Dns64Settings d = configs.active().config().dns64();
        assertThat(d.upstreams()).containsExactly("192.0.2.53:53", "[2001:db8::53]:53");
        assertThat(d.exclusions()).containsExactly("::ffff:0:0/96", "2001:db8:bad::/48");
        assertThat(d.prefixes().get(0).mappedRanges()).containsExactly("192.0.2.0/24", "198.51.100.0/24");
    }

    @Test
    void dns64PrefixRowErrorsLandOnTheirRow() throws Exception {
        MultiValueMap<String, String> f = HtmlForm.fields(page("/config/dns64"), FORM);
        f.set("prefixes[0].mappedRanges", "192.0.2.0/24, banana");
        String html = submit("/config/dns64", f).getResponse().getContentAsString();
        assertThat(errorOf(html, "prefixes[0].mappedRanges")).contains("\"banana\"");
    }

    @Test
    void systemSettingsValidateAndApply() throws Exception {
        long v = activeVersion();
        MultiValueMap<String, String> f = HtmlForm.fields(page("/config/system"), FORM);
        f.set("hostname", "bad name!");
        f.set("tunQueues", "99");
        String html = submit("/config/system", f).getResponse().getContentAsString();
        assertThat(errorOf(html, "hostname")).isNotEmpty();
        assertThat(errorOf(html, "tunQueues")).isNotEmpty();
        assertThat(activeVersion()).isEqualTo(v);

        f.set("hostname", "edge-1");
        f.set("tunQueues", "2");
        f.set("wanInterface", "eth0");
        f.set("nat44", "true");
        MvcResult r = submit("/config/system", f);
        assertThat(r.getResponse().getRedirectedUrl()).isEqualTo("/config/system");
        assertThat(configs.active().config().system())
                .isEqualTo(new SystemSettings("edge-1", "eth0", "", "nat64", 2, true));
        assertThat(page("/config/system")).contains("edge-1");
    }

    // -------------------------------------------------------------------------------------------------- helpers

    private String follow(MvcResult redirect) throws Exception {
        return mvc.perform(get(redirect.getResponse().getRedirectedUrl()).flashAttrs(redirect.getFlashMap()))
                .andReturn().getResponse().getContentAsString();
    }

    /** The text of a field's error element (empty when it has none). */
    static String errorOf(String html, String field) {
        String id = FormErrors.anchor(field) + "-error";
        Matcher m = Pattern.compile("id=\"" + Pattern.quote(id) + "\"[^>]*>(.*?)</div>", Pattern.DOTALL).matcher(html);
        return m.find() ? HtmlUtils.htmlUnescape(
                m.group(1).replaceAll("<[^>]+>", " ").replaceAll("\\s+", " ").trim()) : "";
    }

    /** The hidden fields of the confirmation step's form. */
    static MultiValueMap<String, String> hiddenFields(String html) {
        MultiValueMap<String, String> out = new LinkedMultiValueMap<>();
        Matcher m = Pattern.compile("<input type=\"hidden\"[^>]*>").matcher(html);
        while (m.find()) {
            String name = HtmlForm.attr(m.group(), "name");
            if (name != null && !name.equals("_csrf")) {
                out.add(name, HtmlUtils.htmlUnescape(HtmlForm.attr(m.group(), "value")));
            }
        }
        return out;
    }
}
