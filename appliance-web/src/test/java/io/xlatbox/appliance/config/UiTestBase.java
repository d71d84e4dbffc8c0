package io.xlatbox.appliance.config;

import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.csrf;
import static org.springframework.security.test.web.servlet.setup.SecurityMockMvcConfigurers.springSecurity;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;

import io.xlatbox.appliance.dataplane.DataplaneService;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.security.test.context.support.WithMockUser;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.MvcResult;
import org.springframework.test.web.servlet.request.MockHttpServletRequestBuilder;
import org.springframework.test.web.servlet.setup.MockMvcBuilders;
import org.springframework.util.MultiValueMap;
import org.springframework.web.context.WebApplicationContext;

/**
 * The UI tests' common ground: the whole application on a fresh H2 database in a temporary directory, without
 * the TUN dataplane and without the DNS64 sockets (the NAT64 state still exists, so sessions can be made by
 * hand), signed in through spring-security-test as the admin account is (the authorities of
 * security.AccountService), and posting forms with a CSRF token as a browser would. All UI
 * test classes share one application context (and database), so tests read the active version first and never
 * assume a version number.
 */
@SpringBootTest(properties = {"xlatbox.dataplane.enabled=false", "xlatbox.dns64.enabled=false",
    "xlatbox.tls.enabled=false"})
@WithMockUser(username = "admin", authorities = {"ROLE_ADMIN", "SCOPE_read", "SCOPE_write"})
public abstract class UiTestBase {
    private static final Path DATA_DIR = tempDir();

    protected MockMvc mvc;
    @Autowired
    private WebApplicationContext context;
    @Autowired
    protected ConfigService configs;
    @Autowired
    protected DataplaneService dataplane;

    @DynamicPropertySource
    static void dataDir(DynamicPropertyRegistry r) {
        r.add("xlatbox.data-dir", DATA_DIR::toString);
    }

    /**
     * MockMvc through the application's real filter chain, with spring-security-test's signed-in user; and the
     * factory configuration active again, whatever an earlier test changed.
     */
    @BeforeEach
    void setUpUi() {
        mvc = MockMvcBuilders.webAppContextSetup(context).apply(springSecurity()).build();
        ConfigService.Active a = configs.active();
        if (!a.config().equals(ApplianceConfig.defaults())) {
            configs.apply(ApplianceConfig.defaults(), a.version(), "test", "back to the defaults for the next test");
        }
    }

    private static Path tempDir() {
        try {
            Path p = Files.createTempDirectory("xlatbox-ui-test");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(p)));
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void delete(Path p) {
        try (Stream<Path> s = Files.walk(p)) {
            s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // a temp dir left behind
        }
    }

    protected String page(String url) throws Exception {
        MvcResult r = mvc.perform(get(url)).andReturn();
        if (r.getResponse().getStatus() != 200) {
            throw new AssertionError("GET " + url + " -> " + r.getResponse().getStatus() + " "
                    + r.getResponse().getContentAsString());
        }
        return r.getResponse().getContentAsString();
    }

    /** Posts form fields as a browser would (urlencoded, with the CSRF token). */
    protected MvcResult submit(String url, MultiValueMap<String, String> fields) throws Exception {
        MockHttpServletRequestBuilder b = post(url).with(csrf()).params(fields);
        return mvc.perform(b).andReturn();
    }

    protected long activeVersion() {
        return configs.active().version();
    }
}
