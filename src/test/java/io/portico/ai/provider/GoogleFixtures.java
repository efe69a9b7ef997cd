package io.portico.ai.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.spi.AiError;
import io.portico.ai.spi.CallTarget;
import io.portico.ai.spi.ChatRequest;
import io.portico.ai.spi.ChunkSink;
import io.portico.ai.spi.Protocol;
import io.portico.ai.spi.Usage;
import io.portico.config.Json;
import io.portico.config.ProviderSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/** Builders shared by the Gemini and Vertex AI tests: JSON, requests, provider specs and a recording sink. */
final class GoogleFixtures {

    private GoogleFixtures() {
    }

    /** Parses JSON written with single quotes for readability. */
    static JsonNode json(String singleQuoted) {
        try {
            return Json.MAPPER.readTree(singleQuoted.replace('\'', '"'));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Returns {@code node} as the parser reads it, so that numbers built as longs equal parsed ints. */
    static JsonNode reparsed(JsonNode node) {
        try {
            return Json.MAPPER.readTree(node.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ChatRequest request(String singleQuoted) {
        ObjectNode body = (ObjectNode) json(singleQuoted);
        return new ChatRequest(body, body.deepCopy(), Protocol.OPENAI, body.path("model").asText("m"),
                body.path("stream").asBoolean(false), true);
    }

    static ProviderSpec gemini(String baseUrl) {
        return spec("gemini", baseUrl, Map.of(), null, null, null, null);
    }

    static ProviderSpec vertex(String baseUrl, String region, String serviceAccount, String tokenUrl) {
        return spec("vertex", baseUrl, Map.of(), region, "proj-1", serviceAccount, tokenUrl);
    }

    static ProviderSpec spec(String type, String baseUrl, Map<String, String> headers, String region, String project,
                             String serviceAccount, String tokenUrl) {
        return new ProviderSpec("google-test", type, baseUrl, List.of(), null, List.of(), headers, null, Map.of(),
                region, project, null, null, null, serviceAccount, tokenUrl, null, null);
    }

    static CallTarget target(ProviderSpec spec, String baseUrl, String model, String key) {
        return new CallTarget(spec, baseUrl, model, key, null);
    }

    static KeyPair rsaKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            return generator.generateKeyPair();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A service account key document for {@code keys}, as Google Cloud issues it. */
    static String serviceAccountJson(KeyPair keys, String tokenUri) {
        String pem = "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(keys.getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
        ObjectNode document = Json.MAPPER.createObjectNode()
                .put("type", "service_account")
                .put("project_id", "proj-1")
                .put("private_key_id", "key-1")
                .put("private_key", pem)
                .put("client_email", "portico@proj-1.iam.gserviceaccount.com")
                .put("client_id", "1234567890")
                .put("token_uri", tokenUri);
        return document.toString();
    }

    /** Records what a stream translator emits. */
    static final class RecordingSink implements ChunkSink {

        final List<ObjectNode> chunks = new ArrayList<>();
        final List<AiError> errors = new ArrayList<>();
        Usage usage = Usage.NONE;

        @Override
        public void chunk(ObjectNode chunk) {
            chunks.add(chunk);
        }

        @Override
        public void usage(Usage reported) {
            usage = reported;
        }

        @Override
        public void fail(AiError error) {
            errors.add(error);
        }

        /** Each chunk's delta, with its finish reason as a {@code finish} field when it has one. */
        List<JsonNode> deltas() {
            List<JsonNode> deltas = new ArrayList<>();
            for (ObjectNode chunk : chunks) {
                JsonNode choice = chunk.path("choices").path(0);
                ObjectNode delta = choice.path("delta").deepCopy();
                if (!choice.path("finish_reason").isNull()) {
                    delta.put("finish", choice.path("finish_reason").asText());
                }
                deltas.add(reparsed(delta));
            }
            return deltas;
        }
    }
}
