package io.portico.ai;

import com.fasterxml.jackson.databind.JsonNode;
import io.portico.ai.spi.Usage;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;

/**
 * The estimated input tokens of one AI request, counted at most once and only when asked for: the prompt of a chat
 * request, or the input of an embeddings or Responses API request. An input of at most
 * {@link TokenCounter#INLINE_CHARS} characters is counted on the calling event loop. A longer one is counted on the
 * AI gateway's compute threads by {@link #count()}, because the tokenizer took 0.1 to 0.5 seconds per million
 * characters on a busy 2-core build machine. Used on the request's event loop only.
 */
final class PromptTokens {

    /** Characters per token of the approximation in {@link #now()}, a common rule of thumb for English text. */
    private static final int CHARS_PER_TOKEN = 4;

    private final WorkerExecutor compute;
    private final JsonNode body;
    private final long length;
    private final ToIntFunction<JsonNode> counter;
    private Future<Integer> count;

    /**
     * Creates the count of the prompt of the chat request {@code body}, in OpenAI's shape, which no one may change
     * afterwards.
     *
     * @param compute the threads that count long prompts
     */
    PromptTokens(WorkerExecutor compute, JsonNode body) {
        this(compute, body, TokenCounter.promptLength(body), TokenCounter::prompt);
    }

    private PromptTokens(WorkerExecutor compute, JsonNode body, long length, ToIntFunction<JsonNode> counter) {
        this.compute = compute;
        this.body = body;
        this.length = length;
        this.counter = counter;
    }

    /** Creates the count of the input of the embeddings request {@code body}, which no one may change afterwards. */
    static PromptTokens embeddingsInput(WorkerExecutor compute, JsonNode body) {
        return new PromptTokens(compute, body, TokenCounter.embeddingsInputLength(body), TokenCounter::embeddingsInput);
    }

    /** Creates the count of the input of the Responses API request {@code body}, which no one may change afterwards. */
    static PromptTokens responsesInput(WorkerExecutor compute, JsonNode body) {
        return new PromptTokens(compute, body, TokenCounter.responsesInputLength(body), TokenCounter::responsesInput);
    }

    /**
     * Returns the characters of the input as the estimate counts them: for a chat request, the prompt's text, images
     * and tools.
     */
    long length() {
        return length;
    }

    /** Returns the count, starting it on first use. */
    Future<Integer> count() {
        if (count == null) {
            if (length > TokenCounter.INLINE_CHARS) {
                count = compute.executeBlocking(() -> counter.applyAsInt(body), false);
            } else {
                count = Future.succeededFuture(counter.applyAsInt(body));
            }
        }
        return count;
    }

    /**
     * Returns the count at once, without waiting: the tokenizer's count when it is known or the prompt is short,
     * otherwise the prompt's characters divided by {@value #CHARS_PER_TOKEN}. The approximation keeps a usage estimate
     * in the middle of a response from holding the event loop, and from starting a long count that a provider's own
     * usage report usually makes unnecessary.
     */
    int now() {
        if (count != null && count.succeeded()) {
            return count.result();
        }
        if (length <= TokenCounter.INLINE_CHARS) {
            return count().result();
        }
        return (int) Math.min(Integer.MAX_VALUE, length / CHARS_PER_TOKEN);
    }

    /**
     * Returns the usage that Portico estimates for a call whose provider reported none: the prompt tokens as
     * {@link #now()} returns them, and the tokens of {@code output}.
     */
    Usage estimate(CharSequence output) {
        return new Usage(now(), TokenCounter.count(output), 0, 0, 0, true);
    }

    /**
     * Returns {@code reported} when the provider reported any tokens, else {@link #estimate} of the text that
     * {@code output} returns, which is read only then.
     */
    Usage reportedOrEstimate(Usage reported, Supplier<? extends CharSequence> output) {
        return reported.totalTokens() > 0 ? reported : estimate(output.get());
    }
}
