package io.portico.jose;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import java.io.ByteArrayInputStream;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.EdECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a public key from PEM text as a JWK: an X.509 SubjectPublicKeyInfo ({@code BEGIN PUBLIC KEY}) or the
 * public key of a certificate ({@code BEGIN CERTIFICATE}), for RSA, EC (P-256, P-384, P-521) and Ed25519 keys.
 */
public final class PublicKeyPem {

    private static final Pattern BLOCK =
            Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \\1-----", Pattern.DOTALL);
    private static final List<String> KEY_FACTORIES = List.of("RSA", "EC", "Ed25519");
    private static final int ED25519_KEY_BYTES = 32;

    private PublicKeyPem() {
    }

    /**
     * Parses the first {@code PUBLIC KEY} or {@code CERTIFICATE} block of {@code pem}.
     *
     * @param keyId the {@code kid} of the returned JWK; may be null
     * @throws IllegalArgumentException when no such block exists or the key is malformed or of another type
     */
    public static JWK parse(String pem, String keyId) {
        Matcher block = BLOCK.matcher(pem);
        while (block.find()) {
            String label = block.group(1);
            if (label.equals("PUBLIC KEY")) {
                return toJwk(publicKey(decode(block.group(2))), keyId);
            }
            if (label.equals("CERTIFICATE")) {
                return toJwk(certificateKey(block.group(0)), keyId);
            }
            if (label.equals("RSA PUBLIC KEY")) {
                throw new IllegalArgumentException("PKCS #1 'BEGIN RSA PUBLIC KEY' blocks are not supported; convert "
                        + "the key with 'openssl rsa -RSAPublicKey_in -pubout'");
            }
        }
        throw new IllegalArgumentException("no PEM public key found; expected a BEGIN PUBLIC KEY or BEGIN "
                + "CERTIFICATE block");
    }

    private static byte[] decode(String body) {
        try {
            return Base64.getMimeDecoder().decode(body.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the PEM block is not valid base64", e);
        }
    }

    private static PublicKey publicKey(byte[] der) {
        for (String algorithm : KEY_FACTORIES) {
            try {
                return KeyFactory.getInstance(algorithm).generatePublic(new X509EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // Not a key of this algorithm; the next factory may read it.
                continue;
            }
        }
        throw new IllegalArgumentException("the PEM public key is malformed or not an RSA, EC or Ed25519 key");
    }

    private static PublicKey certificateKey(String pem) {
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            return factory.generateCertificate(new ByteArrayInputStream(pem.getBytes(
                    java.nio.charset.StandardCharsets.US_ASCII))).getPublicKey();
        } catch (CertificateException e) {
            throw new IllegalArgumentException("invalid PEM certificate: " + e.getMessage(), e);
        }
    }

    /** Returns {@code key} as a public JWK with the id {@code keyId}. */
    public static JWK toJwk(PublicKey key, String keyId) {
        if (key instanceof RSAPublicKey rsa) {
            return new RSAKey.Builder(rsa).keyID(keyId).build();
        }
        if (key instanceof ECPublicKey ec) {
            Curve curve = Curve.forECParameterSpec(ec.getParams());
            if (curve == null) {
                throw new IllegalArgumentException("the EC public key uses an unsupported curve");
            }
            return new ECKey.Builder(curve, ec).keyID(keyId).build();
        }
        if (key instanceof EdECPublicKey && key.getAlgorithm().matches("Ed25519|EdDSA")) {
            byte[] encoded = key.getEncoded();
            if (encoded.length < ED25519_KEY_BYTES) {
                throw new IllegalArgumentException("the Ed25519 public key is malformed");
            }
            byte[] raw = Arrays.copyOfRange(encoded, encoded.length - ED25519_KEY_BYTES, encoded.length);
            if (!Arrays.equals(VerificationKey.ed25519PublicKey(raw).getEncoded(), encoded)) {
                throw new IllegalArgumentException("only Ed25519 keys are supported among EdDSA keys");
            }
            return new OctetKeyPair.Builder(Curve.Ed25519, Base64URL.encode(raw)).keyID(keyId).build();
        }
        throw new IllegalArgumentException("unsupported public key algorithm '" + key.getAlgorithm() + "'");
    }
}
