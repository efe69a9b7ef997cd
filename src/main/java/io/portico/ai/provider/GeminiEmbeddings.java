package io.portico.ai.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.spi.AiError;
import io.portico.ai.spi.AiException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Translates OpenAI embeddings requests to Google's two embedding APIs and their responses back: the Gemini API's
 * {@code batchEmbedContents} and Vertex AI's {@code predict}. {@code input} must be a string or an array of
 * strings; {@code dimensions} becomes {@code outputDimensionality}; {@code encoding_format} {@code base64} is
 * honoured by encoding the returned floats as little-endian float32, as OpenAI does.
 */
final class GeminiEmbeddings {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private GeminiEmbeddings() {
    }

    /** Builds a {@code batchEmbedContents} body for {@code model}, given as {@code models/{model}}. */
    static ObjectNode batchRequest(ObjectNode openAi, String modelName) {
        ObjectNode body = NODES.objectNode();
        ArrayNode requests = body.putArray("requests");
        for (String text : inputs(openAi)) {
            ObjectNode request = requests.addObject().put("model", modelName);
            request.putObject("content").putArray("parts").addObject().put("text", text);
            if (openAi.get("dimensions") != null && openAi.get("dimensions").canConvertToInt()) {
                request.put("outputDimensionality", openAi.get("dimensions").asInt());
            }
        }
        return body;
    }

    /** Builds a Vertex AI {@code predict} body for a text embedding model. */
    static ObjectNode predictRequest(ObjectNode openAi) {
        ObjectNode body = NODES.objectNode();
        ArrayNode instances = body.putArray("instances");
        for (String text : inputs(openAi)) {
            instances.addObject().put("content", text);
        }
        if (openAi.get("dimensions") != null && openAi.get("dimensions").canConvertToInt()) {
            body.putObject("parameters").put("outputDimensionality", openAi.get("dimensions").asInt());
        }
        return body;
    }

    private static List<String> inputs(ObjectNode openAi) {
        JsonNode input = openAi.get("input");
        List<String> texts = new ArrayList<>();
        if (input != null && input.isTextual()) {
            texts.add(input.asText());
        } else if (input != null && input.isArray()) {
            for (JsonNode item : input) {
                if (!item.isTextual()) {
                    throw new AiException(AiError.of(400, "this provider embeds only text: input must be a string "
                            + "or an array of strings"));
                }
                texts.add(item.asText());
            }
        }
        if (texts.isEmpty()) {
            throw new AiException(AiError.of(400, "input must be a non-empty string or array of strings"));
        }
        return texts;
    }

    /** Translates a {@code batchEmbedContents} response, which reports no token counts. */
    static ObjectNode fromBatch(JsonNode body, ObjectNode openAi, String model) {
        List<JsonNode> vectors = new ArrayList<>();
        for (JsonNode embedding : body.path("embeddings")) {
            vectors.add(embedding.path("values"));
        }
        return list(vectors, openAi, model, 0);
    }

    /** Translates a Vertex AI {@code predict} response, summing each prediction's token count. */
    static ObjectNode fromPredict(JsonNode body, ObjectNode openAi, String model) {
        List<JsonNode> vectors = new ArrayList<>();
        long tokens = 0;
        for (JsonNode prediction : body.path("predictions")) {
            vectors.add(prediction.path("embeddings").path("values"));
            tokens += prediction.path("embeddings").path("statistics").path("token_count").asLong(0);
        }
        return list(vectors, openAi, model, tokens);
    }

    private static ObjectNode list(List<JsonNode> vectors, ObjectNode openAi, String model, long tokens) {
        boolean base64 = "base64".equals(Wire.text(openAi, "encoding_format"));
        ObjectNode response = NODES.objectNode().put("object", "list");
        ArrayNode data = response.putArray("data");
        for (int i = 0; i < vectors.size(); i++) {
            ObjectNode item = data.addObject().put("object", "embedding").put("index", i);
            if (base64) {
                item.put("embedding", base64(vectors.get(i)));
            } else {
                item.set("embedding", vectors.get(i).deepCopy());
            }
        }
        response.put("model", model);
        response.putObject("usage").put("prompt_tokens", tokens).put("total_tokens", tokens);
        return response;
    }

    private static String base64(JsonNode values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.size() * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (JsonNode value : values) {
            bytes.putFloat(value.floatValue());
        }
        return Base64.getEncoder().encodeToString(bytes.array());
    }
}
