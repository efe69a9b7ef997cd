package io.portico.ai.provider;

/**
 * The prefix that distinguishes Gemini's thought signatures from Claude's in the thinking blocks that clients send
 * back.
 *
 * <p>Gemini and Claude both sign reasoning with opaque base64 strings, and a signature is meaningful only to the
 * provider that issued it. Anthropic rejects a thinking block whose signature does not verify. Portico returns each
 * Gemini signature in a thinking block with the prefix {@code gemini:}, which base64 never contains, and removes
 * the prefix when the signature goes back to Gemini. A signature without the prefix is taken as Claude's, from
 * Anthropic, Claude on Vertex AI or Bedrock. The {@code extra_content.google.thought_signature} of a tool call is
 * Google's own field and carries Gemini's signature without the prefix.
 */
public final class ThoughtSignatures {

    /** The prefix of a Gemini signature in a thinking block. */
    public static final String GEMINI_PREFIX = "gemini:";

    private ThoughtSignatures() {
    }

    /** Returns Gemini's {@code thoughtSignature} as a thinking block carries it. */
    public static String fromGemini(String signature) {
        return GEMINI_PREFIX + signature;
    }

    /** Returns whether a thinking block's {@code signature} is one of Gemini's. */
    public static boolean isGemini(String signature) {
        return signature != null && signature.startsWith(GEMINI_PREFIX);
    }

    /** Returns the {@code thoughtSignature} for Gemini of a thinking block's signature, or null if not Gemini's. */
    public static String toGemini(String signature) {
        return isGemini(signature) ? signature.substring(GEMINI_PREFIX.length()) : null;
    }
}
