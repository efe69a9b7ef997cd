package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.messages.ContentBlock;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.AiTestClient.Event;
import io.portico.ai.mock.MockServer;
import io.portico.ai.mock.OpenAiMock;
import io.portico.testing.Conditions;
import io.portico.testing.Configs;
import io.portico.testing.LogCapture;
import io.portico.testing.TestNode;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Reasoning that an OpenAI-compatible provider sends in the {@code reasoning} field of its messages and deltas,
 * where DeepSeek's API uses {@code reasoning_content}. Anthropic clients receive it as a thinking block, OpenAI
 * clients receive the field as the provider sent it, and Portico's usage estimate counts it.
 */
class AiReasoningFieldTest {

    private static final String TEXT = "Hello from compatible";

    private static OpenAiMock compatible;
    private static TestNode node;
    private static AnthropicClient anthropic;

    @BeforeAll
    static void start() {
        // The test logging configuration turns the access log off, and a node checks it when it starts.
        ((Logger) LoggerFactory.getLogger("portico.access")).setLevel(Level.INFO);
        compatible = new OpenAiMock("compatible", "sk-compatible");
        node = TestNode.start();
        Configs config = Configs.document();
        config.provider("oai", "openai-compatible", compatible.baseUrl(), "sk-compatible")
                .putObject("retries").put("attempts", 1);
        config.aiRoute("ai", "/v1");
        ObjectNode cached = config.aiRoute("cached", "/cached");
        cached.put("stripPrefix", true);
        cached.putArray("policies").addObject().put("name", "cache").putObject("config").put("store", "local")
                .putObject("chat").put("scope", "shared").put("ttl", "5m");
        node.apply(config.build());
        anthropic = AnthropicOkHttpClient.builder().baseUrl(node.url()).apiKey("client-key").maxRetries(0).build();
    }

    @AfterAll
    static void stop() {
        ((Logger) LoggerFactory.getLogger("portico.access")).setLevel(Level.WARN);
        node.close();
        compatible.close();
    }

    private static JsonNode json(String text) {
        return AiTestClient.quotedJson(text);
    }

    private static HttpResponse<String> messages(boolean stream) {
        return messages("/v1/messages", stream, "Hi");
    }

    private static HttpResponse<String> messages(String path, boolean stream, String question) {
        HttpResponse<String> response = AiTestClient.post(node.url() + path, json(
                "{'model':'oai/reasoning-field','max_tokens':100,'stream':" + stream
                        + ",'messages':[{'role':'user','content':'" + question + "'}]}").toString(),
                "anthropic-version", "2023-06-01");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return response;
    }

    /** Returns the content block events of the Anthropic stream of {@code reasoning-field} models. */
    private static List<JsonNode> streamedBlocks() {
        return List.of(
                json("{'type':'content_block_start','index':0,'content_block':{'type':'thinking','thinking':'',"
                        + "'signature':''}}"),
                json("{'type':'content_block_delta','index':0,'delta':{'type':'thinking_delta',"
                        + "'thinking':'" + OpenAiMock.REASONING + "'}}"),
                json("{'type':'content_block_stop','index':0}"),
                json("{'type':'content_block_start','index':1,'content_block':{'type':'text','text':''}}"),
                json("{'type':'content_block_delta','index':1,'delta':{'type':'text_delta','text':'Hello from'}}"),
                json("{'type':'content_block_delta','index':1,'delta':{'type':'text_delta','text':' compatible'}}"),
                json("{'type':'content_block_stop','index':1}"));
    }

    @Test
    void streamedReasoningBecomesThinkingBlock() {
        List<JsonNode> events = AiTestClient.contentBlockEvents(messages(true).body());

        assertThat(events).containsExactlyElementsOf(streamedBlocks());
    }

    @Test
    void cachedStreamKeepsReasoning() {
        String question = "cached " + UUID.randomUUID();
        int received = compatible.received().size();

        messages("/cached/v1/messages", true, question);
        Conditions.eventually("the stream is in the cache", () -> node.admin("GET", "/admin/v1/cache", null, 200)
                .path("stores").path(0).path("entries").asLong() == 1);
        HttpResponse<String> replayed = messages("/cached/v1/messages", true, question);

        assertThat(compatible.received()).hasSize(received + 1);
        List<JsonNode> expected = new ArrayList<>(streamedBlocks().subList(0, 4));
        // The cache sends each text whole, in one delta.
        expected.add(json("{'type':'content_block_delta','index':1,'delta':{'type':'text_delta','text':'" + TEXT
                + "'}}"));
        expected.add(json("{'type':'content_block_stop','index':1}"));
        assertThat(AiTestClient.contentBlockEvents(replayed.body())).containsExactlyElementsOf(expected);
    }

    @Test
    void reasoningBecomesThinkingWhenNotStreamed() {
        JsonNode content = AiTestClient.json(messages(false)).get("content");

        assertThat(content).isEqualTo(json("[{'type':'thinking','thinking':'" + OpenAiMock.REASONING
                + "','signature':''},{'type':'text','text':'" + TEXT + "'}]"));
    }

    @Test
    void sdkAccumulatesReasoningAsThinking() {
        MessageAccumulator accumulator = MessageAccumulator.create();
        MessageCreateParams params = MessageCreateParams.builder().model("oai/reasoning-field").maxTokens(100)
                .addUserMessage("Hi").build();

        try (StreamResponse<RawMessageStreamEvent> stream = anthropic.messages().createStreaming(params)) {
            stream.stream().forEach(accumulator::accumulate);
        }

        List<ContentBlock> content = accumulator.message().content();
        assertThat(content).hasSize(2);
        assertThat(content.get(0).isThinking()).isTrue();
        assertThat(content.get(0).asThinking().thinking()).isEqualTo(OpenAiMock.REASONING);
        assertThat(content.get(1).asText().text()).isEqualTo(TEXT);
    }

    @Test
    void openAiClientKeepsReasoningField() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/chat/completions", json(
                "{'model':'oai/reasoning-field','stream':true,'messages':[{'role':'user','content':'Hi'}]}")
                .toString());

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        StringBuilder reasoning = new StringBuilder();
        for (Event event : AiTestClient.events(response.body())) {
            if (!event.data().equals("[DONE]")) {
                JsonNode delta = event.json().path("choices").path(0).path("delta");
                assertThat(delta.has("reasoning_content")).as(event.data()).isFalse();
                reasoning.append(delta.path("reasoning").asText(""));
            }
        }
        assertThat(reasoning.toString()).isEqualTo(OpenAiMock.REASONING);
    }

    /**
     * The provider cuts the stream after the reasoning delta, before it reports usage, so Portico records its own
     * count of the streamed output, which the access log shows.
     */
    @Test
    void cutStreamEstimateCountsReasoning() {
        compatible.fail(MockServer.Fault.CUT_STREAM);
        try (LogCapture log = new LogCapture("portico.access")) {
            HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/chat/completions", json(
                    "{'model':'oai/reasoning-field','stream':true,'messages':[{'role':'user','content':'Hi'}]}")
                    .toString());

            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            String entry = log.awaitMessage(Level.INFO, "upstream=oai/reasoning-field");
            assertThat(entry).contains("ai_tokens_estimated=true");
            assertThat(entry).contains("ai_output_tokens=" + TokenCounter.count(OpenAiMock.REASONING) + " ");
        }
    }
}
