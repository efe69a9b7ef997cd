package io.portico.gateway.tls;

import io.portico.config.Pem;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A certificate chain with its private key, checked to belong together, and the DNS names the leaf certificate
 * is valid for.
 *
 * @param source where the certificate came from, for log lines: a file path or a store certificate name
 * @param chain the certificate chain, leaf first
 * @param hostNames the leaf's DNS subject alternative names, lower-cased; wildcards keep their {@code *.} prefix
 */
record ServedCertificate(String source, List<X509Certificate> chain, PrivateKey key, List<String> hostNames) {

    private static final Logger LOG = LoggerFactory.getLogger(ServedCertificate.class);
    private static final byte[] KEY_CHECK_DATA = "portico key check".getBytes(StandardCharsets.US_ASCII);

    ServedCertificate {
        Objects.requireNonNull(source, "source");
        chain = List.copyOf(chain);
        Objects.requireNonNull(key, "key");
        hostNames = List.copyOf(hostNames);
    }

    /**
     * Parses a PEM certificate chain and its PEM private key, checks that the key belongs to the leaf certificate,
     * and logs the loaded certificate (a warning when it is expired or not yet valid).
     *
     * @param certificateOrigin names the certificate text in error messages, such as {@code certificate file /x}
     * @param keyOrigin names the key text in error messages
     * @throws IllegalArgumentException when either text is missing or invalid, or the key does not match
     */
    static ServedCertificate load(String source, String certificateOrigin, String certificatePem,
                                  String keyOrigin, String keyPem) {
        ServedCertificate certificate = parse(source, certificateOrigin, certificatePem, keyOrigin, keyPem);
        certificate.logLoaded(Instant.now());
        return certificate;
    }

    /**
     * Parses and checks like {@link #load} without logging.
     *
     * @throws IllegalArgumentException when either text is missing or invalid, or the key does not match
     */
    static ServedCertificate parse(String source, String certificateOrigin, String certificatePem,
                                   String keyOrigin, String keyPem) {
        List<X509Certificate> chain;
        List<String> hostNames;
        PrivateKey key;
        try {
            chain = Pem.certificates(require(certificatePem, "the certificate is empty"));
            hostNames = Pem.hostNames(certificatePem);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(certificateOrigin + ": " + e.getMessage(), e);
        }
        try {
            key = PemKeys.privateKey(require(keyPem, "the private key is empty"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(keyOrigin + ": " + e.getMessage(), e);
        }
        String mismatch = keyMismatch(chain.get(0).getPublicKey(), key);
        if (mismatch != null) {
            throw new IllegalArgumentException(keyOrigin + " does not match " + certificateOrigin + ": " + mismatch);
        }
        return new ServedCertificate(source, chain, key, hostNames);
    }

    X509Certificate leaf() {
        return chain.get(0);
    }

    /**
     * Returns whether a handshake that requests {@code keyType}, a key algorithm such as {@code RSA} or {@code EC},
     * can use this certificate's key. A suffix after {@code _}, such as in {@code EC_RSA}, names the issuer's
     * signature algorithm. The JDK's SunX509 key manager splits key types the same way, and the suffix is ignored.
     */
    boolean supports(String keyType) {
        int separator = keyType.indexOf('_');
        String algorithm = separator < 0 ? keyType : keyType.substring(0, separator);
        return key.getAlgorithm().equals(algorithm);
    }

    @Override
    public String toString() {
        return source + " " + hostNames;
    }

    private static String require(String pem, String message) {
        if (pem == null || pem.isBlank()) {
            throw new IllegalArgumentException(message);
        }
        return pem;
    }

    /** Returns why {@code key} is not the private half of {@code publicKey}, or null when it is. */
    private static String keyMismatch(PublicKey publicKey, PrivateKey key) {
        if (!publicKey.getAlgorithm().equals(key.getAlgorithm())) {
            return "the certificate has an " + publicKey.getAlgorithm() + " public key but the private key is "
                    + key.getAlgorithm();
        }
        if (publicKey instanceof RSAPublicKey rsaPublic && key instanceof RSAKey rsaPrivate) {
            return sameRsaKey(rsaPublic, rsaPrivate) ? null : "the RSA modulus or public exponent differs";
        }
        String signatureAlgorithm = switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "EdDSA" -> "EdDSA";
            default -> null;
        };
        if (signatureAlgorithm == null) {
            return "keys of algorithm " + key.getAlgorithm() + " are not supported; use an RSA, EC or EdDSA key";
        }
        return signsForPublicKey(signatureAlgorithm, publicKey, key) ? null
                : "a signature made with the private key does not verify with the certificate's public key";
    }

    private static boolean sameRsaKey(RSAPublicKey publicKey, RSAKey key) {
        BigInteger exponent = key instanceof RSAPrivateCrtKey crt ? crt.getPublicExponent() : null;
        return publicKey.getModulus().equals(key.getModulus())
                && (exponent == null || exponent.equals(publicKey.getPublicExponent()));
    }

    private static boolean signsForPublicKey(String algorithm, PublicKey publicKey, PrivateKey key) {
        try {
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(KEY_CHECK_DATA);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(KEY_CHECK_DATA);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("checking the private key against the certificate failed: " + e, e);
        }
    }

    /** Logs that this certificate is served, as a warning when it is expired or not yet valid at {@code now}. */
    void logLoaded(Instant now) {
        X509Certificate leaf = leaf();
        Instant notBefore = leaf.getNotBefore().toInstant();
        Instant notAfter = leaf.getNotAfter().toInstant();
        if (now.isAfter(notAfter)) {
            LOG.warn("HTTPS certificate from {} for {} expired at {}; clients will reject it until it is replaced",
                    source, hostNames, notAfter);
        } else if (now.isBefore(notBefore)) {
            LOG.warn("HTTPS certificate from {} for {} is not valid before {}; clients will reject it until then",
                    source, hostNames, notBefore);
        } else {
            LOG.info("Loaded HTTPS certificate from {} for {}, serial {}, valid until {}",
                    source, hostNames, leaf.getSerialNumber().toString(16), notAfter);
        }
    }
}
