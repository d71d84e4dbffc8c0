package io.xlatbox.appliance.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;

import io.xlatbox.appliance.config.UiTestBase;
import io.xlatbox.appliance.sessions.Packets;
import io.xlatbox.engine.Side;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.web.servlet.MvcResult;

/** The dashboard page, its assets (uPlot from the WebJar, the script), and the history it polls. */
class DashboardControllerTest extends UiTestBase {
    @Autowired
    MetricsHistory history;

    @Test
    void theDashboardShowsWhatRunsTheTablesAndTheVersion() throws Exception {
        Packets.openUdpSession(dataplane.group(), "2001:db8:d1::1", 53000);
        String html = page("/");
        assertThat(html).contains("Dataplane off") // xlatbox.dataplane.enabled=false in the tests
                .contains("data-live=\"sessions.udp\"")
                .contains("data-live=\"configVersion\">" + activeVersion() + "<")
                .contains("Pool4 use")
                .contains("DNS64 is not running.")
                .contains("/webjars/uplot/1.6.30/dist/uPlot.iife.min.js")
                .contains("/webjars/uplot/1.6.30/dist/uPlot.min.css")
                .contains("/js/poll.js")
                .contains("/js/dashboard.js")
                .contains("data-history=\"/api/v1/status/history\"")
                .contains("<meta name=\"_csrf\" content=\"")
                .contains("<meta name=\"_csrf_header\" content=\"X-CSRF-TOKEN\"")
                .contains("aria-current=\"page\">Dashboard</a>");
    }

    @Test
    void dropsAreListedByReasonWithTheirDescription() throws Exception {
        // An IPv6 packet to outside pool6 is dropped as dropNotPool6.
        dataplane.group().newWorker().process(Side.IPV6,
                Packets.udp6("2001:db8:d2::1", 1000, "2001:db8:ffff::1", 53, new byte[] {1}));
        String html = page("/");
        assertThat(html).contains("data-key=\"dropNotPool6\"").contains("IPv6 destination outside pool6");
    }

    @Test
    void theAssetsAreServedWithoutACdn() throws Exception {
        for (String url : new String[] {"/webjars/uplot/1.6.30/dist/uPlot.iife.min.js",
                "/webjars/uplot/1.6.30/dist/uPlot.min.css", "/js/poll.js", "/js/dashboard.js", "/js/dns.js",
                "/css/xlatbox.css", "/images/favicon.svg"}) {
            MvcResult r = mvc.perform(get(url)).andReturn();
            assertThat(r.getResponse().getStatus()).as(url).isEqualTo(200);
            assertThat(r.getResponse().getContentAsByteArray().length).as(url).isGreaterThan(100);
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void theHistoryCarriesDropsPerReason() throws Exception {
        history.sample();
        dataplane.group().newWorker().process(Side.IPV6,
                Packets.udp6("2001:db8:d3::1", 1000, "2001:db8:ffff::2", 53, new byte[] {1}));
        Thread.sleep(5);
        history.sample();
        Map<String, Object> h = history.since(0);
        assertThat(h).containsKeys("time", "packets6to4", "sessionsUdp", "pool4Used", "dnsQueries", "drops",
                "dropsByReason");
        Map<String, Object> drops = (Map<String, Object>) h.get("dropsByReason");
        assertThat(drops).containsKey("dropNotPool6");
        assertThat((List<Double>) drops.get("dropNotPool6")).anyMatch(rate -> rate > 0);
        List<Long> times = (List<Long>) h.get("time");
        assertThat((List<Long>) history.since(times.get(times.size() - 1)).get("time")).as("nothing newer").isEmpty();
        String json = mvc.perform(get("/api/v1/status/history?since=0")).andReturn().getResponse().getContentAsString();
        assertThat(json).contains("\"dropsByReason\":{").contains("\"dropNotPool6\":[");
    }
}
