package io.xlatbox.appliance.security;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.commons.logging.Log;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.logging.DeferredLogFactory;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * HTTPS on by default. Before the web server is made, this makes sure {@code ${xlatbox.data-dir}/tls/} holds a
 * certificate (see {@link SelfSignedCertificate}) and points Spring Boot's server SSL at it through a PEM SSL bundle
 * named {@code xlatbox}. {@code xlatbox.tls.enabled=false} turns it off (tests, the dev lab). Registered in
 * {@code META-INF/spring.factories} under {@code org.springframework.boot.EnvironmentPostProcessor} (Boot 4).
 * It runs after the configuration files are read, so that it sees {@code xlatbox.data-dir}.
 */
public class TlsEnvironmentPostProcessor implements EnvironmentPostProcessor, Ordered {
    public static final String ENABLED_PROPERTY = "xlatbox.tls.enabled";
    /** Set by this class: the certificate's SHA-256 fingerprint, printed at start for users to check. */
    public static final String FINGERPRINT_PROPERTY = "xlatbox.tls.fingerprint";
    static final String BUNDLE = "xlatbox";

    private final Log log;

    public TlsEnvironmentPostProcessor(DeferredLogFactory logs) {
        this.log = logs.getLog(TlsEnvironmentPostProcessor.class);
    }

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment env, SpringApplication application) {
        if (!env.getProperty(ENABLED_PROPERTY, Boolean.class, true)) {
            return;
        }
        Path dir = Path.of(env.getProperty("xlatbox.data-dir", "/var/lib/xlatbox")).resolve("tls");
        String fingerprint;
        try {
            X509Certificate cert = SelfSignedCertificate.ensure(dir);
            fingerprint = SelfSignedCertificate.fingerprint(cert);
            log.info("HTTPS certificate " + dir.resolve(SelfSignedCertificate.CERT) + ": "
                    + cert.getSubjectX500Principal().getName() + ", valid until " + cert.getNotAfter());
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot make or read the HTTPS certificate in " + dir + ": " + e
                    + " (xlatbox.tls.enabled=false runs without HTTPS)", e);
        }
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("spring.ssl.bundle.pem." + BUNDLE + ".keystore.certificate",
                "file:" + dir.resolve(SelfSignedCertificate.CERT).toAbsolutePath());
        p.put("spring.ssl.bundle.pem." + BUNDLE + ".keystore.private-key",
                "file:" + dir.resolve(SelfSignedCertificate.KEY).toAbsolutePath());
        p.put("server.ssl.bundle", BUNDLE);
        p.put(FINGERPRINT_PROPERTY, fingerprint);
        // Last: anything the operator configured (application.yml, command line) wins.
        env.getPropertySources().addLast(new MapPropertySource("xlatboxTls", p));
    }

    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE;
    }
}
