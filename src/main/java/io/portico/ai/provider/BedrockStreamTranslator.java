package io.portico.ai.provider;

import com.fasterxml.jackson.databind.JsonNode;
import io.portico.ai.spi.ChunkSink;
import io.portico.ai.spi.Chunks;
import io.portico.ai.spi.StreamFrame;
import io.portico.ai.spi.StreamTranslator;
import io.portico.ai.spi.ToolCalls;
import java.util.HashSet;
import java.util.Set;

/**
 * Translates the events of one ConverseStream response into OpenAI chunks.
 *
 * <p>Events, by {@code :event-type}: {@code messageStart} opens the response; {@code contentBlockStart} starts a
 * tool call ({@code start.toolUse}); {@code contentBlockDelta} carries text, a fragment of a tool call's input
 * JSON or reasoning (text, signature or redacted content); {@code contentBlockStop} ends a block;
 * {@code messageStop} carries the stop reason; {@code metadata}, after it, carries usage. A message whose
 * {@code :message-type} is {@code exception} or {@code error} fails the stream. Tool calls are numbered from 0 by
 * their content block index.
 */
final class BedrockStreamTranslator implements StreamTranslator {

    private final Chunks chunks;
    private final String structuredTool;
    private final ToolCalls toolCalls = new ToolCalls();
    /** Content block indexes of the structured output tool, whose input becomes message content. */
    private final Set<String> structuredBlocks = new HashSet<>();
    /** The text of the open reasoning block, sent again with its signature, which covers that text. */
    private final StringBuilder thinking = new StringBuilder();
    private boolean started;
    private boolean finished;

    BedrockStreamTranslator(String model, String structuredTool) {
        this.chunks = new Chunks(Wire.completionId(),
                System.currentTimeMillis() / 1000, model);
        this.structuredTool = structuredTool;
    }

    @Override
    public void frame(StreamFrame frame, ChunkSink sink) {
        String messageType = frame.headers().get(":message-type");
        if ("exception".equals(messageType) || "error".equals(messageType)) {
            sink.fail(BedrockAdapter.streamError(frame));
            return;
        }
        JsonNode event = Wire.parse(frame.data());
        if (event == null || frame.event() == null) {
            return;
        }
        switch (frame.event()) {
            case "messageStart" -> start(sink);
            case "contentBlockStart" -> blockStart(event, sink);
            case "contentBlockDelta" -> blockDelta(event, sink);
            case "contentBlockStop" -> blockStop(sink);
            case "messageStop" -> messageStop(event, sink);
            case "metadata" -> sink.usage(BedrockAdapter.usage(event.get("usage")));
            default -> {
                // Unknown event types are new additions to the API; they carry nothing to translate yet.
            }
        }
    }

    private void start(ChunkSink sink) {
        if (!started) {
            started = true;
            sink.chunk(chunks.role());
        }
    }

    private void blockStart(JsonNode event, ChunkSink sink) {
        JsonNode toolUse = event.path("start").get("toolUse");
        if (toolUse == null) {
            return;
        }
        start(sink);
        String block = event.path("contentBlockIndex").asText();
        String name = toolUse.path("name").asText();
        if (name.equals(structuredTool)) {
            structuredBlocks.add(block);
            return;
        }
        int index = toolCalls.start(block);
        sink.chunk(chunks.toolStart(index, toolUse.path("toolUseId").asText(), name));
    }

    private void blockDelta(JsonNode event, ChunkSink sink) {
        start(sink);
        JsonNode delta = event.path("delta");
        String block = event.path("contentBlockIndex").asText();
        if (delta.has("text")) {
            String text = delta.get("text").asText();
            if (!text.isEmpty()) {
                sink.chunk(chunks.text(text));
            }
        } else if (delta.has("toolUse")) {
            toolInput(block, delta.get("toolUse").path("input").asText(), sink);
        } else if (delta.has("reasoningContent")) {
            reasoning(delta.get("reasoningContent"), sink);
        }
    }

    private void toolInput(String block, String fragment, ChunkSink sink) {
        if (fragment.isEmpty()) {
            return;
        }
        if (structuredBlocks.contains(block)) {
            sink.chunk(chunks.text(fragment));
            return;
        }
        int index = toolCalls.indexOf(block);
        if (index >= 0) {
            toolCalls.arguments(index);
            sink.chunk(chunks.toolArguments(index, fragment));
        }
    }

    private void reasoning(JsonNode reasoning, ChunkSink sink) {
        if (reasoning.hasNonNull("text")) {
            thinking.append(reasoning.get("text").asText());
            sink.chunk(chunks.reasoning(reasoning.get("text").asText()));
        } else if (reasoning.hasNonNull("signature")) {
            sink.chunk(chunks.thinkingBlock(thinking.toString(), reasoning.get("signature").asText()));
        } else if (reasoning.hasNonNull("redactedContent")) {
            sink.chunk(chunks.redactedThinking(reasoning.get("redactedContent").asText()));
        }
    }

    private void blockStop(ChunkSink sink) {
        thinking.setLength(0);
        toolCalls.completeEmpty(chunks, sink);
    }

    private void messageStop(JsonNode event, ChunkSink sink) {
        start(sink);
        toolCalls.completeEmpty(chunks, sink);
        finished = true;
        String finish = BedrockAdapter.finishReason(Wire.text(event, "stopReason"), structuredTool,
                toolCalls.count());
        sink.chunk(chunks.finish(finish));
    }

    @Override
    public void end(ChunkSink sink) {
        if (!finished) {
            toolCalls.completeEmpty(chunks, sink);
        }
    }
}
