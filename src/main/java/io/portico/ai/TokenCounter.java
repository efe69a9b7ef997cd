package io.portico.ai;

import com.fasterxml.jackson.databind.JsonNode;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;

/**
 * Counts tokens with the o200k_base encoding when a provider reports no usage. The count is an estimate for
 * models with other tokenizers; records made from it are marked as estimated.
 */
final class TokenCounter {

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
}
