package io.portico.ai.provider;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;

/**
 * A Google service account key (the JSON document Google Cloud issues) and the signed JWT assertions that
 * exchange it for OAuth access tokens, as RFC 7523 and Google's "OAuth 2.0 for Server to Server Applications"
 * describe. {@link #toString()} shows the account's email only, never the key.
 */
public final class GoogleServiceAccount {

    /** The token endpoint used when the key names none. */
    public static final String DEFAULT_TOKEN_URI = "https://oauth2.googleapis.com/token";
    /** The scope that Vertex AI calls need. */
    public static final String CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform";
    /** The lifetime of an assertion, the longest Google accepts. */
    static final Duration ASSERTION_LIFETIME = Duration.ofHours(1);

    private static final Base64.Encoder BASE64_URL = Base64.getUrlEncoder().withoutPadding();

    private final String clientEmail;
    private final String privateKeyId;
    private final String tokenUri;
    private final PrivateKey privateKey;

    private GoogleServiceAccount(String clientEmail, String privateKeyId, String tokenUri, PrivateKey privateKey) {
        this.clientEmail = requireNonNull(clientEmail, "clientEmail");
        this.privateKeyId = privateKeyId;
        this.tokenUri = requireNonNull(tokenUri, "tokenUri");
        this.privateKey = requireNonNull(privateKey, "privateKey");
    }

    /**
     * Parses a service account key document.
     *
     * @throws IllegalArgumentException when the document is not JSON, lacks {@code client_email} or
     *     {@code private_key}, or the key is not a PKCS #8 RSA key in PEM; the message never contains the key
     */
    public static GoogleServiceAccount parse(String json) {
        JsonNode document = json == null ? null : Wire.parse(json);
        if (document == null || !document.isObject()) {
            throw new IllegalArgumentException("must be the service account key as a JSON document");
        }
        String email = Wire.text(document, "client_email");
        String pem = Wire.text(document, "private_key");
        if (email == null || email.isBlank()) {
            throw new IllegalArgumentException("has no client_email");
        }
        if (pem == null || pem.isBlank()) {
            throw new IllegalArgumentException("has no private_key");
        }
        String tokenUri = Wire.text(document, "token_uri");
        return new GoogleServiceAccount(email, Wire.text(document, "private_key_id"),
                tokenUri == null || tokenUri.isBlank() ? DEFAULT_TOKEN_URI : tokenUri, rsaKey(pem));
    }

    private static PrivateKey rsaKey(String pem) {
        if (!pem.contains("-----BEGIN PRIVATE KEY-----")) {
            throw new IllegalArgumentException("private_key must be a PEM 'BEGIN PRIVATE KEY' block (PKCS #8)");
        }
        String base64 = pem.replace("-----BEGIN PRIVATE KEY-----", "")
                .replace("-----END PRIVATE KEY-----", "")
                .replaceAll("\\s", "");
        try {
            byte[] der = Base64.getDecoder().decode(base64);
            return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            throw new IllegalArgumentException("private_key is not a readable RSA private key", e);
        }
    }

    public String clientEmail() {
        return clientEmail;
    }

    /** Returns the token endpoint the key names, or Google's when it names none. */
    public String tokenUri() {
        return tokenUri;
    }

    /**
     * Builds a JWT assertion signed with RS256: issued by the account's email for {@code scope}, addressed to
     * {@code audience} (the token endpoint), valid for one hour from {@code now}.
     */
    public String assertion(String audience, String scope, Instant now) {
        JsonNodeFactory nodes = JsonNodeFactory.instance;
        ObjectNode header = nodes.objectNode().put("alg", "RS256").put("typ", "JWT");
        if (privateKeyId != null) {
            header.put("kid", privateKeyId);
        }
        ObjectNode claims = nodes.objectNode()
                .put("iss", clientEmail)
                .put("scope", scope)
                .put("aud", audience)
                .put("iat", now.getEpochSecond())
                .put("exp", now.plus(ASSERTION_LIFETIME).getEpochSecond());
        String signingInput = encode(header) + "." + encode(claims);
        try {
            Signature signer = Signature.getInstance("SHA256withRSA");
            signer.initSign(privateKey);
            signer.update(signingInput.getBytes(StandardCharsets.US_ASCII));
            return signingInput + "." + BASE64_URL.encodeToString(signer.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("signing the assertion of " + clientEmail + " failed", e);
        }
    }

    private static String encode(ObjectNode json) {
        return BASE64_URL.encodeToString(Wire.json(json).getBytes());
    }

    @Override
    public String toString() {
        return "GoogleServiceAccount[" + clientEmail + "]";
    }
}
