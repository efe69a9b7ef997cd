package io.portico.ai;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashSet;
import java.util.Set;

/**
 * The choices of one translated stream that started and those that delivered their finish reason. A request with
 * {@code n} above 1 streams several choices, each with its own index, so the stream is complete only once every
 * choice that started has finished.
 */
final class ChoiceProgress {

    private final Set<Integer> open = new HashSet<>();
    private final Set<Integer> finished = new HashSet<>();

    /** Records the choices of one OpenAI {@code chat.completion.chunk}. */
    void chunk(JsonNode chunk) {
        for (JsonNode choice : chunk.path("choices")) {
            int index = choice.path("index").asInt(0);
            if (choice.path("finish_reason").isTextual()) {
                open.remove(index);
                finished.add(index);
            } else if (!finished.contains(index)) {
                open.add(index);
            }
        }
    }

    /** Returns whether at least one choice finished and every choice that started did. */
    boolean complete() {
        return !finished.isEmpty() && open.isEmpty();
    }
}
