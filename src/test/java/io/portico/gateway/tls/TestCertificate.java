package io.portico.gateway.tls;

import io.portico.node.NodeConfig;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X962Parameters;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** A self-signed certificate with its key pair, generated for a test with BouncyCastle. */
record TestCertificate(X509Certificate certificate, KeyPair keyPair) {

    private static final SecureRandom RANDOM = new SecureRandom();

    /** Generates a P-256 EC certificate with subject {@code CN=commonName} and the given DNS names. */
    static TestCertificate ec(String commonName, String... dnsNames) {
        return create(keyPair("EC"), "SHA256withECDSA", commonName, dnsNames);
    }

    /** Generates a 2048-bit RSA certificate with subject {@code CN=commonName} and the given DNS names. */
    static TestCertificate rsa(String commonName, String... dnsNames) {
        return create(keyPair("RSA"), "SHA256withRSA", commonName, dnsNames);
    }

    private static TestCertificate create(KeyPair keyPair, String signatureAlgorithm, String commonName,
                                          String... dnsNames) {
        X500Name subject = new X500Name("CN=" + commonName);
        Instant now = Instant.now();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject,
                new BigInteger(63, RANDOM).add(BigInteger.ONE), Date.from(now.minus(Duration.ofDays(1))),
                Date.from(now.plus(Duration.ofDays(1))), subject, keyPair.getPublic());
        try {
            if (dnsNames.length > 0) {
                GeneralName[] names = Arrays.stream(dnsNames)
                        .map(name -> new GeneralName(GeneralName.dNSName, name))
                        .toArray(GeneralName[]::new);
                builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
            }
            X509Certificate certificate = new JcaX509CertificateConverter()
                    .getCertificate(builder.build(new JcaContentSignerBuilder(signatureAlgorithm)
                            .build(keyPair.getPrivate())));
            return new TestCertificate(certificate, keyPair);
        } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("generating a test certificate failed", e);
        }
    }

    private static KeyPair keyPair(String algorithm) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
            if (algorithm.equals("EC")) {
                generator.initialize(new ECGenParameterSpec("secp256r1"));
            } else {
                generator.initialize(2048);
            }
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("generating a test key pair failed", e);
        }
    }

    BigInteger serial() {
        return certificate.getSerialNumber();
    }

    String certificatePem() {
        try {
            return pem("CERTIFICATE", certificate.getEncoded());
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Returns the private key as PKCS #8 PEM ({@code BEGIN PRIVATE KEY}). */
    String keyPem() {
        return pem("PRIVATE KEY", keyPair.getPrivate().getEncoded());
    }

    /**
     * Returns the private key as OpenSSL's traditional PEM: PKCS #1 for RSA keys, and SEC 1 with the curve name and
     * public key for EC keys, as {@code openssl ec} writes it.
     */
    String traditionalKeyPem() {
        if (keyPair.getPrivate() instanceof ECPrivateKey ecKey) {
            return sec1KeyPem(ecKey, true);
        }
        StringWriter text = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
            writer.writeObject(keyPair.getPrivate());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return text.toString();
    }

    /** Returns the EC private key as SEC 1 PEM, with or without the optional curve name field. */
    String sec1KeyPem(ECPrivateKey key, boolean withCurve) {
        try {
            byte[] publicPoint = SubjectPublicKeyInfo.getInstance(keyPair.getPublic().getEncoded())
                    .getPublicKeyData().getBytes();
            ASN1Encodable curve = withCurve ? new X962Parameters(SECObjectIdentifiers.secp256r1) : null;
            org.bouncycastle.asn1.sec.ECPrivateKey sec1 = new org.bouncycastle.asn1.sec.ECPrivateKey(256,
                    key.getS(), new DERBitString(publicPoint), curve);
            return pem("EC PRIVATE KEY", sec1.getEncoded());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes the certificate and PKCS #8 key to the two files and returns them as node settings. */
    NodeConfig.CertificateFiles write(Path certificateFile, Path keyFile) {
        try {
            Files.writeString(certificateFile, certificatePem(), StandardCharsets.US_ASCII);
            Files.writeString(keyFile, keyPem(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new NodeConfig.CertificateFiles(certificateFile.toString(), keyFile.toString());
    }

    private static String pem(String label, byte[] der) {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
        return "-----BEGIN " + label + "-----\n" + body + "\n-----END " + label + "-----\n";
    }
}
