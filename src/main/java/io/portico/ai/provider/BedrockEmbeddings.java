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
 * Embeddings on Amazon Bedrock through {@code InvokeModel} ({@code POST /model/{modelId}/invoke}), in each model
 * family's own body.
 *
 * <p>Amazon Titan text embeddings take one text per call: {@code {"inputText": ...}}, with {@code dimensions}
 * passed on for v2 models, and return {@code embedding} and {@code inputTextTokenCount}. A request with several
 * inputs is rejected with 400 rather than split into several calls. Cohere Embed models take
 * {@code {"texts": [...], "input_type": "search_document"}} and return {@code embeddings}, either a list of float
 * lists or {@code {"float": [...]}}; their body carries no token count, so the gateway estimates usage. Other models
 * are rejected with 400. {@code encoding_format} {@code base64} is served by encoding the floats as little-endian
 * float32, as OpenAI does.
 */
final class BedrockEmbeddings {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private BedrockEmbeddings() {
    }

    /** Builds the InvokeModel body for an OpenAI embeddings request. */
    static ObjectNode request(ObjectNode openAi, String model) {
        List<String> inputs = inputs(openAi.get("input"));
        if (isCohere(model)) {
            ObjectNode body = NODES.objectNode();
            ArrayNode texts = body.putArray("texts");
            inputs.forEach(texts::add);
            body.put("input_type", "search_document");
            return body;
        }
        if (!isTitan(model)) {
            throw new AiException(AiError.of(400, "embeddings on this provider support Amazon Titan and Cohere "
                    + "Embed models, not " + model));
        }
        if (inputs.size() != 1) {
            throw new AiException(AiError.of(400, "Amazon Titan embedding models take one input per request, not "
                    + inputs.size()));
        }
        ObjectNode body = NODES.objectNode().put("inputText", inputs.get(0));
        JsonNode dimensions = openAi.get("dimensions");
        if (dimensions != null && dimensions.canConvertToInt() && model.contains("titan-embed-text-v2")) {
            body.put("dimensions", dimensions.asInt());
        }
        return body;
    }

    /** Translates an InvokeModel embeddings response into OpenAI's list of embeddings. */
    static ObjectNode response(JsonNode body, ObjectNode openAi, String model) {
        boolean base64 = "base64".equals(Wire.text(openAi, "encoding_format"));
        List<JsonNode> vectors = new ArrayList<>();
        long tokens = 0;
        if (body.has("embedding")) {
            vectors.add(body.get("embedding"));
            tokens = Wire.number(body, "inputTextTokenCount");
        } else {
            JsonNode embeddings = body.path("embeddings");
            JsonNode floats = embeddings.isObject() ? embeddings.path("float") : embeddings;
            floats.forEach(vectors::add);
        }
        ObjectNode response = NODES.objectNode().put("object", "list");
        ArrayNode data = response.putArray("data");
        for (int i = 0; i < vectors.size(); i++) {
            ObjectNode item = data.addObject().put("object", "embedding").put("index", i);
            if (base64) {
                item.put("embedding", encode(vectors.get(i)));
            } else {
                item.set("embedding", vectors.get(i).deepCopy());
            }
        }
        response.put("model", model);
        response.putObject("usage").put("prompt_tokens", tokens).put("total_tokens", tokens);
        return response;
    }

    private static List<String> inputs(JsonNode input) {
        List<String> inputs = new ArrayList<>();
        if (input != null && input.isTextual()) {
            inputs.add(input.asText());
        } else if (input != null && input.isArray()) {
            for (JsonNode item : input) {
                if (!item.isTextual()) {
                    throw new AiException(AiError.of(400, "'input' must be a string or an array of strings on "
                            + "this provider, which does not take token arrays"));
                }
                inputs.add(item.asText());
            }
        }
        if (inputs.isEmpty()) {
            throw new AiException(AiError.of(400, "'input' is required"));
        }
        return inputs;
    }

    private static String encode(JsonNode vector) {
        ByteBuffer bytes = ByteBuffer.allocate(vector.size() * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (JsonNode value : vector) {
            bytes.putFloat((float) value.asDouble());
        }
        return Base64.getEncoder().encodeToString(bytes.array());
    }

    static boolean isCohere(String model) {
        return model.contains("cohere.embed");
    }

    static boolean isTitan(String model) {
        return model.contains("amazon.titan-embed");
    }
}
