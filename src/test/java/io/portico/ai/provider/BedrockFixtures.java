package io.portico.ai.provider;

import com.fasterxml.jackson.core.JsonProcessingException;
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
import java.util.ArrayList;
import java.util.List;

/** Requests, targets and a recording sink shared by the Bedrock adapter tests. */
final class BedrockFixtures {

    static final String CLAUDE = "anthropic.claude-3-5-sonnet-20240620-v1:0";
    static final String ACCESS_KEY_ID = "AKIDEXAMPLE";
    static final String SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    /** A 1x1 PNG, which tests declare as JPEG to check that the detected type wins. */
    static final String PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kg"
            + "AAAABJRU5ErkJggg==";

    private BedrockFixtures() {
    }

    static ObjectNode json(String text) {
        try {
            return (ObjectNode) Json.MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("invalid JSON in a test: " + text, e);
        }
    }

    static ChatRequest request(String body) {
        ObjectNode json = json(body);
        return new ChatRequest(json, json, Protocol.OPENAI, json.path("model").asText("claude"),
                json.path("stream").asBoolean(false), true);
    }

    /** Returns a provider that signs with access keys, at {@code baseUrl} (null for the regional endpoint). */
    static ProviderSpec signedProvider(String baseUrl, String sessionToken) {
        return new ProviderSpec("aws", "bedrock", baseUrl, null, null, null, null, null, null, "us-east-1", null,
                ACCESS_KEY_ID, SECRET, sessionToken, null, null, null, null, null);
    }

    /** Returns a provider that authenticates with a Bedrock API key. */
    static ProviderSpec keyProvider(String baseUrl) {
        return new ProviderSpec("aws", "bedrock", baseUrl, List.of(new ProviderSpec.Key("bedrock-api-key", null,
                null)), null, null, null, null, null, "us-west-2", null, null, null, null, null, null, null, null,
                null);
    }

    static CallTarget target(ProviderSpec provider, String model, String key) {
        String baseUrl = provider.baseUrl() != null ? provider.baseUrl() : BedrockAdapter.DEFAULT_BASE_URL;
        return new CallTarget(provider, baseUrl, model, key, null);
    }

    /** Records what a translator emits. */
    static final class RecordingSink implements ChunkSink {

        final List<ObjectNode> chunks = new ArrayList<>();
        final List<AiError> errors = new ArrayList<>();
        Usage usage = Usage.NONE;

        @Override
        public void chunk(ObjectNode chunk) {
            chunks.add(chunk);
        }

        @Override
        public void usage(Usage usage) {
            this.usage = this.usage.merge(usage);
        }

        @Override
        public void fail(AiError error) {
            errors.add(error);
        }

        /** Returns each chunk's delta as compact JSON, or {@code finish:<reason>} for the finishing chunk. */
        List<String> deltas() {
            List<String> lines = new ArrayList<>();
            for (ObjectNode chunk : chunks) {
                JsonNode choice = chunk.path("choices").path(0);
                lines.add(choice.path("finish_reason").isNull() ? choice.path("delta").toString()
                        : "finish:" + choice.path("finish_reason").asText());
            }
            return lines;
        }
    }
}
