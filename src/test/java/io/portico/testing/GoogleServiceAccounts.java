package io.portico.testing;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/** Google Cloud service account key files for the Vertex AI tests, with private keys that the tests generate. */
public final class GoogleServiceAccounts {

    /** The {@code client_email} of every key that {@link #keyJson} builds. */
    public static final String CLIENT_EMAIL = "portico@proj-1.iam.gserviceaccount.com";

    private GoogleServiceAccounts() {
    }

    /** Generates a 2048-bit RSA key pair for a test service account. */
    public static KeyPair rsaKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            return generator.generateKeyPair();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Builds the JSON key file of a service account of project {@code proj-1}, as Google Cloud issues it, with the
     * private key of {@code keys}.
     */
    public static String keyJson(KeyPair keys, String tokenUri) {
        String pem = "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                        .encodeToString(keys.getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
        ObjectNode document = Json.MAPPER.createObjectNode()
                .put("type", "service_account")
                .put("project_id", "proj-1")
                .put("private_key_id", "key-1")
                .put("private_key", pem)
                .put("client_email", CLIENT_EMAIL)
                .put("client_id", "1234567890")
                .put("token_uri", tokenUri);
        return document.toString();
    }
}
