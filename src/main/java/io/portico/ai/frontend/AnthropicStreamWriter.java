package io.portico.ai.frontend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.provider.FinishReasons;
import io.portico.ai.spi.AiError;
import io.portico.ai.spi.Chunks;
import io.portico.ai.spi.StreamFrame;
import io.portico.ai.spi.Usage;
import io.vertx.core.http.HttpServerResponse;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes OpenAI chunks as an Anthropic Messages stream: {@code message_start}, one content block per text run,
 * thinking run and tool call ({@code content_block_start}, deltas, {@code content_block_stop}), then
 * {@code message_delta} with the stop reason and usage, and {@code message_stop}. {@code message_start} carries the
 * provider's input tokens when it reported them before the first content, and Portico's count of the prompt
 * otherwise; {@code message_delta} carries the final counts.
 *
 * <p>Nothing is written before the first event that commits the stream (see {@link StreamCommit}). Translated
 * chunks without content only set the message's id and model. A native stream's {@code message_start} and empty
 * block starts are held back and written just before that event, and a native {@code ping} before it is dropped.
 */
final class AnthropicStreamWriter implements StreamWriter {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final HttpServerResponse response;
    private final String requestedModel;
    private final Usage promptEstimate;
    private Usage usage = Usage.NONE;
    /** The first translated chunk, whose id and model {@code message_start} carries; null before it. */
    private ObjectNode identity;
    /** The native events held back until the stream is committed. */
    private final List<StreamFrame> heldBack = new ArrayList<>();
    private boolean started;
    /** Whether a relayed native stream already carried the provider's {@code message_stop}. */
    private boolean nativeStop;
    private int blockIndex = -1;
    private String blockType;
    private int toolIndex = -1;
    private String stopReason;

    AnthropicStreamWriter(HttpServerResponse response, String requestedModel, Usage promptEstimate) {
        this.response = response;
        this.requestedModel = requestedModel;
        this.promptEstimate = promptEstimate;
    }

    @Override
    public boolean started() {
        return started;
    }

    @Override
    public void usage(Usage reported) {
        usage = usage.merge(reported);
    }

    @Override
    public void chunk(ObjectNode chunk) {
        if (identity == null) {
            identity = chunk;
        }
        JsonNode choice = chunk.path("choices").path(0);
        String finish = choice.path("finish_reason").isTextual() ? choice.get("finish_reason").asText() : null;
        if (finish != null) {
            stopReason = FinishReasons.toAnthropic(finish, false);
        }
        if (!started && !StreamCommit.hasContent(chunk)) {
            // A finish reason is written by finish, which starts the stream if no content did.
            return;
        }
        ensureStarted();
        JsonNode delta = choice.path("delta");
        String reasoning = Chunks.reasoningText(delta);
        if (!reasoning.isEmpty()) {
            open("thinking", null);
            blockDelta(NODES.objectNode().put("type", "thinking_delta").put("thinking", reasoning));
        }
        for (JsonNode block : delta.path("thinking_blocks")) {
            if ("redacted_thinking".equals(block.path("type").asText())) {
                // As in Anthropic's own stream, the block arrives whole in its start event.
                open("redacted_thinking", NODES.objectNode().put("type", "redacted_thinking")
                        .put("data", block.path("data").asText("")));
                continue;
            }
            String signature = block.path("signature").asText("");
            if (!signature.isEmpty()) {
                open("thinking", null);
                blockDelta(NODES.objectNode().put("type", "signature_delta").put("signature", signature));
            }
        }
        String text = delta.path("content").asText("");
        if (!text.isEmpty()) {
            open("text", null);
            blockDelta(NODES.objectNode().put("type", "text_delta").put("text", text));
        }
        for (JsonNode call : delta.path("tool_calls")) {
            int index = call.path("index").asInt(toolIndex);
            if (index != toolIndex || !"tool_use".equals(blockType)) {
                toolIndex = index;
                ObjectNode block = NODES.objectNode().put("type", "tool_use")
                        .put("id", call.path("id").asText("toolu_" + index))
                        .put("name", call.path("function").path("name").asText(""));
                block.putObject("input");
                open("tool_use", block);
            }
            String arguments = call.path("function").path("arguments").asText("");
            if (!arguments.isEmpty()) {
                blockDelta(NODES.objectNode().put("type", "input_json_delta").put("partial_json", arguments));
            }
        }
    }

    private void ensureStarted() {
        if (started) {
            return;
        }
        started = true;
        Sse.start(response);
        ObjectNode chunk = identity;
        ObjectNode message = NODES.objectNode()
                .put("id", AnthropicFrontend.messageId(chunk == null ? "msg" : chunk.path("id").asText("msg")))
                .put("type", "message")
                .put("role", "assistant")
                .put("model", chunk == null ? requestedModel : chunk.path("model").asText(requestedModel));
        message.putArray("content");
        message.putNull("stop_reason");
        message.putNull("stop_sequence");
        Usage atStart = usage.inputTokens() > 0 ? usage : promptEstimate;
        ObjectNode startUsage = AnthropicFrontend.usage(new Usage(atStart.inputTokens(), 0,
                atStart.cachedInputTokens(), atStart.cacheWriteTokens(), 0, atStart.estimated()));
        startUsage.put("output_tokens", 1);
        message.set("usage", startUsage);
        ObjectNode event = NODES.objectNode().put("type", "message_start");
        event.set("message", message);
        Sse.write(response, "message_start", event);
    }

    /** Closes the open block unless it already has {@code type} (and {@code start} is null), then opens one. */
    private void open(String type, ObjectNode start) {
        if (start == null && type.equals(blockType)) {
            return;
        }
        close();
        blockIndex++;
        blockType = type;
        ObjectNode block = start;
        if (block == null) {
            block = NODES.objectNode().put("type", type);
            if ("thinking".equals(type)) {
                block.put("thinking", "").put("signature", "");
            } else {
                block.put("text", "");
            }
        }
        ObjectNode event = NODES.objectNode().put("type", "content_block_start").put("index", blockIndex);
        event.set("content_block", block);
        Sse.write(response, "content_block_start", event);
    }

    private void blockDelta(ObjectNode delta) {
        ObjectNode event = NODES.objectNode().put("type", "content_block_delta").put("index", blockIndex);
        event.set("delta", delta);
        Sse.write(response, "content_block_delta", event);
    }

    private void close() {
        if (blockType != null) {
            Sse.write(response, "content_block_stop",
                    NODES.objectNode().put("type", "content_block_stop").put("index", blockIndex));
            blockType = null;
        }
    }

    @Override
    public void fail(AiError error) {
        abort(error);
    }

    @Override
    public void nativeFrame(StreamFrame frame) {
        if (!started) {
            if ("ping".equals(frame.event())) {
                return;
            }
            if (heldBack.size() < StreamCommit.MAX_HELD_BACK && !StreamCommit.commits(frame)) {
                heldBack.add(frame);
                return;
            }
            started = true;
            Sse.start(response);
            heldBack.forEach(earlier -> Sse.write(response, earlier.event(), earlier.data()));
            heldBack.clear();
        }
        Sse.write(response, frame.event(), frame.data());
        if ("message_stop".equals(frame.event())) {
            nativeStop = true;
        }
    }

    @Override
    public void finish(Usage finalUsage) {
        if (nativeStop) {
            // The provider's own message_delta and message_stop were relayed already.
            StreamEnd.end(response);
            return;
        }
        ensureStarted();
        close();
        ObjectNode event = NODES.objectNode().put("type", "message_delta");
        event.putObject("delta").put("stop_reason", stopReason == null ? "end_turn" : stopReason)
                .putNull("stop_sequence");
        event.set("usage", AnthropicFrontend.usage(finalUsage));
        Sse.write(response, "message_delta", event);
        Sse.write(response, "message_stop", NODES.objectNode().put("type", "message_stop"));
        StreamEnd.end(response);
    }

    @Override
    public void abort(AiError error) {
        ensureStarted();
        Sse.write(response, "error", AnthropicFrontend.errorBody(error));
        StreamEnd.end(response);
    }
}
