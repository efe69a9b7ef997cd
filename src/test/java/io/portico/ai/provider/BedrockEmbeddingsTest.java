package io.portico.ai.provider;

import static io.portico.ai.provider.BedrockFixtures.json;
import static io.portico.ai.provider.BedrockFixtures.keyProvider;
import static io.portico.ai.provider.BedrockFixtures.target;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.spi.AiException;
import io.portico.ai.spi.ProviderCall;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class BedrockEmbeddingsTest {

    private static final BedrockAdapter ADAPTER = new BedrockAdapter();
    private static final String TITAN = "amazon.titan-embed-text-v2:0";
    private static final String COHERE = "cohere.embed-english-v3";

    @Test
    void titanCallWithDimensions() {
        ProviderCall call = ADAPTER.embeddings(json("""
                {"model": "t", "input": ["one text"], "dimensions": 256}"""),
                target(keyProvider(null), TITAN, "key"));

        assertThat(call.url()).isEqualTo(
                "https://bedrock-runtime.us-west-2.amazonaws.com/model/amazon.titan-embed-text-v2%3A0/invoke");
        assertThat(json(call.body().toString())).isEqualTo(json("{\"inputText\": \"one text\", \"dimensions\": 256}"));
    }

    @Test
    void cohereCallWithSeveralTexts() {
        ProviderCall call = ADAPTER.embeddings(json("{\"model\": \"c\", \"input\": [\"a\", \"b\"]}"),
                target(keyProvider(null), COHERE, "key"));

        assertThat(json(call.body().toString())).isEqualTo(json("""
                {"texts": ["a", "b"], "input_type": "search_document"}"""));
    }

    @Test
    void titanRejectsSeveralInputs() {
        assertThatThrownBy(() -> ADAPTER.embeddings(json("{\"model\": \"t\", \"input\": [\"a\", \"b\"]}"),
                target(keyProvider(null), TITAN, "key")))
                .isInstanceOfSatisfying(AiException.class, e -> {
                    assertThat(e.error().status()).isEqualTo(400);
                    assertThat(e.error().message()).isEqualTo(
                            "Amazon Titan embedding models take one input per request, not 2");
                });
    }

    @Test
    void otherModelsRejected() {
        assertThatThrownBy(() -> ADAPTER.embeddings(json("{\"model\": \"m\", \"input\": \"a\"}"),
                target(keyProvider(null), "meta.llama3-8b-instruct-v1:0", "key")))
                .isInstanceOfSatisfying(AiException.class, e -> assertThat(e.error().status()).isEqualTo(400));
    }

    @Test
    void titanResponseWithUsage() {
        ObjectNode response = ADAPTER.embeddingsResponse(json("""
                {"embedding": [0.25, -1.5], "inputTextTokenCount": 3}"""), json("{\"input\": \"a b c\"}"),
                target(keyProvider(null), TITAN, "key"));

        assertThat(json(response.toString())).isEqualTo(json("""
                {"object": "list", "data": [{"object": "embedding", "index": 0, "embedding": [0.25, -1.5]}],
                 "model": "amazon.titan-embed-text-v2:0", "usage": {"prompt_tokens": 3, "total_tokens": 3}}
                """));
    }

    @Test
    void cohereResponseInBase64() {
        ObjectNode response = ADAPTER.embeddingsResponse(json("""
                {"id": "x", "embeddings": {"float": [[1.0, 2.0], [0.5, 0.0]]}, "response_type": "embeddings_by_type"}
                """), json("{\"input\": [\"a\", \"b\"], \"encoding_format\": \"base64\"}"),
                target(keyProvider(null), COHERE, "key"));

        ByteBuffer second = ByteBuffer.wrap(Base64.getDecoder().decode(
                response.path("data").path(1).path("embedding").asText())).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(response.path("data")).hasSize(2);
        assertThat(second.getFloat()).isEqualTo(0.5f);
        assertThat(second.getFloat()).isEqualTo(0.0f);
        assertThat(response.path("usage").path("prompt_tokens").asLong()).isZero();
    }
}
