package io.portico.testing;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Generates EC P-256 certificates and keys as PEM text for TLS tests. */
public final class TestCertificates {

    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

    private TestCertificates() {
    }

    /** A certificate and its private key, both as PEM text. */
    public record Issued(String certificatePem, String privateKeyPem, X500Name subject, KeyPair keyPair) {
    }

    /** Creates a self-signed certificate authority. */
    public static Issued authority(String commonName) {
        KeyPair keys = generateKeyPair();
        X500Name subject = new X500Name("CN=" + commonName);
        X509v3CertificateBuilder builder = builder(subject, subject, keys);
        try {
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            builder.addExtension(Extension.keyUsage, true,
                    new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
        } catch (CertIOException e) {
            throw new IllegalStateException(e);
        }
        return new Issued(pem(sign(builder, keys)), privateKeyPem(keys), subject, keys);
    }

    /** Creates a self-signed server certificate for {@code names}: DNS names, or IP addresses in dotted form. */
    public static Issued selfSignedServer(String... names) {
        KeyPair keys = generateKeyPair();
        X500Name subject = new X500Name("CN=" + names[0]);
        X509v3CertificateBuilder builder = builder(subject, subject, keys);
        addLeafExtensions(builder, KeyPurposeId.id_kp_serverAuth, names);
        return new Issued(pem(sign(builder, keys)), privateKeyPem(keys), subject, keys);
    }

    /** Creates a server certificate for {@code names}, DNS names or IP addresses, signed by {@code issuer}. */
    public static Issued server(Issued issuer, String... names) {
        KeyPair keys = generateKeyPair();
        X500Name subject = new X500Name("CN=" + names[0]);
        X509v3CertificateBuilder builder = builder(issuer.subject(), subject, keys);
        addLeafExtensions(builder, KeyPurposeId.id_kp_serverAuth, names);
        return new Issued(pem(sign(builder, issuer.keyPair())), privateKeyPem(keys), subject, keys);
    }

    /** Creates a server certificate for {@code names} signed by {@code issuer} that expired a day ago. */
    public static Issued expiredServer(Issued issuer, String... names) {
        KeyPair keys = generateKeyPair();
        X500Name subject = new X500Name("CN=" + names[0]);
        Instant now = Instant.now();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer.subject(),
                BigInteger.valueOf(SERIAL.incrementAndGet()), Date.from(now.minus(Duration.ofDays(30))),
                Date.from(now.minus(Duration.ofDays(1))), subject, keys.getPublic());
        addLeafExtensions(builder, KeyPurposeId.id_kp_serverAuth, names);
        return new Issued(pem(sign(builder, issuer.keyPair())), privateKeyPem(keys), subject, keys);
    }

    /** Creates a client certificate for {@code commonName} signed by {@code issuer}. */
    public static Issued client(Issued issuer, String commonName) {
        KeyPair keys = generateKeyPair();
        X500Name subject = new X500Name("CN=" + commonName);
        X509v3CertificateBuilder builder = builder(issuer.subject(), subject, keys);
        addLeafExtensions(builder, KeyPurposeId.id_kp_clientAuth);
        return new Issued(pem(sign(builder, issuer.keyPair())), privateKeyPem(keys), subject, keys);
    }

    private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys) {
        Instant now = Instant.now();
        return new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIAL.incrementAndGet()),
                Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(30))), subject,
                keys.getPublic());
    }

    private static void addLeafExtensions(X509v3CertificateBuilder builder, KeyPurposeId purpose, String... names) {
        try {
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
            builder.addExtension(Extension.keyUsage, true,
                    new KeyUsage(KeyUsage.digitalSignature));
            if (names.length > 0) {
                List<GeneralName> alternatives = new ArrayList<>();
                for (String name : names) {
                    boolean ip = name.matches("[0-9.]+") || name.contains(":");
                    alternatives.add(new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, name));
                }
                builder.addExtension(Extension.subjectAlternativeName, false,
                        new GeneralNames(alternatives.toArray(GeneralName[]::new)));
            }
        } catch (CertIOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, KeyPair signer) {
        try {
            return new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate())));
        } catch (OperatorCreationException | GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static KeyPair generateKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(256);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String pem(X509Certificate certificate) {
        try {
            return pem("CERTIFICATE", certificate.getEncoded());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String privateKeyPem(KeyPair keys) {
        return pem("PRIVATE KEY", keys.getPrivate().getEncoded());
    }

    private static String pem(String type, byte[] der) {
        String body = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
    }
}
