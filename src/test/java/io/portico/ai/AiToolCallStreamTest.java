package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.JsonValue;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.messages.ContentBlock;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.models.messages.Tool;
import com.anthropic.models.messages.ToolUseBlock;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.AiTestClient.Event;
import io.portico.ai.mock.GeminiMock;
import io.portico.ai.mock.GeminiMock.Reply;
import io.portico.ai.mock.OpenAiMock;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.vertx.core.Vertx;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Streamed responses with three tool calls whose middle call has no arguments, from an OpenAI-compatible provider
 * and from Gemini. The {@code "{}"} that Portico gives that call must reach the client inside the call's own
 * Anthropic block, and before the next call starts for OpenAI clients.
 */
class AiToolCallStreamTest {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final String TOOLS = "'tools':[{'name':'get_weather','input_schema':{'type':'object'}},"
            + "{'name':'get_time','input_schema':{'type':'object'}}]";

    private static Vertx vertx;
    private static OpenAiMock compatible;
    private static GeminiMock gemini;
    private static TestNode node;
    private static AnthropicClient anthropic;

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
        compatible = new OpenAiMock("compatible", "sk-compatible");
        gemini = GeminiMock.geminiApi(vertx, "AIza-calls").await();
        node = TestNode.start();
        Configs config = Configs.document();
        config.provider("oai", "openai-compatible", compatible.baseUrl(), "sk-compatible")
                .putObject("retries").put("attempts", 1);
        config.provider("gem", "gemini", gemini.baseUrl(), "AIza-calls").putObject("retries").put("attempts", 1);
        config.aiRoute("ai", "/v1");
        node.apply(config.build());
        anthropic = AnthropicOkHttpClient.builder().baseUrl(node.url()).apiKey("client-key").maxRetries(0).build();
    }

    @AfterAll
    static void stop() {
        node.close();
        compatible.close();
        gemini.close();
        vertx.close().await();
    }

    /** Queues Gemini's three calls: get_weather for Paris, get_time without {@code args}, get_weather for Rome. */
    private static void queueGeminiCalls() {
        ArrayNode parts = NODES.arrayNode();
        parts.addObject().putObject("functionCall").put("id", "fc-1").put("name", "get_weather")
                .putObject("args").put("city", "Paris");
        parts.addObject().putObject("functionCall").put("id", "fc-2").put("name", "get_time");
        parts.addObject().putObject("functionCall").put("id", "fc-3").put("name", "get_weather")
                .putObject("args").put("city", "Rome");
        gemini.enqueue(Reply.response(parts, "STOP", GeminiMock.usage(20, 9, 0, 0)));
    }

    private static HttpResponse<String> messages(String model) {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/messages", AiTestClient.quotedJson(
                "{'model':'" + model + "','max_tokens':100,'stream':true,"
                        + "'messages':[{'role':'user','content':'Hi'}]," + TOOLS + "}").toString(),
                "anthropic-version", "2023-06-01");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return response;
    }

    /** Returns the tool call entries of an OpenAI stream's deltas, in order. */
    private static List<JsonNode> toolCallEntries(HttpResponse<String> response) {
        List<JsonNode> entries = new ArrayList<>();
        for (Event event : AiTestClient.events(response.body())) {
            if (!event.data().equals("[DONE]")) {
                event.json().path("choices").path(0).path("delta").path("tool_calls").forEach(entries::add);
            }
        }
        return entries;
    }

    private static JsonNode json(String text) {
        return AiTestClient.quotedJson(text);
    }

    private static JsonNode toolStart(int index, String id, String name) {
        return json("{'type':'content_block_start','index':" + index + ",'content_block':{'type':'tool_use',"
                + "'id':'" + id + "','name':'" + name + "','input':{}}}");
    }

    /** Returns an {@code input_json_delta} event whose {@code fragment} is written with single quotes. */
    private static JsonNode inputDelta(int index, String fragment) {
        ObjectNode event = (ObjectNode) json("{'type':'content_block_delta','index':" + index
                + ",'delta':{'type':'input_json_delta','partial_json':''}}");
        ((ObjectNode) event.get("delta")).put("partial_json", fragment.replace('\'', '"'));
        return event;
    }

    private static JsonNode blockStop(int index) {
        return json("{'type':'content_block_stop','index':" + index + "}");
    }

    @Test
    void compatibleCallsKeepOwnBlocks() {
        List<JsonNode> events = AiTestClient.contentBlockEvents(messages("oai/three-calls").body());

        assertThat(events).containsExactly(
                toolStart(0, "call_weather", "get_weather"),
                inputDelta(0, "{'ci"),
                inputDelta(0, "ty': 'Paris'}"),
                blockStop(0),
                toolStart(1, "call_time", "get_time"),
                inputDelta(1, "{}"),
                blockStop(1),
                toolStart(2, "call_rome", "get_weather"),
                inputDelta(2, "{'city': "),
                inputDelta(2, "'Rome'}"),
                blockStop(2));
    }

    @Test
    void geminiCallsKeepOwnBlocks() {
        queueGeminiCalls();

        List<JsonNode> events = AiTestClient.contentBlockEvents(messages("gem/gemini-2.5-flash").body());

        assertThat(events).containsExactly(
                toolStart(0, "fc-1", "get_weather"),
                inputDelta(0, "{'city':'Paris'}"),
                blockStop(0),
                toolStart(1, "fc-2", "get_time"),
                inputDelta(1, "{}"),
                blockStop(1),
                toolStart(2, "fc-3", "get_weather"),
                inputDelta(2, "{'city':'Rome'}"),
                blockStop(2));
    }

    @Test
    void sdkAccumulatesThreeCalls() {
        MessageAccumulator accumulator = MessageAccumulator.create();
        MessageCreateParams params = MessageCreateParams.builder().model("oai/three-calls").maxTokens(100)
                .addUserMessage("Hi")
                .addTool(Tool.builder().name("get_weather").inputSchema(Tool.InputSchema.builder().build()).build())
                .addTool(Tool.builder().name("get_time").inputSchema(Tool.InputSchema.builder().build()).build())
                .build();
        try (StreamResponse<RawMessageStreamEvent> stream = anthropic.messages().createStreaming(params)) {
            stream.stream().forEach(accumulator::accumulate);
        }

        List<ToolUseBlock> calls = accumulator.message().content().stream().filter(ContentBlock::isToolUse)
                .map(ContentBlock::asToolUse).toList();
        assertThat(calls).extracting(ToolUseBlock::id).containsExactly("call_weather", "call_time", "call_rome");
        assertThat(calls).extracting(ToolUseBlock::name).containsExactly("get_weather", "get_time", "get_weather");
        assertThat(calls).extracting(ToolUseBlock::_input).containsExactly(
                JsonValue.from(Map.of("city", "Paris")), JsonValue.from(Map.of()),
                JsonValue.from(Map.of("city", "Rome")));
    }

    @Test
    void compatibleEmptyArgumentsPrecedeNextCall() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/chat/completions", json(
                "{'model':'oai/three-calls','stream':true,'messages':[{'role':'user','content':'Hi'}],"
                        + "'tools':[{'type':'function','function':{'name':'get_weather'}}]}").toString());

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(toolCallEntries(response)).containsExactly(
                json("{'index':0,'id':'call_weather','type':'function',"
                        + "'function':{'name':'get_weather','arguments':''}}"),
                json("{'index':0,'function':{'arguments':'{\\'ci'}}"),
                json("{'index':0,'function':{'arguments':'ty\\': \\'Paris\\'}'}}"),
                json("{'index':1,'id':'call_time','type':'function','function':{'name':'get_time','arguments':''}}"),
                json("{'index':1,'function':{'arguments':'{}'}}"),
                json("{'index':2,'id':'call_rome','type':'function',"
                        + "'function':{'name':'get_weather','arguments':''}}"),
                json("{'index':2,'function':{'arguments':'{\\'city\\': '}}"),
                json("{'index':2,'function':{'arguments':'\\'Rome\\'}'}}"));
    }

    @Test
    void geminiEmptyArgumentsPrecedeNextCall() {
        queueGeminiCalls();

        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/chat/completions", json(
                "{'model':'gem/gemini-2.5-flash','stream':true,'messages':[{'role':'user','content':'Hi'}],"
                        + "'tools':[{'type':'function','function':{'name':'get_weather'}}]}").toString());

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(toolCallEntries(response)).containsExactly(
                json("{'index':0,'id':'fc-1','type':'function','function':{'name':'get_weather','arguments':''}}"),
                json("{'index':0,'function':{'arguments':'{\\'city\\':\\'Paris\\'}'}}"),
                json("{'index':1,'id':'fc-2','type':'function','function':{'name':'get_time','arguments':''}}"),
                json("{'index':1,'function':{'arguments':'{}'}}"),
                json("{'index':2,'id':'fc-3','type':'function','function':{'name':'get_weather','arguments':''}}"),
                json("{'index':2,'function':{'arguments':'{\\'city\\':\\'Rome\\'}'}}"));
    }
}
