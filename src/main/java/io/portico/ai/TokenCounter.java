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

    /**
     * Estimates the input tokens of an embeddings request. The {@code input} field is a text, a list of texts, a
     * list of token ids or a list of such lists, and each token id counts as one token.
     */
    static int embeddingsInput(JsonNode body) {
        JsonNode input = body.path("input");
        if (input.isTextual()) {
            return count(input.textValue());
        }
        long tokens = 0;
        for (JsonNode item : input) {
            if (item.isTextual()) {
                tokens += count(item.textValue());
            } else if (item.isNumber()) {
                tokens++;
            } else if (item.isArray()) {
                tokens += item.size();
            }
        }
        return (int) Math.min(Integer.MAX_VALUE, tokens);
    }

    /** Returns about as many characters as {@link #embeddingsInput(JsonNode)} counts, without copying any text. */
    static long embeddingsInputLength(JsonNode body) {
        return textLength(body.path("input"));
    }

    /**
     * Estimates the input tokens of a Responses API request: its {@code instructions}, the texts, tool calls and
     * tool results of its {@code input}, and its tool definitions. Input stored by the provider, which
     * {@code previous_response_id} or {@code conversation} refers to, is not in the request and is not counted.
     */
    static int responsesInput(JsonNode body) {
        StringBuilder text = new StringBuilder();
        appendText(body.get("instructions"), text);
        JsonNode input = body.path("input");
        int items = 0;
        if (input.isTextual()) {
            text.append(input.textValue()).append('\n');
            items = 1;
        }
        for (JsonNode item : input) {
            items++;
            appendText(item.get("content"), text);
            appendText(item.get("name"), text);
            appendText(item.get("arguments"), text);
            appendText(item.get("output"), text);
        }
        JsonNode tools = body.get("tools");
        if (tools != null && !tools.isEmpty()) {
            text.append(tools);
        }
        return count(text) + items * PER_MESSAGE + 3;
    }

    /**
     * Returns about as many characters as {@link #responsesInput(JsonNode)} counts, without copying any text. It
     * also counts strings the estimate skips, such as images given as data URLs, so it errs on the long side.
     */
    static long responsesInputLength(JsonNode body) {
        return textLength(body.path("instructions")) + textLength(body.path("input")) + textLength(body.path("tools"));
    }

    /** Appends a text, or the {@code text} field of each part of a list of content parts, and a line break. */
    private static void appendText(JsonNode content, StringBuilder text) {
        if (content == null) {
            return;
        }
        if (content.isTextual()) {
            text.append(content.textValue()).append('\n');
            return;
        }
        for (JsonNode part : content) {
            if (part.path("text").isTextual()) {
                text.append(part.get("text").textValue()).append('\n');
            }
        }
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
