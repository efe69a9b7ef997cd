package io.portico.ai.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.spi.AiError;
import io.portico.ai.spi.AiException;
import io.portico.ai.spi.CallTarget;

/**
 * Reads the arguments of an assistant's tool call in the internal form, a JSON text, for providers that take them
 * as an object: Anthropic's {@code input}, Gemini's {@code args}, Bedrock's {@code input} and Ollama's
 * {@code arguments}.
 */
final class ToolArguments {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private ToolArguments() {
    }

    /**
     * Returns the arguments of {@code call} as an object: the parsed text when it is a JSON object, and an empty
     * object when the text is blank or {@code null}, which both mean a call without arguments.
     *
     * @throws AiException with status 400 naming the call when the text is anything else, such as JSON cut off by
     *     an output limit or an array, because sending {@code {}} in its place would change the call
     */
    static ObjectNode parse(JsonNode call, CallTarget target) {
        JsonNode arguments = call.path("function").get("arguments");
        if (arguments instanceof ObjectNode object) {
            return object.deepCopy();
        }
        String text = arguments == null || arguments.isNull() ? "" : arguments.asText();
        if (text.isBlank()) {
            return NODES.objectNode();
        }
        JsonNode parsed = Wire.parse(text);
        if (parsed instanceof ObjectNode object) {
            return object;
        }
        if (parsed != null && parsed.isNull()) {
            return NODES.objectNode();
        }
        throw new AiException(AiError.of(400, "the arguments of tool call '" + call.path("id").asText() + "' ("
                + call.path("function").path("name").asText() + ") are not a JSON object, which provider '"
                + target.provider().name() + "' requires; send the complete arguments as a JSON object"));
    }
}
