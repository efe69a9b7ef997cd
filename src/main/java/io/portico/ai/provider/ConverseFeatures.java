package io.portico.ai.provider;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.regex.Pattern;

/**
 * Converse fields that only some Bedrock models accept, found by model id, base model, inference profile or ARN.
 * The Bedrock user guide (prompt caching) lists where each model takes {@code cachePoint} blocks, and Bedrock
 * rejects a cache point that the model does not support. The API reference (ToolResultBlock) limits
 * {@code toolResult.status} to Amazon Nova and Claude 3 and 4 models.
 *
 * <p>NOTE: the model lists are AWS's at the time of writing. A later model gets neither field until it is added
 * here, so its cache breakpoints are dropped and its failed tool results keep their {@code Error: } text prefix.
 *
 * @param systemCache cache points are accepted in {@code system}
 * @param messageCache cache points are accepted in message content
 * @param toolCache cache points are accepted in {@code toolConfig.tools}
 * @param toolResultStatus {@code toolResult.status} is accepted
 */
record ConverseFeatures(boolean systemCache, boolean messageCache, boolean toolCache, boolean toolResultStatus) {

    /** Claude 3.7 Sonnet, Claude 3.5 Haiku and the Claude 4 models: cache points in system, messages and tools. */
    private static final Pattern CLAUDE_CACHE = Pattern.compile(
            "anthropic\\.claude-(3-7-sonnet|3-5-haiku|(opus|sonnet|haiku)-4)");
    /** Amazon Nova Micro, Lite, Pro and Premier: cache points in system and messages. */
    private static final Pattern NOVA_CACHE = Pattern.compile("amazon\\.nova-(micro|lite|pro|premier)");
    private static final Pattern ERROR_STATUS = Pattern.compile(
            "anthropic\\.claude-(3-|(opus|sonnet|haiku)-4)|amazon\\.nova-");
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    static ConverseFeatures of(String model) {
        boolean claude = CLAUDE_CACHE.matcher(model).find();
        boolean nova = NOVA_CACHE.matcher(model).find();
        return new ConverseFeatures(claude || nova, claude || nova, claude, ERROR_STATUS.matcher(model).find());
    }

    /**
     * Builds the Converse cache point of an Anthropic breakpoint. Its {@code ttl} is kept when it is one of the
     * values Converse accepts, {@code 5m} and {@code 1h}. Otherwise it is left out, and Bedrock applies its
     * default of five minutes.
     */
    static ObjectNode cachePoint(ObjectNode breakpoint) {
        ObjectNode block = NODES.objectNode();
        ObjectNode point = block.putObject("cachePoint").put("type", "default");
        String ttl = Wire.text(breakpoint, "ttl");
        if ("5m".equals(ttl) || "1h".equals(ttl)) {
            point.put("ttl", ttl);
        }
        return block;
    }
}
