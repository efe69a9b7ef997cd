package io.portico.ai.provider;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * The tool call ids that Portico makes for providers whose calls carry none, such as Ollama and Gemini, and the
 * ids it sends in place of those that Anthropic and Bedrock reject.
 */
final class ToolCallIds {

    /** A digest id, or a {@code call_<n>} number, the form of the Gemini ids in conversations of older releases. */
    private static final Pattern GENERATED = Pattern.compile("call_(\\d+|[0-9a-f]{24})");
    /**
     * The ids that Anthropic's and Bedrock's APIs accept: letters, digits, {@code _} and {@code -}, 1 to 64 of them.
     * The Converse API reference gives the length for {@code toolUseId}; Anthropic rejects other characters too.
     */
    private static final Pattern SANITIZED = Pattern.compile("[a-zA-Z0-9_-]{1,64}");
    private static final Pattern OUTSIDE_SANITIZED = Pattern.compile("[^a-zA-Z0-9_-]");
    /** The characters of the original id that a replacement keeps, before its digest. */
    private static final int KEPT_PREFIX = 40;

    private ToolCallIds() {
    }

    /**
     * Returns {@code call_} and the first 24 hexadecimal digits of the SHA-256 of the response's {@code responseKey}
     * and the call's position, name and arguments. A response key that differs between responses, such as the
     * provider's response id or creation time, keeps ids unique within a conversation, as Anthropic requires of
     * {@code tool_use} ids. The same call of one response gets the same id, streamed or not.
     */
    static String digest(String responseKey, int position, String name, String arguments) {
        byte[] hash = sha256(responseKey + "\n" + position + "\n" + name + "\n" + arguments);
        return "call_" + HexFormat.of().formatHex(hash, 0, 12);
    }

    /**
     * Returns {@code id} when Anthropic and Bedrock accept it, else an id they accept: the first 40 characters of
     * {@code id} with each other character replaced by {@code _}, then {@code _} and the first 16 hexadecimal digits
     * of the SHA-256 of {@code id}. Kimi K2's {@code functions.get_weather:0} becomes
     * {@code functions_get_weather_0_} and 16 digits. A tool call and its result carry the same id, so they get the
     * same replacement, and the digest keeps distinct ids apart.
     */
    static String sanitize(String id) {
        if (SANITIZED.matcher(id).matches()) {
            return id;
        }
        String kept = id.length() > KEPT_PREFIX ? id.substring(0, KEPT_PREFIX) : id;
        return OUTSIDE_SANITIZED.matcher(kept).replaceAll("_") + "_" + HexFormat.of().formatHex(sha256(id), 0, 8);
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime provides SHA-256", e);
        }
    }

    /** True for an id that Portico made rather than the provider. */
    static boolean isGenerated(String id) {
        return GENERATED.matcher(id).matches();
    }
}
