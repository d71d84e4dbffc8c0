package io.xlatbox.appliance.security;

import static io.xlatbox.appliance.testing.Support.PASSWORD;
import static io.xlatbox.appliance.testing.Support.USER;
import static org.assertj.core.api.Assertions.assertThat;

import io.xlatbox.appliance.testing.Http;
import io.xlatbox.appliance.testing.Support;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.util.FileSystemUtils;

/** HTTPS on by default: a certificate made at first boot, naming localhost; Secure cookies; HSTS. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"xlatbox.dataplane.enabled=false", "xlatbox.dns64.enabled=false", "xlatbox.tls.enabled=true",
            "xlatbox.data-dir=" + HttpsTest.DATA_DIR})
@ExtendWith(OutputCaptureExtension.class)
class HttpsTest {
    /**
     * A fixed directory rather than a @TempDir: the certificate is made by an EnvironmentPostProcessor, which runs
     * before @DynamicPropertySource values exist. Emptied before the application starts.
     */
    static final String DATA_DIR = "./target/https-test-data"; // H2 wants ./ for a relative path
    static final Path dataDir = Path.of(DATA_DIR);

    @BeforeAll
    static void empty() throws IOException {
        FileSystemUtils.deleteRecursively(dataDir);
    }

    @LocalServerPort
    int port;

    @Test
    void theServerAnswersHttpsWithTheGeneratedCertificate(CapturedOutput output) throws Exception {
        Path certFile = dataDir.resolve("tls/cert.pem");
        Path keyFile = dataDir.resolve("tls/key.pem");
        assertThat(certFile).exists();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile))).isEqualTo("rw-------");
        X509Certificate cert = SelfSignedCertificate.read(certFile);

        // Trust exactly this certificate; the client checks that it names "localhost" (hostname verification).
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("xlatbox", cert);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), null);
        Http https = new Http("https://localhost:" + port, ssl);

        HttpResponse<String> setup = https.get("/setup");
        assertThat(setup.statusCode()).isEqualTo(200);
        X509Certificate served = (X509Certificate) setup.sslSession().orElseThrow().getPeerCertificates()[0];
        assertThat(served).isEqualTo(cert);
        assertThat(cert.getSubjectAlternativeNames()).contains(List.of(2, "localhost"), List.of(7, "127.0.0.1"));
        assertThat(cert.getBasicConstraints()).isEqualTo(-1); // not a CA
        assertThat(Duration.between(Instant.now(), cert.getNotAfter().toInstant()).toDays()).isBetween(3640L, 3651L);
        assertThat(setup.headers().firstValue("Strict-Transport-Security").orElse(""))
                .contains("max-age=").doesNotContain("includeSubDomains");

        // The setup line names the HTTPS URL and the fingerprint, for users to compare with their browser's.
        assertThat(output.getAll()).contains("open https://").contains(SelfSignedCertificate.fingerprint(cert));

        // Over HTTPS the cookies are Secure, HttpOnly (the session) and SameSite=Strict.
        Support.ensureSetUp(https, output);
        Support.loginOk(https);
        assertThat(https.setCookie("JSESSIONID")).contains("Secure").contains("HttpOnly")
                .containsIgnoringCase("SameSite=Strict");
        assertThat(https.setCookie("XSRF-TOKEN")).contains("Secure").containsIgnoringCase("SameSite=Strict");
        assertThat(https.get("/api/v1/config").statusCode()).isEqualTo(200);
        assertThat(Support.login(new Http("https://localhost:" + port, ssl), USER, PASSWORD + "x").statusCode())
                .isEqualTo(302);

        // Plain HTTP to the HTTPS port gets nothing useful.
        HttpResponse<String> plain = new Http("http://localhost:" + port).get("/login");
        assertThat(plain.statusCode()).isEqualTo(400);
    }
}
