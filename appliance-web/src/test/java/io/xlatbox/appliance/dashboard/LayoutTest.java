package io.xlatbox.appliance.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.put;

import io.xlatbox.appliance.config.UiTestBase;
import jakarta.servlet.http.Cookie;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.web.servlet.MvcResult;

/**
 * The page frame: navigation, and the CSRF token it exposes for page scripts. Without spring-security-test's
 * csrf(): the token travels as a browser sends it, so this checks the layout against the real security setup.
 * A fresh application context, because csrf() in the other tests swaps the CSRF filter's token repository for
 * a test one in the context they share.
 */
@DirtiesContext(classMode = DirtiesContext.ClassMode.BEFORE_CLASS)
class LayoutTest extends UiTestBase {

    @Test
    void theNavigationMarksTheCurrentPage() throws Exception {
        assertThat(page("/config/dns64")).contains("aria-current=\"page\">DNS64</a>")
                .doesNotContain("aria-current=\"page\">NAT64</a>");
        assertThat(page("/bib")).contains("aria-current=\"page\">Sessions &amp; BIB</a>");
        assertThat(page("/history/1")).contains("aria-current=\"page\">History</a>");
    }

    @Test
    void theMetaTokenWorksAsAFormFieldAndTheCookieAsTheHeaderItNames() throws Exception {
        // The browser holds the XSRF-TOKEN cookie the security setup hands out (its raw token).
        Cookie xsrf = new Cookie("XSRF-TOKEN", UUID.randomUUID().toString());
        MvcResult page = mvc.perform(get("/config/system").cookie(xsrf)).andReturn();
        String html = page.getResponse().getContentAsString();
        String token = meta(html, "_csrf");
        String header = meta(html, "_csrf_header");

        // A script that posts form data sends the meta token as the _csrf field, like the page's own forms.
        MvcResult form = mvc.perform(post("/config/system").cookie(xsrf).param("_csrf", token)
                .param("version", Long.toString(activeVersion())).param("hostname", "xlatbox")
                .param("tunName", "nat64").param("tunQueues", "0")).andReturn();
        assertThat(form.getResponse().getStatus()).isEqualTo(302);

        // A script that sends JSON puts the cookie's value in the header the layout names.
        MvcResult json = mvc.perform(put("/api/v1/config/system").cookie(xsrf).header(header, xsrf.getValue())
                .header("If-Match", "\"" + activeVersion() + "\"").contentType(MediaType.APPLICATION_JSON)
                .content("{\"hostname\":\"xlatbox\",\"wanInterface\":\"\",\"lanInterface\":\"\",\"tunName\":\"nat64\","
                        + "\"tunQueues\":0,\"nat44\":false}")).andReturn();
        assertThat(json.getResponse().getStatus()).as(json.getResponse().getContentAsString()).isEqualTo(200);

        MvcResult forged = mvc.perform(post("/config/system").cookie(xsrf).param("_csrf", "forged")
                .param("version", Long.toString(activeVersion()))).andReturn();
        assertThat(forged.getResponse().getStatus()).isEqualTo(403);
    }

    private static String meta(String html, String name) {
        Matcher m = Pattern.compile("<meta name=\"" + name + "\" content=\"([^\"]+)\"").matcher(html);
        if (!m.find()) {
            throw new AssertionError("no meta " + name);
        }
        return m.group(1);
    }
}
