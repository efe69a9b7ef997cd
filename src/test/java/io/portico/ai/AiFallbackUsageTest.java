package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.AiTestClient.Event;
import io.portico.ai.mock.AnthropicMock;
import io.portico.ai.mock.GeminiMock;
import io.portico.ai.mock.OpenAiMock;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.vertx.core.Vertx;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The usage that an Anthropic client's stream reports after a fallback, through a real node. The first target of
 * each virtual model is an Anthropic mock whose stream reports 40 uncached input tokens, 3 cache writes and 12 cache
 * reads in {@code message_start}, then fails with {@code overloaded_error} before any content. The second target
 * serves the request, and the client's usage must be that target's alone.
 */
class AiFallbackUsageTest {

    private static Vertx vertx;
    private static AnthropicMock anthropic;
    private static OpenAiMock openAi;
    private static GeminiMock gemini;
    private static TestNode node;

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
        anthropic = new AnthropicMock("claude", "sk-ant");
        openAi = new OpenAiMock("gpt", "sk-openai");
        gemini = GeminiMock.geminiApi(vertx, "AIza-fallback").await();
        node = TestNode.start();
        Configs config = Configs.document();
        config.provider("anth", "anthropic", anthropic.baseUrl(), "sk-ant").putObject("retries").put("attempts", 1);
        config.provider("oai", "openai", openAi.baseUrl(), "sk-openai");
        config.provider("gem", "gemini", gemini.baseUrl(), "AIza-fallback");
        // Each virtual model has a first target of its own, because a target that failed recently is tried last.
        config.model("mix-openai", "fallback", "anth/overloaded-1", "oai/gpt-4o");
        config.model("mix-gemini", "fallback", "anth/overloaded-2", "gem/gemini-2.5-flash");
        config.aiRoute("ai", "/v1");
        node.apply(config.build());
    }

    @AfterAll
    static void stop() throws Exception {
        node.close();
        anthropic.close();
        openAi.close();
        gemini.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static List<Event> stream(String model) {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/messages", "{\"model\":\"" + model
                + "\",\"max_tokens\":50,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}",
                "anthropic-version", "2023-06-01");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return AiTestClient.events(response.body());
    }

    @Test
    void openAiFallbackReportsItsOwnUsage() {
        int before = anthropic.received().size();

        List<Event> events = stream("mix-openai");

        assertThat(anthropic.received()).hasSize(before + 1);
        // OpenAI reports usage only at the end of the stream, so message_start has Portico's count of the prompt.
        // The OpenAI mock reports 12 prompt tokens, 2 of them cached, and 5 completion tokens.
        assertStream(events, "\"id\":\"msg_chatcmpl-gpt\",\"type\":\"message\",\"role\":\"assistant\","
                + "\"model\":\"gpt-4o\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,"
                + "\"usage\":{\"input_tokens\":9,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,"
                + "\"output_tokens\":1}", "Hello from gpt", "\"input_tokens\":10,\"cache_creation_input_tokens\":0,"
                + "\"cache_read_input_tokens\":2,\"output_tokens\":5");
    }

    @Test
    void geminiFallbackReportsItsOwnUsage() {
        enqueueGeminiText();
        int before = anthropic.received().size();

        List<Event> events = stream("mix-gemini");

        assertThat(anthropic.received()).hasSize(before + 1);
        // The mock's first Gemini event reports the prompt tokens, and only its last one the cache reads.
        assertStream(events, "\"id\":\"msg_resp-fallback\",\"type\":\"message\",\"role\":\"assistant\","
                + "\"model\":\"gemini-2.5-flash\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,"
                + "\"usage\":{\"input_tokens\":22,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,"
                + "\"output_tokens\":1}", "Hello from gemini", "\"input_tokens\":14,\"cache_creation_input_tokens\":0,"
                + "\"cache_read_input_tokens\":8,\"output_tokens\":15");
    }

    /**
     * Asserts that {@code events} are a stream of one text block. {@code message} contains the JSON members of
     * {@code message_start}'s message, and {@code usage} those of {@code message_delta}'s usage.
     */
    private static void assertStream(List<Event> events, String message, String text, String usage) {
        assertThat(events).extracting(Event::name).containsExactly("message_start", "content_block_start",
                "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop");
        assertThat(events.get(0).data()).isEqualTo("{\"type\":\"message_start\",\"message\":{" + message + "}}");
        assertThat(events.get(1).data()).isEqualTo("{\"type\":\"content_block_start\",\"index\":0,"
                + "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}");
        assertThat(text(events)).isEqualTo(text);
        assertThat(events.get(4).data()).isEqualTo("{\"type\":\"content_block_stop\",\"index\":0}");
        assertThat(events.get(5).data()).isEqualTo("{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
                + "\"end_turn\",\"stop_sequence\":null},\"usage\":{" + usage + "}}");
        assertThat(events.get(6).data()).isEqualTo("{\"type\":\"message_stop\"}");
    }

    /** Returns the text of the stream's {@code text_delta} events, joined. */
    private static String text(List<Event> events) {
        StringBuilder text = new StringBuilder();
        for (Event event : events) {
            text.append(event.json().path("delta").path("text").asText(""));
        }
        return text.toString();
    }

    /** Queues a Gemini answer that reports 22 prompt tokens, 8 of them read from its cache, and 15 output tokens. */
    private static void enqueueGeminiText() {
        ArrayNode parts = JsonNodeFactory.instance.arrayNode();
        parts.addObject().put("text", "Hello from gemini");
        GeminiMock.Reply reply = GeminiMock.Reply.response(parts, "STOP", GeminiMock.usage(22, 15, 8, 0));
        // A fixed response id, since the mock numbers the responses of every test in the run.
        ((ObjectNode) reply.body()).put("responseId", "resp-fallback");
        gemini.enqueue(reply);
    }
}
