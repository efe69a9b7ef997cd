package io.portico.ai.provider;

import com.fasterxml.jackson.databind.JsonNode;

/** Reads the text of an OpenAI message content for providers that take plain text. */
final class MessageText {

    private MessageText() {
    }

    /** Returns a string content, or the text parts of an array content joined by blank lines; "" for none. */
    static String join(JsonNode content) {
        if (content == null || content.isNull()) {
            return "";
        }
        if (!content.isArray()) {
            return content.asText();
        }
        StringBuilder text = new StringBuilder();
        for (JsonNode part : content) {
            if ("text".equals(part.path("type").asText())) {
                if (text.length() > 0) {
                    text.append("\n\n");
                }
                text.append(part.path("text").asText());
            }
        }
        return text.toString();
    }
}
