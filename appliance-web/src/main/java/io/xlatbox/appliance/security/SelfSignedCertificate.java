package io.xlatbox.appliance.security;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Date;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The box's own HTTPS certificate: self-signed, EC P-256, valid ten years, naming the hostname, {@code localhost}
 * and the box's addresses. Written once as PEM ({@code cert.pem}, and {@code key.pem} readable by the owner only);
 * replace both files with a real certificate to use one.
 */
final class SelfSignedCertificate {
    static final String CERT = "cert.pem";
    static final String KEY = "key.pem";
    static final Duration VALIDITY = Duration.ofDays(3650);

    private SelfSignedCertificate() {
    }

    /** The certificate in {@code dir}, made first if {@code cert.pem} or {@code key.pem} is missing. */
    static X509Certificate ensure(Path dir) throws IOException, GeneralSecurityException {
        Path cert = dir.resolve(CERT);
        Path key = dir.resolve(KEY);
        if (Files.isRegularFile(cert) && Files.isRegularFile(key)) {
            return read(cert);
        }
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(
                    "rwx------")));
        } else {
            Files.createDirectories(dir);
        }
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair pair = g.generateKeyPair();
        X509Certificate c = generate(pair, hostname(), addresses(), Instant.now());
        // The key first and the certificate last: a crash in between leaves no certificate, so the next start
        // makes both again. PKCS#8 PEM, which Spring Boot's PEM SSL bundle reads.
        write(key, pem("PRIVATE KEY", pair.getPrivate().getEncoded()), true);
        write(cert, pem("CERTIFICATE", c.getEncoded()), false);
        return c;
    }

    static X509Certificate generate(KeyPair pair, String hostname, List<InetAddress> addresses, Instant now)
            throws GeneralSecurityException, IOException {
        X500Name name = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, hostname)
                .addRDN(BCStyle.O, "xlatbox").build();
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, new BigInteger(127, new SecureRandom()),
                Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(VALIDITY)), name, pair.getPublic());
        Set<String> dns = new LinkedHashSet<>(List.of(hostname, "localhost"));
        if (!hostname.contains(".")) {
            dns.add(hostname + ".local"); // mDNS, as most home routers are reached
        }
        List<GeneralName> sans = new ArrayList<>();
        dns.forEach(d -> sans.add(new GeneralName(GeneralName.dNSName, d)));
        addresses.forEach(a -> sans.add(new GeneralName(GeneralName.iPAddress, new DEROctetString(a.getAddress()))));
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        // An end-entity certificate (not a CA), for TLS servers: browsers refuse a CA certificate as a server's.
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
        b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
        b.addExtension(Extension.subjectAlternativeName, false,
                new GeneralNames(sans.toArray(GeneralName[]::new)));
        try {
            return new JcaX509CertificateConverter().getCertificate(
                    b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    static X509Certificate read(Path pem) throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(pem)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    /** SHA-256 over the DER certificate, as browsers show it: {@code AB:CD:...}. */
    static String fingerprint(X509Certificate c) throws GeneralSecurityException {
        byte[] d = MessageDigest.getInstance("SHA-256").digest(c.getEncoded());
        return HexFormat.ofDelimiter(":").withUpperCase().formatHex(d);
    }

    /** The box's name: /etc/hostname, else what Java finds, else "xlatbox". */
    static String hostname() {
        try {
            List<String> lines = Files.readAllLines(Path.of("/etc/hostname"));
            if (!lines.isEmpty() && !lines.get(0).isBlank()) {
                return lines.get(0).strip().toLowerCase(Locale.ROOT);
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or no file: ask Java
        }
        try {
            return InetAddress.getLocalHost().getHostName().toLowerCase(Locale.ROOT);
        } catch (IOException e) {
            return "xlatbox";
        }
    }

    /** Every address of every interface that is up, but link-local ones (they need a zone, not a name). */
    static List<InetAddress> addresses() {
        Set<InetAddress> out = new LinkedHashSet<>();
        try {
            for (NetworkInterface i : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!i.isUp()) {
                    continue;
                }
                for (InetAddress a : Collections.list(i.getInetAddresses())) {
                    if (!a.isLinkLocalAddress() && !a.isMulticastAddress()) {
                        out.add(InetAddress.getByAddress(a.getAddress())); // drops the IPv6 scope
                    }
                }
            }
        } catch (SocketException | java.net.UnknownHostException e) {
            // no interfaces to list: loopback below still makes a usable certificate
        }
        try {
            out.add(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}));
            out.add(InetAddress.getByName("::1"));
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
        return new ArrayList<>(out);
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    /** Writes through a temporary file and a rename, so that a file is either whole or absent. */
    private static void write(Path file, String content, boolean secret) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        if (secret && FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        Files.writeString(tmp, content, StandardCharsets.US_ASCII);
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
