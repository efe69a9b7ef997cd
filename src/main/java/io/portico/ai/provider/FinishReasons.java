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
}
