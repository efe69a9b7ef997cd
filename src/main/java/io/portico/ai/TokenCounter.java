package io.portico.ai;

import com.fasterxml.jackson.databind.JsonNode;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import java.util.Map;

/**
 * Counts tokens with the o200k_base encoding when a provider reports no usage. The count is an estimate for
 * models with other tokenizers; records made from it are marked as estimated.
 */
final class TokenCounter {

    /**
     * Prompts with up to this many characters of text are counted on the event loop, longer ones on a worker thread
     * ({@link PromptTokens}). The encoding counted about 10 MB of text per second on one core of a busy 2-core build
     * machine, so this much takes a few milliseconds there and less on an idle machine.
     */
    static final int INLINE_CHARS = 32 * 1024;

    /** Tokens a chat format adds per message for role and separators, as OpenAI documents for its models. */
    private static final int PER_MESSAGE = 4;
    private static final Encoding ENCODING = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.O200K_BASE);

    private TokenCounter() {
    }

    static int count(CharSequence text) {
        return text.isEmpty() ? 0 : ENCODING.countTokensOrdinary(text.toString());
    }

    /** Estimates the prompt tokens of a request in OpenAI's shape: message texts, tool calls and tool definitions. */
    static int prompt(JsonNode body) {
        StringBuilder text = new StringBuilder();
        int messages = 0;
        for (JsonNode message : body.path("messages")) {
            messages++;
            JsonNode content = message.get("content");
            if (content != null && content.isTextual()) {
                text.append(content.asText()).append('\n');
            } else if (content != null && content.isArray()) {
                for (JsonNode part : content) {
                    if (part.hasNonNull("text")) {
                        text.append(part.get("text").asText()).append('\n');
                    }
                }
            }
            for (JsonNode call : message.path("tool_calls")) {
                text.append(call.path("function").path("name").asText()).append(' ')
                        .append(call.path("function").path("arguments").asText()).append('\n');
            }
        }
        JsonNode tools = body.get("tools");
        if (tools != null && !tools.isEmpty()) {
            text.append(tools);
        }
        return count(text) + messages * PER_MESSAGE + 3;
    }

    /**
     * Returns about as many characters as {@link #prompt(JsonNode)} counts: the text of every string and field
     * name in the messages and tools, without JSON punctuation. It reads the tree without copying any text.
     */
    static long promptLength(JsonNode body) {
        return textLength(body.path("messages")) + textLength(body.path("tools"));
    }

    private static long textLength(JsonNode node) {
        if (node.isTextual()) {
            return node.textValue().length();
        }
        long length = 0;
        if (node.isObject()) {
            for (Map.Entry<String, JsonNode> field : node.properties()) {
                length += field.getKey().length() + textLength(field.getValue());
            }
        } else if (node.isArray()) {
            for (JsonNode element : node) {
                length += textLength(element);
            }
        }
        return length;
    }
}
