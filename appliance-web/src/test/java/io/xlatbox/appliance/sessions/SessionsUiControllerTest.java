package io.xlatbox.appliance.sessions;

import static org.assertj.core.api.Assertions.assertThat;

import io.xlatbox.appliance.config.UiTestBase;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.springframework.web.util.HtmlUtils;

/** The session and BIB browser: RFC 6146 notation, filters as plain GET forms, paging with the cursor. */
class SessionsUiControllerTest extends UiTestBase {

    @Test
    void sessionsShowBothEndsOfBothSidesAndTheirExpiry() throws Exception {
        Packets.openUdpSession(dataplane.group(), "2001:db8:c1::1", 50000);
        String html = page("/sessions?address=2001:db8:c1::1");
        assertThat(html).contains(">2001:db8:c1::1</a>, <span>50000</span>")
                .contains("<span>64:ff9b::808:808</span>, <span>53</span>")
                .contains(">8.8.8.8</a>, <span>53</span>")
                .containsPattern(">100\\.64\\.64\\.\\d+</a>, <span>\\d+</span>")
                .containsPattern("title=\"\\(2001:db8:c1::1,50000\\),\\(64:ff9b::808:808,53\\) &lt;-&gt; "
                        + "\\(100\\.64\\.64\\.\\d+,\\d+\\),\\(8\\.8\\.8\\.8,53\\)\"")
                .containsPattern("\\d min \\d+ s</td>");
        assertThat(rows(html)).isEqualTo(1);
    }

    @Test
    void filtersAreAPlainGetForm() throws Exception {
        Packets.openUdpSession(dataplane.group(), "2001:db8:c2::1", 50001);
        assertThat(rows(page("/sessions?protocol=udp&address=2001:db8:c2::1"))).isEqualTo(1);
        assertThat(page("/sessions?protocol=tcp&address=2001:db8:c2::1")).contains("No sessions match the filter.");
        String form = page("/sessions");
        assertThat(form).contains("<form class=\"card filters\" method=\"get\" action=\"/sessions\"")
                .contains("name=\"protocol\"").contains("name=\"address\"");
    }

    @Test
    void aBadFilterIsShownNextToItsField() throws Exception {
        String html = page("/sessions?address=not-an-address");
        assertThat(html).contains("id=\"address-error\"").contains("value=\"not-an-address\"");
        assertThat(page("/bib?protocol=sctp")).contains("unknown protocol");
    }

    @Test
    void pagesFollowTheCursorForwardAndBack() throws Exception {
        for (int i = 0; i < 60; i++) {
            Packets.openUdpSession(dataplane.group(), "2001:db8:c3::" + Integer.toHexString(i + 1), 51000);
        }
        String first = page("/sessions?protocol=udp&limit=50");
        assertThat(rows(first)).isEqualTo(50);
        String next = link(first, "next");
        assertThat(next).contains("protocol=udp").contains("limit=50").contains("cursor=");
        String second = page(next);
        assertThat(rows(second)).isGreaterThanOrEqualTo(10);
        assertThat(link(second, "prev")).doesNotContain("cursor=");
        assertThat(rows(page(link(second, "prev")))).isEqualTo(50);
    }

    @Test
    void theBibAndPool4TabsRender() throws Exception {
        Packets.openUdpSession(dataplane.group(), "2001:db8:c4::1", 52000);
        String bib = page("/bib?address=2001:db8:c4::1");
        assertThat(bib).contains(">2001:db8:c4::1</a>, <span>52000</span>").contains("dynamic");
        assertThat(rows(bib)).isEqualTo(1);
        String pool4 = page("/pool4");
        assertThat(pool4).contains("100.64.64.0").contains("Pool4 use").contains("ports");
    }

    private static int rows(String html) {
        String body = html.substring(html.indexOf("<tbody>"), html.indexOf("</tbody>"));
        Matcher m = Pattern.compile("<tr title=").matcher(body);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    private static String link(String html, String rel) {
        Matcher m = Pattern.compile("href=\"([^\"]*)\" rel=\"" + rel + "\"").matcher(html);
        if (!m.find()) {
            throw new AssertionError("no " + rel + " link");
        }
        return HtmlUtils.htmlUnescape(m.group(1));
    }
}
