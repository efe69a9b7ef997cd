package io.portico.ai;

import static io.portico.testing.Conditions.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.mock.MockServer.Fault;
import io.portico.ai.mock.OpenAiMock;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Timeouts, cancellation and the Responses API relay. */
class AiResilienceTest {

    private static OpenAiMock slow;
    private static OpenAiMock fast;
    private static TestNode node;

    @BeforeAll
    static void start() {
        slow = new OpenAiMock("slow", "sk-slow");
        fast = new OpenAiMock("fast", "sk-fast");
        node = TestNode.start();
        Configs config = Configs.document();
        ObjectNode impatient = config.provider("slow", "openai", slow.baseUrl(), "sk-slow");
        impatient.putObject("timeouts").put("firstToken", "300ms").put("total", "600ms");
        impatient.putObject("retries").put("attempts", 1);
        config.provider("fast", "openai", fast.baseUrl(), "sk-fast");
        ObjectNode total = config.provider("slow-total", "openai", slow.baseUrl(), "sk-slow");
        total.putObject("timeouts").put("total", "600ms");
        total.putObject("retries").put("attempts", 1);
        config.model("quick", "fallback", "slow/gpt-4o", "fast/gpt-4o");
        config.aiRoute("ai", "/v1");
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        node.close();
        slow.close();
        fast.close();
    }

    @BeforeEach
    void clear() {
        slow.received().clear();
        fast.received().clear();
    }

    private static HttpResponse<String> chat(String model, boolean stream) {
        return AiTestClient.post(node.url() + "/v1/chat/completions", "{\"model\":\"" + model + "\",\"stream\":"
                + stream + ",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
    }

    @Test
    void fallsBackWhenTheFirstTokenIsLate() {
        slow.fail(Fault.SLOW);

        HttpResponse<String> response = chat("quick", true);

        assertThat(response.body()).contains("chatcmpl-fast").doesNotContain("slow");
        assertThat(slow.received()).hasSize(1);
    }

    @Test
    void reportsATotalTimeoutAs504() {
        slow.fail(Fault.SLOW);

        HttpResponse<String> response = chat("slow-total/gpt-4o", false);

        assertThat(response.statusCode()).isEqualTo(504);
        assertThat(AiTestClient.json(response).at("/error/message").asText()).contains("within 600 ms");
    }

    @Test
    void totalTimeoutHasAnthropicTimeoutType() {
        slow.fail(Fault.SLOW);

        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/messages", "{\"model\":"
                + "\"slow-total/gpt-4o\",\"max_tokens\":50,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}",
                "anthropic-version", "2023-06-01");

        assertThat(response.statusCode()).isEqualTo(504);
        JsonNode json = AiTestClient.json(response);
        assertThat(json.path("type").asText()).isEqualTo("error");
        assertThat(json.at("/error/type").asText()).isEqualTo("timeout_error");
        assertThat(json.at("/error/message").asText()).contains("within 600 ms");
    }

    @Test
    void cancelsTheProviderRequestWhenTheClientLeaves() throws Exception {
        fast.fail(Fault.SLOW);
        int before = fast.closedEarly();
        String body = "{\"model\":\"fast/gpt-4o\",\"stream\":true,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
        try (Socket socket = new Socket("127.0.0.1", URI.create(node.url()).getPort())) {
            socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.UTF_8));
            eventually("the provider received the request", () -> fast.received().size() == 1);
        }

        eventually("the provider request was cancelled", () -> fast.closedEarly() > before);
    }

    @Test
    void relaysTheResponsesApi() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/responses",
                "{\"model\":\"fast/gpt-4o\",\"input\":\"Hi\"}");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(AiTestClient.json(response).at("/output/0/content/0/text").asText()).isEqualTo("Hello from fast");
        assertThat(response.headers().firstValue("x-portico-input-tokens")).contains("7");
        assertThat(fast.last().body().get("model").asText()).isEqualTo("gpt-4o");
    }

    @Test
    void relaysResponsesApiStreams() throws Exception {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/responses",
                "{\"model\":\"fast/gpt-4o\",\"input\":\"Hi\",\"stream\":true}");

        List<AiTestClient.Event> events = AiTestClient.events(response.body());
        assertThat(events).extracting(AiTestClient.Event::name)
                .containsExactly("response.created", "response.output_text.delta", "response.completed");
        JsonNode completed = events.get(2).json();
        assertThat(completed.at("/response/usage/input_tokens").asInt()).isEqualTo(7);
    }
}
