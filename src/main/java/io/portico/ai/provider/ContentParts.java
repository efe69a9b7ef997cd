package io.portico.ai.provider;

import com.fasterxml.jackson.databind.JsonNode;
import io.portico.ai.spi.AiError;
import io.portico.ai.spi.AiException;
import io.portico.ai.spi.CallTarget;
import java.util.Locale;

/**
 * Reads the content parts of internal-form messages that carry more than text and images, and builds the 400
 * error for a part that a provider cannot take. Translators reject such parts instead of dropping them, because a
 * model that replies without the client's document or audio gives a wrong reply with no sign of the loss.
 */
final class ContentParts {

    private ContentParts() {
    }

    /**
     * The inline data of an OpenAI {@code file} part.
     *
     * @param mediaType the media type declared in the data URI, in lower case
     * @param base64 the base64 payload
     * @param filename the part's {@code filename}; null when it has none
     */
    record FileData(String mediaType, String base64, String filename) {
    }

    /**
     * Reads the {@code file_data} data URI of an OpenAI {@code file} part.
     *
     * @throws AiException with status 400 for a part that refers to an uploaded file by {@code file_id}, because
     *     that file exists only in the OpenAI account it was uploaded to, and for a part without a base64 data URI
     */
    static FileData file(JsonNode part, CallTarget target) {
        JsonNode file = part.path("file");
        String data = file.path("file_data").asText("");
        if (data.isEmpty() && file.hasNonNull("file_id")) {
            throw new AiException(AiError.of(400, "file parts with a file_id are not supported by provider '"
                    + target.provider().name() + "'; send the file inline as file_data"));
        }
        int comma = data.indexOf(',');
        String header = comma < 0 ? "" : data.substring(0, comma);
        if (!header.startsWith("data:") || !header.endsWith(";base64")) {
            throw new AiException(AiError.of(400, "invalid file part: file_data must be a data URI of the form"
                    + " data:<media type>;base64,<data>"));
        }
        String mediaType = header.substring("data:".length(), header.length() - ";base64".length());
        if (mediaType.isEmpty()) {
            throw new AiException(AiError.of(400, "invalid file part: the file_data URI names no media type"));
        }
        return new FileData(mediaType.toLowerCase(Locale.ROOT), data.substring(comma + 1),
                file.hasNonNull("filename") ? file.get("filename").asText() : null);
    }

    /** Returns the 400 error for a content part of {@code type} that {@code target}'s provider cannot take. */
    static AiException unsupported(String type, CallTarget target) {
        return new AiException(AiError.of(400, "content parts of type '" + type + "' are not supported by provider '"
                + target.provider().name() + "'"));
    }

    /**
     * Returns the 400 error for a content part of {@code type} in a tool result that {@code target}'s provider
     * cannot take there, such as an image for a provider whose tool results hold only text.
     */
    static AiException unsupportedInToolResult(String type, CallTarget target) {
        return new AiException(AiError.of(400, "content parts of type '" + type + "' in tool results are not"
                + " supported by provider '" + target.provider().name() + "'"));
    }

    /**
     * Checks that the content of a tool message is a string or holds only text parts, for providers whose tool
     * results carry only text.
     *
     * @throws AiException with status 400 naming the first part of another type
     */
    static void requireTextResult(JsonNode content, CallTarget target) {
        if (content == null || !content.isArray()) {
            return;
        }
        for (JsonNode part : content) {
            String type = part.path("type").asText();
            if (!"text".equals(type)) {
                throw unsupportedInToolResult(type, target);
            }
        }
    }

    /**
     * Returns the 400 error, about the field {@code messages}, for a request that leaves no user or assistant
     * message for a provider that requires one, such as a request of system messages only. Sending the system text
     * as a user message instead would turn the instructions into the user's words.
     */
    static AiException emptyConversation(CallTarget target) {
        return AiException.invalidParam("messages", "messages: the request has no user or assistant message with"
                + " content, and provider '" + target.provider().name() + "' requires one; system messages and"
                + " blank text do not count");
    }

    /** Returns the 400 error for a file of {@code mediaType} that {@code target}'s provider cannot take. */
    static AiException unsupportedFile(String mediaType, CallTarget target, String accepted) {
        return new AiException(AiError.of(400, "files of type '" + mediaType + "' are not supported by provider '"
                + target.provider().name() + "'; it accepts " + accepted));
    }
}
