package io.xlatbox.appliance.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SelfSignedCertificateTest {
    @Test
    void madeOnceThenReused(@TempDir Path dir) throws Exception {
        X509Certificate first = SelfSignedCertificate.ensure(dir.resolve("tls"));
        X509Certificate again = SelfSignedCertificate.ensure(dir.resolve("tls"));
        assertThat(again).isEqualTo(first);
        assertThat(first.getPublicKey().getAlgorithm()).isEqualTo("EC");
        assertThat(first.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1"); // serverAuth
        first.verify(first.getPublicKey()); // self-signed
        assertThat(Files.readString(dir.resolve("tls/key.pem"))).startsWith("-----BEGIN PRIVATE KEY-----");
        assertThat(SelfSignedCertificate.fingerprint(first)).matches("([0-9A-F]{2}:){31}[0-9A-F]{2}");
    }

    @Test
    void aMissingKeyMeansANewCertificate(@TempDir Path dir) throws Exception {
        X509Certificate first = SelfSignedCertificate.ensure(dir);
        Files.delete(dir.resolve(SelfSignedCertificate.KEY));
        assertThat(SelfSignedCertificate.ensure(dir)).isNotEqualTo(first);
    }
}
