package io.portico.ai.provider;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** Reads the text of an OpenAI message content for providers that take plain text. */
final class MessageText {

    private MessageText() {
    }

    /**
     * Returns the texts of an assistant message in order: a string content, or the text of its text and
     * {@code refusal} parts, then its {@code refusal} field. OpenAI returns a refusal in place of content and
     * accepts the message back with it, so the conversation keeps the earlier refusal.
     */
    static List<String> assistantTexts(JsonNode message) {
        List<String> texts = new ArrayList<>();
        JsonNode content = message.get("content");
        if (content != null && content.isTextual()) {
            texts.add(content.asText());
        } else if (content != null && content.isArray()) {
            for (JsonNode part : content) {
                switch (part.path("type").asText()) {
                    case "text" -> texts.add(part.path("text").asText());
                    case "refusal" -> texts.add(part.path("refusal").asText());
                    default -> {
                        // Assistant messages carry no other part types in OpenAI's API.
                    }
                }
            }
        }
        JsonNode refusal = message.get("refusal");
        if (refusal != null && refusal.isTextual()) {
            texts.add(refusal.asText());
        }
        return texts;
    }

    /** Returns the {@link #assistantTexts} of an assistant message that are not empty, joined by blank lines. */
    static String joinAssistant(JsonNode message) {
        StringBuilder text = new StringBuilder();
        for (String part : assistantTexts(message)) {
            if (part.isEmpty()) {
                continue;
            }
            if (text.length() > 0) {
                text.append("\n\n");
            }
            text.append(part);
        }
        return text.toString();
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
