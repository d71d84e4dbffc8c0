package io.xlatbox.appliance;

import static org.assertj.core.api.Assertions.assertThat;

import io.xlatbox.appliance.testing.Http;
import io.xlatbox.appliance.testing.Support;
import io.xlatbox.engine.tun.RootRequirement;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The packaged appliance as the README runs it ({@code lab.sh up --appliance}): the jar in this namespace, its
 * NAT64 and DNS64 in the lab's router, an IPv6-only client that resolves through the DNS64. Set up over REST as
 * automation would, then: names resolve to synthetic AAAA records and the traffic crosses the NAT64; a change
 * applied over REST during a transfer takes effect live without dropping it; and a SIGKILL (a power cut) loses
 * nothing that was applied; and an admin in a real browser (Debian's Chromium) sees the traffic and changes the
 * configuration through the forms. The methods run in order on one lab.
 */
@Tag("root")
@ExtendWith(RootRequirement.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ApplianceLabIT {
    private static final Pattern SETUP_CODE = Pattern.compile("setup code ([A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4})");
    private static final String SERVER6 = "64:ff9b::c633:6402";

    private final String id = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt(1 << 24), 6);
    private final String client = "xl" + id + "c";
    private Path labScript;
    private Path dataDir;
    private Http api;
    private String token;

    @BeforeAll
    void up() throws Exception {
        Path repo = Path.of(System.getProperty("xlatbox.repo", "..")).toAbsolutePath().normalize();
        labScript = repo.resolve("nat64-engine/lab/lab.sh");
        dataDir = Files.createTempDirectory("xlatbox-it-data");
        int port = freePort();
        Result up = run(Duration.ofSeconds(240), labScript.toString(), "up", "--appliance", "--id", id,
                "--http", "--port", Integer.toString(port), "--data-dir", dataDir.toString(), "--big-mb", "24");
        assertThat(up.exit).as(up.output).isZero();
        Matcher m = SETUP_CODE.matcher(up.output);
        assertThat(m.find()).as("lab.sh prints the setup code: " + up.output).isTrue();

        api = new Http("http://localhost:" + port);
        HttpResponse<String> setup = api.json("POST", "/api/v1/setup", Support.body(Map.of("setupCode", m.group(1),
                "username", Support.USER, "password", Support.PASSWORD)));
        assertThat(setup.statusCode()).as(setup.body()).isEqualTo(201);
        Http browser = new Http(api.base);
        Support.loginOk(browser);
        token = "Bearer " + Support.token(browser, "lab-it", "write");
    }

    @AfterAll
    void down() throws Exception {
        if (labScript != null) {
            run(Duration.ofSeconds(60), labScript.toString(), "down", id);
        }
        if (dataDir != null) {
            try (var files = Files.walk(dataDir)) {
                files.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    @Order(1)
    void namesResolveToSyntheticAddressesAndTrafficCrosses() throws Exception {
        assertThat(inClient("dig", "+short", "server.lab.test", "AAAA").output.trim()).isEqualTo(SERVER6);
        assertThat(inClient("dig", "+short", "dual.lab.test", "AAAA").output.trim())
                .as("a name with AAAA records gets them, nothing synthesized").isEqualTo("2001:db8:1::99");
        Result page = inClient("curl", "-sS", "--max-time", "10", "http://server.lab.test/");
        assertThat(page.output).contains("hello from the IPv4-only server");

        JsonNode stats = get("/api/v1/dns64/stats");
        assertThat(stats.get("counters").get("SYNTHESIZED").asLong()).as(stats.toString()).isPositive();
        JsonNode sessions = get("/api/v1/nat64/sessions");
        assertThat(sessions.toString()).contains("198.51.100.2");
    }

    @Test
    @Order(2)
    void aChangeAppliedDuringADownloadTakesEffectWithoutDroppingIt() throws Exception {
        Path file = Files.createTempFile("xlatbox-it", ".bin");
        Process curl = new ProcessBuilder("ip", "netns", "exec", client, "curl", "-sS", "--fail", "--max-time", "90",
                "--limit-rate", "4M", "-o", file.toString(), "-w", "%{size_download}", "http://server.lab.test/big.bin")
                .redirectErrorStream(true).start();
        try {
            waitUntil(() -> sessionCount() > 0, "an established session of the download");
            HttpResponse<String> current = api.get("/api/v1/config/nat64", "Authorization", token);
            String etag = current.headers().firstValue("ETag").orElseThrow();
            ObjectNode nat64 = (ObjectNode) Support.json(current);
            nat64.put("tcpEstablishedTimeout", 9000).put("udpTimeout", 600);
            HttpResponse<String> put = api.json("PUT", "/api/v1/config/nat64", Support.body(nat64),
                    "Authorization", token, "If-Match", etag);
            assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
            JsonNode applied = Support.json(put);
            assertThat(applied.get("changed").asBoolean()).isTrue();
            assertThat(applied.get("sessionsDropped").asInt()).isZero();
            assertThat(curl.isAlive()).as("the download is still running, so the change happened during it").isTrue();

            assertThat(curl.waitFor(100, TimeUnit.SECONDS)).isTrue();
            String out = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(curl.exitValue()).as(out).isZero();
            assertThat(sha256(file)).isEqualTo(Files.readString(Path.of("/tmp/xlatbox-lab", id, "www",
                    "big.bin.sha256")).split("\\s+")[0]);
            assertThat(get("/api/v1/config/nat64").get("tcpEstablishedTimeout").asLong()).isEqualTo(9000);
        } finally {
            curl.destroyForcibly();
            Files.deleteIfExists(file);
        }
    }

    @Test
    @Order(3)
    void aDns64PrefixChangeIsLiveForTheNextQuery() throws Exception {
        HttpResponse<String> current = api.get("/api/v1/config/dns64", "Authorization", token);
        ObjectNode dns64 = (ObjectNode) Support.json(current);
        dns64.putArray("prefixes").addObject().put("prefix", "2001:db8:64::/96").putArray("mappedRanges");
        HttpResponse<String> put = api.json("PUT", "/api/v1/config/dns64", Support.body(dns64), "Authorization",
                token, "If-Match", current.headers().firstValue("ETag").orElseThrow());
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
        assertThat(inClient("dig", "+short", "www.lab.test", "AAAA").output.trim()).isEqualTo("2001:db8:64::c633:6402");
    }

    @Test
    @Order(4)
    void aPowerCutLosesNothingThatWasApplied() throws Exception {
        HttpResponse<String> before = api.get("/api/v1/config", "Authorization", token);
        String etag = before.headers().firstValue("ETag").orElseThrow();

        Result restart = run(Duration.ofSeconds(240), labScript.toString(), "restart-appliance", id, "--kill");
        assertThat(restart.exit).as(restart.output).isZero();

        HttpResponse<String> after = api.get("/api/v1/config", "Authorization", token);
        assertThat(after.statusCode()).as(after.body()).isEqualTo(200);
        assertThat(after.headers().firstValue("ETag")).hasValue(etag);
        assertThat(Support.json(after)).isEqualTo(Support.json(before));
        assertThat(get("/api/v1/config/versions").size()).as("the history survives too").isGreaterThanOrEqualTo(3);
        // The running dataplane is the saved configuration: the DNS64 prefix of step 3, the NAT64 back up.
        assertThat(inClient("dig", "+short", "www.lab.test", "AAAA").output.trim()).isEqualTo("2001:db8:64::c633:6402");
        assertThat(inClient("curl", "-sS", "--max-time", "10", "http://[" + SERVER6 + "]/").output)
                .contains("hello from the IPv4-only server");
    }

    @Test
    @Order(5)
    void anAdminSeesTheTrafficAndChangesTheConfigurationInARealBrowser() throws Exception {
        inClient("curl", "-sS", "--max-time", "10", "http://[" + SERVER6 + "]/"); // a session to see
        ChromeOptions options = new ChromeOptions().addArguments("--headless=new", "--no-sandbox",
                "--disable-dev-shm-usage", "--window-size=1280,900");
        options.setBinary("/usr/bin/chromium");
        WebDriver browser = new ChromeDriver(new ChromeDriverService.Builder()
                .usingDriverExecutable(new java.io.File("/usr/bin/chromedriver")).build(), options);
        try {
            WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(20));
            browser.get(api.base + "/");
            wait.until(ExpectedConditions.urlContains("/login"));
            browser.findElement(By.id("username")).sendKeys(Support.USER);
            browser.findElement(By.id("password")).sendKeys(Support.PASSWORD);
            browser.findElement(By.cssSelector("button[type=submit]")).click();

            // The dashboard draws its live graphs (uPlot canvases) from the REST history.
            wait.until(d -> !d.findElements(By.cssSelector("#charts canvas")).isEmpty());

            browser.get(api.base + "/sessions?protocol=tcp");
            assertThat(browser.findElement(By.tagName("main")).getText()).contains("198.51.100.2");

            // A bad value: the error stands next to the field, the input is kept, nothing is applied.
            long version = get("/api/v1/config/versions").get(0).get("version").asLong();
            browser.get(api.base + "/config/nat64");
            WebElement udp = browser.findElement(By.id("f-udpTimeout"));
            udp.clear();
            udp.sendKeys("30");
            browser.findElement(By.cssSelector("button[value=apply].btn-primary")).click();
            WebElement error = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("f-udpTimeout-error")));
            assertThat(error.getText()).contains("120");
            assertThat(browser.findElement(By.id("f-udpTimeout")).getAttribute("value")).isEqualTo("30");
            assertThat(get("/api/v1/config/versions").get(0).get("version").asLong()).isEqualTo(version);

            // A good one is applied as a new version, and the API sees it at once.
            udp = browser.findElement(By.id("f-udpTimeout"));
            udp.clear();
            udp.sendKeys("420");
            browser.findElement(By.cssSelector("button[value=apply].btn-primary")).click();
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.tagName("main"),
                    "Applied as version " + (version + 1)));
            assertThat(get("/api/v1/config/nat64").get("udpTimeout").asLong()).isEqualTo(420);

            browser.get(api.base + "/history");
            assertThat(browser.findElement(By.tagName("main")).getText()).contains("udpTimeout");
        } finally {
            browser.quit();
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    private JsonNode get(String path) {
        HttpResponse<String> r = api.get(path, "Authorization", token);
        assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
        return Support.json(r);
    }

    private int sessionCount() {
        JsonNode page = get("/api/v1/nat64/sessions?protocol=tcp");
        JsonNode items = page.has("items") ? page.get("items") : page.get("content");
        return items == null ? 0 : items.size();
    }

    private Result inClient(String... command) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", client));
        cmd.addAll(List.of(command));
        Result r = run(Duration.ofSeconds(30), cmd.toArray(String[]::new));
        assertThat(r.exit).as(String.join(" ", command) + ": " + r.output).isZero();
        return r;
    }

    private record Result(int exit, String output) {
    }

    private static Result run(Duration timeout, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        StringBuilder out = new StringBuilder();
        Thread reader = new Thread(() -> {
            try {
                out.append(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException ignored) {
                // the process went away
            }
        });
        reader.start();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            reader.join(5000);
            throw new AssertionError(String.join(" ", command) + " did not finish in " + timeout + ":\n" + out);
        }
        reader.join(5000);
        return new Result(p.exitValue(), out.toString());
    }

    private static void waitUntil(java.util.function.BooleanSupplier condition, String what)
            throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(100);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static String sha256(Path file) throws Exception {
        var md = java.security.MessageDigest.getInstance("SHA-256");
        try (var in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
