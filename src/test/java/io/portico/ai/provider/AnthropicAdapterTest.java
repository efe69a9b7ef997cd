package io.portico.ai.provider;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.spi.CallTarget;
import io.portico.ai.spi.ChatRequest;
import io.portico.ai.spi.Protocol;
import io.portico.ai.spi.StreamFrame;
import io.portico.ai.spi.StreamTranslator;
import io.portico.ai.spi.Usage;
import io.portico.config.Json;
import io.portico.config.ProviderSpec;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** Translation between Portico's internal form and Anthropic's Messages API, checked on exact JSON. */
class AnthropicAdapterTest {

    private static final ProviderSpec PROVIDER = new ProviderSpec("anthropic", "anthropic", null, null, null, null,
            null, null, null, null, null, null, null, null, null, null, null, null, null);
    private static final CallTarget TARGET = new CallTarget(PROVIDER, "https://api.anthropic.com/v1",
            "claude-sonnet-4-5", "sk-ant", null);
    private final AnthropicAdapter adapter = new AnthropicAdapter();

    private static ObjectNode json(String text) {
        try {
            return (ObjectNode) Json.MAPPER.readTree(text);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static ChatRequest request(String body) {
        ObjectNode json = json(body);
        return new ChatRequest(json, json, Protocol.OPENAI, "m", json.path("stream").asBoolean(), false);
    }

    @Test
    void translatesARichRequest() {
        ChatRequest request = request("""
                {"model":"smart","max_completion_tokens":300,"temperature":1.5,"stop":"END","user":"u-1","seed":7,
                 "parallel_tool_calls":false,
                 "messages":[
                   {"role":"system","content":"Be brief."},
                   {"role":"user","content":[{"type":"text","text":"What is this?"},
                     {"type":"image_url","image_url":{"url":"data:image/jpeg;base64,iVBORw0KGgoAAAANSUhEUg=="}}]},
                   {"role":"assistant","content":"Checking.","tool_calls":[
                     {"id":"c1","type":"function","function":{"name":"look","arguments":"{\\"x\\":1}"}},
                     {"id":"c2","type":"function","function":{"name":"time","arguments":""}}]},
                   {"role":"tool","tool_call_id":"c1","content":"a cat"},
                   {"role":"tool","tool_call_id":"c2","content":"noon"},
                   {"role":"user","content":"Thanks"}],
                 "tools":[{"type":"function","function":{"name":"look","description":"Looks","parameters":
                   {"type":"object","properties":{"x":{"type":"integer"}}}}},
                   {"type":"function","function":{"name":"time"}}],
                 "tool_choice":"required"}""");

        ObjectNode body = AnthropicRequests.fromOpenAi(request.body(), TARGET);

        assertThat(body.toString()).isEqualTo(json("""
                {"model":"claude-sonnet-4-5",
                 "messages":[
                   {"role":"user","content":[{"type":"text","text":"What is this?"},
                     {"type":"image","source":{"type":"base64","media_type":"image/png",
                      "data":"iVBORw0KGgoAAAANSUhEUg=="}}]},
                   {"role":"assistant","content":[{"type":"text","text":"Checking."},
                     {"type":"tool_use","id":"c1","name":"look","input":{"x":1}},
                     {"type":"tool_use","id":"c2","name":"time","input":{}}]},
                   {"role":"user","content":[
                     {"type":"tool_result","tool_use_id":"c1","content":"a cat"},
                     {"type":"tool_result","tool_use_id":"c2","content":"noon"},
                     {"type":"text","text":"Thanks"}]}],
                 "system":"Be brief.",
                 "max_tokens":300,
                 "temperature":1.0,
                 "stop_sequences":["END"],
                 "metadata":{"user_id":"u-1"},
                 "tools":[{"name":"look","description":"Looks","input_schema":
                     {"type":"object","properties":{"x":{"type":"integer"}}}},
                   {"name":"time","input_schema":{"type":"object","properties":{}}}],
                 "tool_choice":{"type":"any","disable_parallel_tool_use":true}}""").toString());
    }

    @Test
    void usesTheCatalogMaximumWhenNoLimitIsGiven() {
        ObjectNode body = AnthropicRequests.fromOpenAi(request(
                "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}").body(), TARGET);

        assertThat(body.get("max_tokens").asInt()).isEqualTo(4096);
    }

    @Test
    void turnsJsonSchemaIntoAForcedToolAndBack() {
        ChatRequest request = request("""
                {"messages":[{"role":"user","content":"Answer"}],
                 "response_format":{"type":"json_schema","json_schema":{"name":"a","schema":{"type":"object"}}}}""");
        ObjectNode body = AnthropicRequests.fromOpenAi(request.body(), TARGET);
        assertThat(body.get("tool_choice").toString()).isEqualTo("{\"type\":\"tool\",\"name\":\"structured_output\"}");

        ObjectNode completion = adapter.chatResponse(json("""
                {"id":"msg_1","model":"claude-sonnet-4-5","stop_reason":"tool_use",
                 "content":[{"type":"tool_use","id":"t","name":"structured_output","input":{"answer":42}}],
                 "usage":{"input_tokens":5,"output_tokens":3}}"""), request, TARGET);

        assertThat(completion.at("/choices/0/message/content").asText()).isEqualTo("{\"answer\":42}");
        assertThat(completion.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
    }

    @Test
    void dropsUnsignedThinkingFromNativeRequests() {
        ObjectNode original = json("""
                {"model":"smart","max_tokens":100,"messages":[
                  {"role":"user","content":"Hi"},
                  {"role":"assistant","content":[{"type":"thinking","thinking":"from Gemini","signature":""},
                    {"type":"thinking","thinking":"signed","signature":"sig"},
                    {"type":"redacted_thinking","data":"abc"},{"type":"text","text":"Hello"}]},
                  {"role":"user","content":"Again"}]}""");
        ChatRequest request = new ChatRequest(original, original, Protocol.ANTHROPIC, "smart", false, false);

        ObjectNode sent = json(adapter.nativeChat(request, TARGET).body().toString());

        assertThat(sent.at("/messages/1/content")).isEqualTo(json("""
                {"c":[{"type":"thinking","thinking":"signed","signature":"sig"},
                  {"type":"redacted_thinking","data":"abc"},{"type":"text","text":"Hello"}]}""").get("c"));
        assertThat(original.at("/messages/1/content")).as("the client's request").hasSize(4);
    }

    @Test
    void dropsUnsignedThinkingBlocksOfOpenAiClients() {
        ObjectNode body = AnthropicRequests.fromOpenAi(json("""
                {"model":"smart","messages":[{"role":"user","content":"Hi"},
                  {"role":"assistant","content":"Hello","thinking_blocks":[
                    {"type":"thinking","thinking":"from Gemini","signature":""}]},
                  {"role":"user","content":"Again"}]}"""), TARGET);

        assertThat(body.at("/messages/1/content")).isEqualTo(json("""
                {"c":[{"type":"text","text":"Hello"}]}""").get("c"));
    }

    @Test
    void translatesAResponse() {
        ObjectNode completion = adapter.chatResponse(json("""
                {"id":"msg_1","model":"claude-sonnet-4-5","stop_reason":"tool_use",
                 "content":[{"type":"thinking","thinking":"Hmm.","signature":"s"},{"type":"text","text":"Let me see."},
                   {"type":"tool_use","id":"t1","name":"look","input":{}}],
                 "usage":{"input_tokens":5,"cache_read_input_tokens":10,"cache_creation_input_tokens":2,
                   "output_tokens":3}}"""), request("{\"messages\":[]}"), TARGET);

        completion.remove("created");
        assertThat(completion.toString()).isEqualTo(json("""
                {"id":"msg_1","object":"chat.completion","model":"claude-sonnet-4-5",
                 "choices":[{"index":0,"message":{"role":"assistant","content":"Let me see.",
                   "reasoning_content":"Hmm.",
                   "thinking_blocks":[{"type":"thinking","thinking":"Hmm.","signature":"s"}],
                   "tool_calls":[{"id":"t1","type":"function","function":{"name":"look","arguments":"{}"}}]},
                   "finish_reason":"tool_calls"}],
                 "usage":{"prompt_tokens":17,"completion_tokens":3,"total_tokens":20,
                   "prompt_tokens_details":{"cached_tokens":10,"cache_write_tokens":2},
                   "completion_tokens_details":{"reasoning_tokens":0}}}""").toString());
    }

    @Test
    void numbersToolCallsFromZeroInStreams() {
        StreamTranslator translator = adapter.chatStream(request("{\"messages\":[]}"), TARGET);
        RecordingSink sink = new RecordingSink();
        String[][] events = {
            {"message_start", "{\"message\":{\"id\":\"msg_1\",\"model\":\"m\",\"usage\":{\"input_tokens\":9,"
                    + "\"output_tokens\":1}}}"},
            {"content_block_start", "{\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}"},
            {"content_block_delta", "{\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"On it.\"}}"},
            {"content_block_stop", "{\"index\":0}"},
            {"content_block_start", "{\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"t1\","
                    + "\"name\":\"look\",\"input\":{}}}"},
            {"content_block_delta", "{\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\"}}"},
            {"content_block_delta", "{\"index\":1,\"delta\":{\"type\":\"input_json_delta\","
                    + "\"partial_json\":\"{\\\"x\\\":\"}}"},
            {"content_block_delta", "{\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"1}\"}}"},
            {"content_block_stop", "{\"index\":1}"},
            {"content_block_start", "{\"index\":2,\"content_block\":{\"type\":\"tool_use\",\"id\":\"t2\","
                    + "\"name\":\"time\",\"input\":{}}}"},
            {"content_block_stop", "{\"index\":2}"},
            {"message_delta", "{\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":{\"output_tokens\":20}}"},
            {"message_stop", "{}"},
        };
        for (String[] event : events) {
            translator.frame(StreamFrame.of(event[0], event[1]), sink);
        }
        translator.end(sink);

        assertThat(sink.deltas).containsExactly(
                "{\"role\":\"assistant\",\"content\":\"\"}",
                "{\"content\":\"On it.\"}",
                "{\"tool_calls\":[{\"index\":0,\"id\":\"t1\",\"type\":\"function\","
                        + "\"function\":{\"name\":\"look\",\"arguments\":\"\"}}]}",
                "{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"x\\\":\"}}]}",
                "{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"1}\"}}]}",
                "{\"tool_calls\":[{\"index\":1,\"id\":\"t2\",\"type\":\"function\","
                        + "\"function\":{\"name\":\"time\",\"arguments\":\"\"}}]}",
                "{\"tool_calls\":[{\"index\":1,\"function\":{\"arguments\":\"{}\"}}]}",
                "{} finish=tool_calls");
        assertThat(sink.usage).isEqualTo(new Usage(9, 20, 0, 0, 0, false));
    }

    @Test
    void finishesStreamOnlyAtMessageStop() {
        StreamTranslator translator = adapter.chatStream(request("{\"messages\":[]}"), TARGET);
        RecordingSink sink = new RecordingSink();
        String[][] events = {
            {"message_start", "{\"message\":{\"id\":\"msg_1\",\"model\":\"m\",\"usage\":{\"input_tokens\":9,"
                    + "\"output_tokens\":1}}}"},
            {"content_block_start", "{\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}"},
            {"content_block_delta", "{\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}"},
            {"content_block_stop", "{\"index\":0}"},
            {"message_delta", "{\"delta\":{\"stop_reason\":\"max_tokens\"},\"usage\":{\"output_tokens\":2}}"},
        };
        for (String[] event : events) {
            translator.frame(StreamFrame.of(event[0], event[1]), sink);
        }

        assertThat(sink.deltas).containsExactly("{\"role\":\"assistant\",\"content\":\"\"}", "{\"content\":\"Hi\"}");
        translator.frame(StreamFrame.of("message_stop", "{\"type\":\"message_stop\"}"), sink);
        translator.end(sink);
        assertThat(sink.deltas).containsExactly("{\"role\":\"assistant\",\"content\":\"\"}", "{\"content\":\"Hi\"}",
                "{} finish=length");
        assertThat(sink.usage).isEqualTo(new Usage(9, 2, 0, 0, 0, false));
    }

    @Test
    void endsOnAnErrorEvent() {
        StreamTranslator translator = adapter.chatStream(request("{\"messages\":[]}"), TARGET);
        RecordingSink sink = new RecordingSink();

        translator.frame(StreamFrame.of("error", "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
                + "\"message\":\"Overloaded\"}}"), sink);

        assertThat(sink.error.status()).isEqualTo(529);
        assertThat(sink.error.message()).contains("Overloaded");
    }

    @Test
    void mapsStopReasonsBothWays() {
        assertThat(FinishReasons.fromAnthropic("end_turn")).isEqualTo("stop");
        assertThat(FinishReasons.fromAnthropic("stop_sequence")).isEqualTo("stop");
        assertThat(FinishReasons.fromAnthropic("tool_use")).isEqualTo("tool_calls");
        assertThat(FinishReasons.fromAnthropic("max_tokens")).isEqualTo("length");
        assertThat(FinishReasons.fromAnthropic("refusal")).isEqualTo("content_filter");
        assertThat(FinishReasons.toAnthropic("stop", false)).isEqualTo("end_turn");
        assertThat(FinishReasons.toAnthropic("tool_calls", false)).isEqualTo("tool_use");
        assertThat(FinishReasons.toAnthropic("length", false)).isEqualTo("max_tokens");
        assertThat(FinishReasons.toAnthropic("content_filter", false)).isEqualTo("refusal");
    }
}
