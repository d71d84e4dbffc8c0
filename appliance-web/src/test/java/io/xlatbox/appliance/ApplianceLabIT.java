package io.xlatbox.appliance;

import static org.assertj.core.api.Assertions.assertThat;

import io.xlatbox.appliance.testing.Http;
import io.xlatbox.appliance.testing.Support;
import io.xlatbox.engine.tun.RootRequirement;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
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
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The packaged appliance as the README runs it ({@code lab.sh up --appliance}): the jar in this namespace, its
 * NAT64 and DNS64 in the lab's router, an IPv6-only client that resolves through the DNS64. In order, on one lab:
 * an admin sets the box up in a real browser (Debian's Chromium), watches a download on the dashboard and in the
 * session browser, and changes a NAT64 timeout and a DNS64 exclusion through the forms; automation changes
 * pool4 and the DNS64 prefix over REST and the client and server see the difference; and the process is killed
 * with SIGKILL in the middle of saves, after which the last committed version runs. Screenshots go to
 * {@code target/screenshots}.
 */
@Tag("root")
@ExtendWith(RootRequirement.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ApplianceLabIT {
    private static final Pattern SETUP_CODE = Pattern.compile("setup code ([A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4})");
    private static final String SERVER6 = "64:ff9b::c633:6402";
    private static final Path SCREENSHOTS = Path.of("target", "screenshots");

    private final String id = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt(1 << 24), 6);
    private final String client = "xl" + id + "c";
    private final String server = "xl" + id + "s";
    private Path labScript;
    private Path dataDir;
    private String setupCode;
    private String base;
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
        setupCode = m.group(1);
        base = "http://localhost:" + port;
        Files.createDirectories(SCREENSHOTS);
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
    void anAdminSetsUpWatchesTrafficAndChangesSettingsInARealBrowser() throws Exception {
        ChromeOptions options = new ChromeOptions().addArguments("--headless=new", "--no-sandbox",
                "--disable-dev-shm-usage", "--window-size=1280,1000");
        options.setBinary("/usr/bin/chromium");
        WebDriver browser = new ChromeDriver(new ChromeDriverService.Builder()
                .usingDriverExecutable(new File("/usr/bin/chromedriver")).build(), options);
        Path file = Files.createTempFile("xlatbox-it", ".bin");
        Process download = null;
        try {
            WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
            // First boot: every page leads to the setup wizard, which wants the code from the console.
            browser.get(base + "/");
            wait.until(ExpectedConditions.urlContains("/setup"));
            type(browser, "setupCode", setupCode);
            type(browser, "username", Support.USER);
            type(browser, "password", Support.PASSWORD);
            type(browser, "confirm", Support.PASSWORD);
            screenshot(browser, "1-setup");
            browser.findElement(By.cssSelector("button[type=submit]")).click();
            wait.until(ExpectedConditions.urlContains("/login"));
            type(browser, "username", Support.USER);
            type(browser, "password", Support.PASSWORD);
            browser.findElement(By.cssSelector("button[type=submit]")).click();
            wait.until(d -> !d.findElements(By.cssSelector("#charts canvas")).isEmpty());

            // The client downloads through DNS64 and NAT64; the dashboard's live numbers move.
            // (With TUN offloads a packet may be a 64 KB super-packet: the counters move by hundreds, not thousands.)
            long translated = number(browser, "traffic.translated4to6");
            download = new ProcessBuilder("ip", "netns", "exec", client, "curl", "-sS", "--fail", "--max-time",
                    "120", "--limit-rate", "1M", "-o", file.toString(), "http://server.lab.test/big.bin")
                    .redirectErrorStream(true).start();
            wait.until(d -> number(d, "sessions.tcp") >= 1);
            wait.until(d -> !d.findElement(By.cssSelector("[data-live='pool4.TCP']")).getText().startsWith("0 "));
            wait.until(d -> number(d, "traffic.translated4to6") > translated + 50);
            screenshot(browser, "2-dashboard");

            browser.get(base + "/sessions?protocol=tcp");
            String sessions = browser.findElement(By.tagName("main")).getText();
            assertThat(sessions).contains("198.51.100.2").contains("80");
            screenshot(browser, "3-sessions");

            // A bad NAT64 timeout: the error stands next to the field, the input is kept, nothing is applied.
            long version = activeVersion(browser);
            browser.get(base + "/config/nat64");
            type(browser, "f-udpTimeout", "30");
            apply(browser);
            WebElement error = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("f-udpTimeout-error")));
            assertThat(error.getText()).contains("120");
            assertThat(browser.findElement(By.id("f-udpTimeout")).getAttribute("value")).isEqualTo("30");
            screenshot(browser, "4-nat64-error");
            // A good one (and the download goes on).
            type(browser, "f-udpTimeout", "300");
            type(browser, "f-tcpEstablishedTimeout", "8000");
            apply(browser);
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.tagName("main"),
                    "Applied as version " + (version + 1)));
            screenshot(browser, "5-nat64-applied");

            // A DNS64 exclusion: dual.lab.test's real AAAA (2001:db8:1::99) now counts as absent, so the
            // client gets a synthetic one instead.
            assertThat(inClient("dig", "+short", "dual.lab.test", "AAAA").output.trim()).isEqualTo("2001:db8:1::99");
            browser.get(base + "/config/dns64");
            WebElement exclusions = browser.findElement(By.id("f-exclusions"));
            exclusions.sendKeys("\n2001:db8:1::/48");
            apply(browser);
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.tagName("main"),
                    "Applied as version " + (version + 2)));
            screenshot(browser, "6-dns64-applied");
            assertThat(inClient("dig", "+short", "dual.lab.test", "AAAA").output.trim()).isEqualTo(SERVER6);

            assertThat(download.waitFor(120, TimeUnit.SECONDS)).isTrue();
            String out = new String(download.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(download.exitValue()).as("the download survived both changes: " + out).isZero();
            assertThat(sha256(file)).isEqualTo(bigFileSha256());
        } catch (Exception | Error e) {
            screenshot(browser, "failure");
            throw e;
        } finally {
            if (download != null) {
                download.destroyForcibly();
            }
            Files.deleteIfExists(file);
            browser.quit();
        }
        // The browser's changes, as the REST API sees them.
        JsonNode nat64 = get("/api/v1/config/nat64");
        assertThat(nat64.get("tcpEstablishedTimeout").asLong()).isEqualTo(8000);
        assertThat(get("/api/v1/config/dns64").get("exclusions").toString()).contains("2001:db8:1::/48");
    }

    @Test
    @Order(2)
    void aPool4ChangeOverRestIsWhatTheServerSees() throws Exception {
        HttpResponse<String> current = api().get("/api/v1/config/nat64", "Authorization", token);
        ObjectNode nat64 = (ObjectNode) Support.json(current);
        ArrayNode pool4 = nat64.putArray("pool4");
        for (String protocol : List.of("tcp", "udp", "icmp")) {
            pool4.addObject().put("protocol", protocol).put("prefix", "192.0.2.128/25")
                    .put("portMin", protocol.equals("icmp") ? 0 : 1024).put("portMax", 65535);
        }
        HttpResponse<String> put = api.json("PUT", "/api/v1/config/nat64", Support.body(nat64),
                "Authorization", token, "If-Match", current.headers().firstValue("ETag").orElseThrow());
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);

        Process slow = new ProcessBuilder("ip", "netns", "exec", client, "curl", "-sS", "--max-time", "60",
                "--limit-rate", "1M", "-o", "/dev/null", "http://[" + SERVER6 + "]/big.bin").start();
        try {
            waitUntil(() -> !peers().isEmpty(), "the server to see the connection");
            for (String peer : peers()) {
                int last = Integer.parseInt(peer.substring(peer.lastIndexOf('.') + 1));
                assertThat(peer).startsWith("192.0.2.");
                assertThat(last).as("the client now comes from 192.0.2.128/25: " + peer).isGreaterThanOrEqualTo(128);
            }
        } finally {
            slow.destroyForcibly();
        }
    }

    @Test
    @Order(3)
    void aDns64PrefixChangeIsLiveForTheNextQuery() throws Exception {
        HttpResponse<String> current = api().get("/api/v1/config/dns64", "Authorization", token);
        ObjectNode dns64 = (ObjectNode) Support.json(current);
        dns64.putArray("prefixes").addObject().put("prefix", "2001:db8:64::/96").putArray("mappedRanges");
        HttpResponse<String> put = api.json("PUT", "/api/v1/config/dns64", Support.body(dns64), "Authorization",
                token, "If-Match", current.headers().firstValue("ETag").orElseThrow());
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
        assertThat(inClient("dig", "+short", "www.lab.test", "AAAA").output.trim())
                .isEqualTo("2001:db8:64::c633:6402");
    }

    @Test
    @Order(4)
    void aPowerCutDuringSavesLeavesTheLastCommittedVersionRunning() throws Exception {
        api();
        for (int round = 0; round < 2; round++) {
            JsonNode nat64 = get("/api/v1/config/nat64");
            long before = nat64.get("udpTimeout").asLong();
            long wanted = before + 60;
            String etag = api.get("/api/v1/config/nat64", "Authorization", token).headers().firstValue("ETag")
                    .orElseThrow();
            ((ObjectNode) nat64).put("udpTimeout", wanted);
            // The save and the kill race: the kill lands before, during or after the commit.
            CompletableFuture<Void> save = CompletableFuture.runAsync(() -> {
                try {
                    api.json("PUT", "/api/v1/config/nat64", Support.body(nat64), "Authorization", token,
                            "If-Match", etag);
                } catch (RuntimeException connectionLost) {
                    // expected when the kill came first
                }
            });
            Thread.sleep(ThreadLocalRandom.current().nextInt(5, 60));
            Result restart = run(Duration.ofSeconds(240), labScript.toString(), "restart-appliance", id, "--kill");
            assertThat(restart.exit).as(restart.output).isZero();
            save.get(60, TimeUnit.SECONDS);

            HttpResponse<String> after = api.get("/api/v1/config", "Authorization", token);
            assertThat(after.statusCode()).as(after.body()).isEqualTo(200);
            long version = Long.parseLong(after.headers().firstValue("ETag").orElseThrow().replace("\"", ""));
            JsonNode active = Support.json(after);
            assertThat(active.get("nat64").get("udpTimeout").asLong()).isIn(before, wanted);
            // The active configuration is exactly the saved version it claims to be.
            assertThat(get("/api/v1/config/versions/" + version).get("config")).isEqualTo(active);
            assertThat(get("/api/v1/config/versions").get(0).get("version").asLong()).isEqualTo(version);
        }
        // And the dataplane runs it: the DNS64 prefix of step 3, the NAT64 with its pool4 of step 2.
        assertThat(inClient("dig", "+short", "www.lab.test", "AAAA").output.trim())
                .isEqualTo("2001:db8:64::c633:6402");
        assertThat(inClient("curl", "-sS", "--max-time", "10", "http://[" + SERVER6 + "]/").output)
                .contains("hello from the IPv4-only server");
    }

    // ---------------------------------------------------------------------------------------------------------

    /** A REST client with a write token, made by logging in once the box is set up. */
    private Http api() {
        if (api == null) {
            api = new Http(base);
            if (Support.json(api.get("/api/v1/setup")).get("setupRequired").asBoolean()) {
                HttpResponse<String> r = api.json("POST", "/api/v1/setup", Support.body(Map.of("setupCode",
                        setupCode, "username", Support.USER, "password", Support.PASSWORD)));
                assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
            }
            Http browser = new Http(base);
            Support.loginOk(browser);
            token = "Bearer " + Support.token(browser, "lab-it", "write");
        }
        return api;
    }

    private JsonNode get(String path) {
        HttpResponse<String> r = api().get(path, "Authorization", token);
        assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
        return Support.json(r);
    }

    private long activeVersion(WebDriver browser) {
        return get("/api/v1/config/versions").get(0).get("version").asLong();
    }

    private static long number(WebDriver browser, String live) {
        String text = browser.findElement(By.cssSelector("[data-live='" + live + "']")).getText();
        String digits = text.replaceAll("[^0-9]", "");
        return digits.isEmpty() ? 0 : Long.parseLong(digits);
    }

    private static void type(WebDriver browser, String id, String value) {
        WebElement e = browser.findElement(By.id(id));
        e.clear();
        e.sendKeys(value);
    }

    private static void apply(WebDriver browser) {
        browser.findElement(By.cssSelector("button[value=apply].btn-primary")).click();
    }

    private static void screenshot(WebDriver browser, String name) throws IOException {
        File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
        Files.copy(shot.toPath(), SCREENSHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    }

    /** The peers of the server's established HTTP connections, as the IPv4-only server sees them. */
    private List<String> peers() {
        try {
            Result r = run(Duration.ofSeconds(10), "ip", "netns", "exec", server, "ss", "-tnH", "state",
                    "established", "( sport = :80 )");
            List<String> out = new ArrayList<>();
            for (String line : r.output.split("\n")) {
                String[] f = line.trim().split("\\s+");
                if (f.length >= 4) {
                    out.add(f[f.length - 1].substring(0, f[f.length - 1].lastIndexOf(':')));
                }
            }
            return out;
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private String bigFileSha256() throws IOException {
        return Files.readString(Path.of("/tmp/xlatbox-lab", id, "www", "big.bin.sha256")).split("\\s+")[0];
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

    private static void waitUntil(BooleanSupplier condition, String what) throws InterruptedException {
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
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (var in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
