package io.portico.ai.provider;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** The tool call ids that Portico makes for providers whose calls carry none, such as Ollama and Gemini. */
final class ToolCallIds {

    /** A digest id, or a {@code call_<n>} number, the form of the Gemini ids in conversations of older releases. */
    private static final Pattern GENERATED = Pattern.compile("call_(\\d+|[0-9a-f]{24})");

    private ToolCallIds() {
    }

    /**
     * Returns {@code call_} and the first 24 hexadecimal digits of the SHA-256 of the response's {@code responseKey}
     * and the call's position, name and arguments. A response key that differs between responses, such as the
     * provider's response id or creation time, keeps ids unique within a conversation, as Anthropic requires of
     * {@code tool_use} ids. The same call of one response gets the same id, streamed or not.
     */
    static String digest(String responseKey, int position, String name, String arguments) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] hash = digest.digest((responseKey + "\n" + position + "\n" + name + "\n" + arguments)
                    .getBytes(StandardCharsets.UTF_8));
            return "call_" + HexFormat.of().formatHex(hash, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime provides SHA-256", e);
        }
    }

    /** True for an id that Portico made rather than the provider. */
    static boolean isGenerated(String id) {
        return GENERATED.matcher(id).matches();
    }
}
