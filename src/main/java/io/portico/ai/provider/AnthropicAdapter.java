package io.portico.ai.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.spi.AiError;
import io.portico.ai.spi.CallTarget;
import io.portico.ai.spi.ChatRequest;
import io.portico.ai.spi.ChunkSink;
import io.portico.ai.spi.Chunks;
import io.portico.ai.spi.Framing;
import io.portico.ai.spi.Protocol;
import io.portico.ai.spi.ProviderAdapter;
import io.portico.ai.spi.ProviderCall;
import io.portico.ai.spi.StreamFrame;
import io.portico.ai.spi.StreamTranslator;
import io.portico.ai.spi.ToolCalls;
import io.portico.ai.spi.Usage;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

/**
 * Anthropic's Messages API. Requests in Anthropic's own shape are forwarded with only the model replaced; requests
 * in OpenAI's shape are translated by {@link AnthropicRequests}, and responses and streams back by this class.
 */
public final class AnthropicAdapter implements ProviderAdapter {

    /** The API version sent when the provider configures none. */
    public static final String DEFAULT_VERSION = "2023-06-01";
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    @Override
    public Framing framing() {
        return Framing.SSE;
    }

    @Override
    public Protocol nativeProtocol(String model) {
        return Protocol.ANTHROPIC;
    }

    @Override
    public ProviderCall chat(ChatRequest request, CallTarget target) {
        ObjectNode body = AnthropicRequests.fromOpenAi(request.body(), target);
        return call(target, "messages", body);
    }

    @Override
    public ProviderCall nativeChat(ChatRequest request, CallTarget target) {
        ObjectNode body = AnthropicRequests.withoutForeignThinking(request.original().deepCopy());
        AnthropicRequests.withValidToolIds(body);
        body.put("model", target.model());
        ProviderCall call = call(target, "messages", body);
        // Beta features the client opted into apply to the provider that serves its request natively.
        request.clientHeaders().forEach(call.headers()::set);
        return call;
    }

    @Override
    public ProviderCall countTokens(ObjectNode anthropicRequest, CallTarget target) {
        ObjectNode body = AnthropicRequests.withoutForeignThinking(anthropicRequest.deepCopy());
        AnthropicRequests.withValidToolIds(body);
        body.put("model", target.model());
        return call(target, "messages/count_tokens", body);
    }

    private static ProviderCall call(CallTarget target, String operation, ObjectNode body) {
        ProviderCall call = ProviderCall.postJson(Wire.join(target.baseUrl(), operation), Wire.json(body));
        if (target.key() != null) {
            call.headers().set("x-api-key", target.key());
        }
        String version = target.provider().apiVersion();
        call.headers().set("anthropic-version", version == null ? DEFAULT_VERSION : version);
        target.provider().headers().forEach(call.headers()::set);
        return call;
    }

    @Override
    public Usage nativeUsage(JsonNode body) {
        return usage(body.get("usage"));
    }

    @Override
    public Usage nativeStreamUsage(StreamFrame frame) {
        if (!"message_start".equals(frame.event()) && !"message_delta".equals(frame.event())) {
            return Usage.NONE;
        }
        JsonNode json = Wire.parse(frame.data());
        if (json == null) {
            return Usage.NONE;
        }
        if ("message_start".equals(frame.event())) {
            return startUsage(json.path("message").get("usage"));
        }
        return usage(json.get("usage"));
    }

    @Override
    public String nativeStreamOutput(StreamFrame frame) {
        if (!"content_block_delta".equals(frame.event())) {
            return "";
        }
        JsonNode delta = Wire.parse(frame.data());
        if (delta == null) {
            return "";
        }
        delta = delta.path("delta");
        return switch (delta.path("type").asText()) {
            case "text_delta" -> delta.path("text").asText("");
            case "thinking_delta" -> delta.path("thinking").asText("");
            case "input_json_delta" -> delta.path("partial_json").asText("");
            default -> "";
        };
    }

    /**
     * Reads the usage of {@code message_start} without its output count, which is a placeholder (usually 1). The
     * output tokens are reported in {@code message_delta}, so Portico counts the output of a stream that ends
     * before it.
     */
    static Usage startUsage(JsonNode usage) {
        Usage start = usage(usage);
        return new Usage(start.inputTokens(), 0, start.cachedInputTokens(), start.cacheWriteTokens(),
                start.reasoningTokens(), start.estimated());
    }

    /** Reads Anthropic usage, whose input count excludes cache reads and writes, into Portico's counts. */
    static Usage usage(JsonNode usage) {
        if (usage == null || !usage.isObject()) {
            return Usage.NONE;
        }
        long cacheRead = Wire.number(usage, "cache_read_input_tokens");
        long cacheWrite = Wire.number(usage, "cache_creation_input_tokens");
        long input = Wire.number(usage, "input_tokens");
        long total = input + cacheRead + cacheWrite;
        return new Usage(total, Wire.number(usage, "output_tokens"), cacheRead, cacheWrite, 0, false);
    }

    @Override
    public Usage chatUsage(JsonNode body, CallTarget target) {
        return usage(body.get("usage"));
    }

    @Override
    public ObjectNode chatResponse(JsonNode body, ChatRequest request, CallTarget target) {
        ObjectNode message = NODES.objectNode();
        message.put("role", "assistant");
        StringBuilder text = new StringBuilder();
        StringBuilder reasoning = new StringBuilder();
        ArrayNode thinkingBlocks = NODES.arrayNode();
        ArrayNode toolCalls = NODES.arrayNode();
        String structured = AnthropicRequests.structuredOutputTool(request.body());
        for (JsonNode block : body.path("content")) {
            switch (block.path("type").asText()) {
                case "text" -> text.append(block.path("text").asText());
                case "thinking" -> {
                    reasoning.append(block.path("thinking").asText());
                    thinkingBlocks.add(block.deepCopy());
                }
                case "redacted_thinking" -> thinkingBlocks.add(block.deepCopy());
                case "tool_use" -> {
                    String input = block.has("input") ? Wire.json(block.get("input")).toString() : "{}";
                    if (structured != null && structured.equals(block.path("name").asText())) {
                        text.append(input);
                    } else {
                        ObjectNode call = toolCalls.addObject()
                                .put("id", block.path("id").asText())
                                .put("type", "function");
                        call.putObject("function").put("name", block.path("name").asText())
                                .put("arguments", input.isBlank() || "null".equals(input) ? "{}" : input);
                    }
                }
                default -> {
                    // Server tool blocks and citations have no OpenAI counterpart.
                }
            }
        }
        if (text.length() > 0 || toolCalls.isEmpty()) {
            message.put("content", text.toString());
        } else {
            message.putNull("content");
        }
        if (reasoning.length() > 0) {
            message.put("reasoning_content", reasoning.toString());
        }
        if (!thinkingBlocks.isEmpty()) {
            message.set("thinking_blocks", thinkingBlocks);
        }
        if (!toolCalls.isEmpty()) {
            message.set("tool_calls", toolCalls);
        }
        String stopReason = Wire.text(body, "stop_reason");
        String finish = structured != null && "tool_use".equals(stopReason) && toolCalls.isEmpty() ? "stop"
                : FinishReasons.fromAnthropic(stopReason);
        ObjectNode response = NODES.objectNode()
                .put("id", body.path("id").asText("msg"))
                .put("object", "chat.completion")
                .put("created", System.currentTimeMillis() / 1000)
                .put("model", body.path("model").asText(target.model()));
        ObjectNode choice = response.putArray("choices").addObject().put("index", 0);
        choice.set("message", message);
        choice.put("finish_reason", finish);
        response.set("usage", OpenAiUsage.write(usage(body.get("usage"))));
        return response;
    }

    @Override
    public StreamTranslator chatStream(ChatRequest request, CallTarget target) {
        return new Translator(target.model(), AnthropicRequests.structuredOutputTool(request.body()));
    }

    @Override
    public AiError error(int status, MultiMap headers, Buffer body) {
        return Wire.error(status, headers, body, "provider");
    }

    /** Translates Anthropic stream events into OpenAI chunks. */
    private static final class Translator implements StreamTranslator {

        private final Chunks chunks;
        private final String structuredTool;
        private final ToolCalls toolCalls = new ToolCalls();
        private Usage usage = Usage.NONE;
        /** The OpenAI tool call index of the open content block, or -1 when it is not a tool call. */
        private int openCall = -1;
        /** True while the open block is the forced structured output tool, whose input becomes content. */
        private boolean structuredBlock;
        /**
         * The text of the open thinking block, sent again with its signature because Anthropic accepts a thinking
         * block back only with the text the signature covers.
         */
        private final StringBuilder thinking = new StringBuilder();
        /** The stop reason of {@code message_delta}, until {@code message_stop} delivers it; null before. */
        private String stopReason;
        private boolean finished;

        Translator(String model, String structuredTool) {
            this.chunks = new Chunks("msg", System.currentTimeMillis() / 1000, model);
            this.structuredTool = structuredTool;
        }

        @Override
        public void frame(StreamFrame frame, ChunkSink sink) {
            JsonNode event = Wire.parse(frame.data());
            if (event == null) {
                sink.fail(Wire.invalidEvent(frame.data()));
                return;
            }
            String type = frame.event() != null ? frame.event() : Wire.text(event, "type");
            switch (type == null ? "" : type) {
                case "message_start" -> messageStart(event.path("message"), sink);
                case "content_block_start" -> blockStart(event, sink);
                case "content_block_delta" -> blockDelta(event.path("delta"), sink);
                case "content_block_stop" -> blockStop(sink);
                case "message_delta" -> messageDelta(event, sink);
                case "message_stop" -> messageStop(sink);
                case "error" -> sink.fail(Wire.streamError(frame.data()));
                default -> {
                    // ping carries nothing to translate.
                }
            }
        }

        private void messageStart(JsonNode message, ChunkSink sink) {
            chunks.identify(Wire.text(message, "id"), Wire.text(message, "model"));
            usage = usage.merge(startUsage(message.get("usage")));
            sink.usage(usage);
            sink.chunk(chunks.role());
        }

        private void blockStart(JsonNode event, ChunkSink sink) {
            JsonNode block = event.path("content_block");
            String type = block.path("type").asText();
            if ("tool_use".equals(type)) {
                if (structuredTool != null && structuredTool.equals(block.path("name").asText())) {
                    structuredBlock = true;
                    return;
                }
                openCall = toolCalls.start("block:" + event.path("index").asText());
                sink.chunk(chunks.toolStart(openCall, block.path("id").asText(), block.path("name").asText()));
            } else if ("text".equals(type) && !block.path("text").asText().isEmpty()) {
                sink.chunk(chunks.text(block.path("text").asText()));
            } else if ("redacted_thinking".equals(type)) {
                // A redacted thinking block arrives whole in its start event, without deltas.
                sink.chunk(chunks.redactedThinking(block.path("data").asText()));
            }
        }

        private void blockDelta(JsonNode delta, ChunkSink sink) {
            switch (delta.path("type").asText()) {
                case "text_delta" -> sink.chunk(chunks.text(delta.path("text").asText()));
                case "thinking_delta" -> {
                    thinking.append(delta.path("thinking").asText());
                    sink.chunk(chunks.reasoning(delta.path("thinking").asText()));
                }
                case "signature_delta" -> sink.chunk(chunks.thinkingBlock(thinking.toString(),
                        delta.path("signature").asText()));
                case "input_json_delta" -> {
                    String fragment = delta.path("partial_json").asText();
                    if (fragment.isEmpty()) {
                        return;
                    }
                    if (structuredBlock) {
                        sink.chunk(chunks.text(fragment));
                    } else if (openCall >= 0) {
                        toolCalls.arguments(openCall);
                        sink.chunk(chunks.toolArguments(openCall, fragment));
                    }
                }
                default -> {
                    // citations_delta has no OpenAI counterpart.
                }
            }
        }

        private void blockStop(ChunkSink sink) {
            thinking.setLength(0);
            if (openCall >= 0) {
                toolCalls.completeEmpty(chunks, sink);
            }
            openCall = -1;
            structuredBlock = false;
        }

        private void messageDelta(JsonNode event, ChunkSink sink) {
            usage = usage.merge(usage(event.get("usage")));
            sink.usage(usage);
            String reason = Wire.text(event.path("delta"), "stop_reason");
            if (reason != null) {
                stopReason = reason;
            }
        }

        /**
         * Emits the finish chunk. Anthropic's stream is complete only at {@code message_stop}, after the stop reason
         * in {@code message_delta}, so a stream cut in between ends without a finish reason and counts as failed.
         */
        private void messageStop(ChunkSink sink) {
            if (finished) {
                return;
            }
            toolCalls.completeEmpty(chunks, sink);
            finished = true;
            String finish = structuredTool != null && "tool_use".equals(stopReason) && toolCalls.count() == 0
                    ? "stop" : FinishReasons.fromAnthropic(stopReason);
            sink.chunk(chunks.finish(finish));
        }

        @Override
        public void end(ChunkSink sink) {
            if (!finished) {
                toolCalls.completeEmpty(chunks, sink);
            }
        }
    }
}
