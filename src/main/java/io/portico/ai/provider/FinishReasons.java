package io.portico.ai.provider;

/**
 * Maps providers' stop reasons to OpenAI's {@code finish_reason} and back. The table is documented in
 * docs/ai-gateway.md.
 */
public final class FinishReasons {

    private FinishReasons() {
    }

    /** Anthropic {@code stop_reason} to OpenAI {@code finish_reason}. */
    public static String fromAnthropic(String stopReason) {
        if (stopReason == null) {
            return "stop";
        }
        return switch (stopReason) {
            case "tool_use" -> "tool_calls";
            case "max_tokens", "model_context_window_exceeded" -> "length";
            case "refusal" -> "content_filter";
            default -> "stop";
        };
    }

    /**
     * Gemini {@code finishReason} to OpenAI {@code finish_reason}. {@code STOP} becomes {@code tool_calls} when the
     * candidate called functions; every reason that names a safety or policy filter becomes {@code content_filter}.
     * The reasons of an invalid tool call never get here, because {@link GeminiResponses} fails such a response.
     */
    public static String fromGemini(String finishReason, boolean calledFunctions) {
        if (finishReason == null) {
            return calledFunctions ? "tool_calls" : "stop";
        }
        return switch (finishReason) {
            case "MAX_TOKENS" -> "length";
            case "SAFETY", "RECITATION", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "IMAGE_SAFETY",
                 "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION" -> "content_filter";
            default -> calledFunctions ? "tool_calls" : "stop";
        };
    }

    /**
     * Amazon Bedrock Converse {@code stopReason} to OpenAI {@code finish_reason}: guardrail and content filter stops
     * become {@code content_filter}; malformed model output and tool use end the turn as {@code stop}.
     */
    public static String fromBedrock(String stopReason) {
        if (stopReason == null) {
            return "stop";
        }
        return switch (stopReason) {
            case "tool_use" -> "tool_calls";
            case "max_tokens", "model_context_window_exceeded" -> "length";
            case "guardrail_intervened", "content_filtered" -> "content_filter";
            default -> "stop";
        };
    }

    /** OpenAI {@code finish_reason} to Anthropic {@code stop_reason}. */
    public static String toAnthropic(String finishReason, boolean stoppedBySequence) {
        if (finishReason == null) {
            return "end_turn";
        }
        return switch (finishReason) {
            case "tool_calls", "function_call" -> "tool_use";
            case "length" -> "max_tokens";
            case "content_filter" -> "refusal";
            default -> stoppedBySequence ? "stop_sequence" : "end_turn";
        };
    }

    /** Cohere v2 {@code finish_reason} to OpenAI {@code finish_reason}; {@code ERROR}, {@code TIMEOUT} give stop. */
    public static String fromCohere(String finishReason) {
        if (finishReason == null) {
            return "stop";
        }
        return switch (finishReason) {
            case "TOOL_CALL" -> "tool_calls";
            case "MAX_TOKENS" -> "length";
            default -> "stop";
        };
    }

    /** Mistral {@code finish_reason} to OpenAI {@code finish_reason}; {@code model_length} is a length stop too. */
    public static String fromMistral(String finishReason) {
        if (finishReason == null) {
            return "stop";
        }
        return switch (finishReason) {
            case "tool_calls" -> "tool_calls";
            case "length", "model_length" -> "length";
            default -> "stop";
        };
    }

    /**
     * Ollama {@code done_reason} to OpenAI {@code finish_reason}. Ollama reports {@code stop} for tool calls too, so
     * a response that carries tool calls finishes with {@code tool_calls}.
     */
    public static String fromOllama(String doneReason, boolean toolCalls) {
        if (toolCalls) {
            return "tool_calls";
        }
        return "length".equals(doneReason) ? "length" : "stop";
    }
}
