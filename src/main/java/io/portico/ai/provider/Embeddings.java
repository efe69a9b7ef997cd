package io.portico.ai.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.spi.AiError;
import io.portico.ai.spi.AiException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;

/** Helpers for adapters whose embeddings API differs from OpenAI's: reading the input, writing the list. */
final class Embeddings {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private Embeddings() {
    }

    /**
     * Returns the texts of an OpenAI {@code input}: one string or an array of strings.
     *
     * @throws AiException with status 400 for token arrays or other shapes, which these providers cannot embed
     */
    static ArrayNode texts(JsonNode input) {
        ArrayNode texts = NODES.arrayNode();
        if (input != null && input.isTextual()) {
            return texts.add(input.asText());
        }
        if (input != null && input.isArray() && !input.isEmpty()) {
            for (JsonNode item : input) {
                if (!item.isTextual()) {
                    throw new AiException(AiError.of(400, "input must be a string or an array of strings: "
                            + "this provider does not accept token arrays"));
                }
                texts.add(item.asText());
            }
            return texts;
        }
        throw new AiException(AiError.of(400, "input must be a non-empty string or array of strings"));
    }

    /**
     * Builds OpenAI's embeddings list from {@code vectors}, one array of numbers per input, in input order.
     *
     * @param base64 true when the client asked for {@code encoding_format: base64}: each vector is then written as
     *     the base64 of its little-endian float32 values, as OpenAI does
     */
    static ObjectNode list(JsonNode vectors, String model, long promptTokens, boolean base64) {
        ObjectNode list = NODES.objectNode().put("object", "list");
        ArrayNode data = list.putArray("data");
        int index = 0;
        for (JsonNode vector : vectors) {
            ObjectNode item = data.addObject().put("object", "embedding").put("index", index++);
            if (base64) {
                item.put("embedding", encode(vector));
            } else {
                item.set("embedding", vector.deepCopy());
            }
        }
        list.put("model", model);
        list.putObject("usage").put("prompt_tokens", promptTokens).put("total_tokens", promptTokens);
        return list;
    }

    /** Returns true when an OpenAI embeddings request sets {@code encoding_format: base64}. */
    static boolean wantsBase64(JsonNode request) {
        return "base64".equals(Wire.text(request, "encoding_format"));
    }

    private static String encode(JsonNode vector) {
        ByteBuffer bytes = ByteBuffer.allocate(vector.size() * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (JsonNode value : vector) {
            bytes.putFloat((float) value.asDouble());
        }
        return Base64.getEncoder().encodeToString(bytes.array());
    }
}
