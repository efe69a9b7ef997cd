package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.mock.GeminiMock;
import io.portico.ai.mock.GeminiMock.Reply;
import io.portico.testing.Configs;
import io.portico.testing.GoogleServiceAccounts;
import io.portico.testing.TestNode;
import io.vertx.core.Vertx;
import java.net.http.HttpResponse;
import java.security.KeyPair;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Anthropic clients served by Claude on Vertex AI through a real node and {@link GeminiMock} in Vertex AI mode. */
class AnthropicOverVertexTest {

    private static final String MODEL = "claude-sonnet-4-5@20250929";
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private static Vertx vertx;
    private static GeminiMock vertex;
    private static TestNode node;

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
        KeyPair keys = GoogleServiceAccounts.rsaKeyPair();
        vertex = GeminiMock.vertex(vertx, keys.getPublic()).await();
        node = TestNode.start();
        Configs config = Configs.document();
        ObjectNode cloud = config.provider("cloud", "vertex", vertex.baseUrl());
        cloud.put("project", "proj-1").put("region", "us-east5").put("tokenUrl", vertex.tokenUrl())
                .put("serviceAccount", GoogleServiceAccounts.keyJson(keys, vertex.tokenUrl()));
        cloud.putObject("retries").put("attempts", 1);
        config.aiRoute("ai", "/v1");
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        node.close();
        vertex.close();
        vertx.close().await();
    }

    /** Returns an Anthropic message whose usage has 25 uncached input tokens, 5 read from the cache and 20 written. */
    private static ObjectNode messageWithCacheUsage() {
        ObjectNode message = NODES.objectNode().put("id", "msg_vrtx_cache").put("type", "message")
                .put("role", "assistant").put("model", "claude-sonnet-4-5-20250929");
        message.putArray("content").addObject().put("type", "text").put("text", "Cached answer.");
        message.put("stop_reason", "end_turn").putNull("stop_sequence");
        message.putObject("usage").put("input_tokens", 25).put("cache_creation_input_tokens", 20)
                .put("cache_read_input_tokens", 5).put("output_tokens", 9);
        return message;
    }

    private static HttpResponse<String> messages(String body) {
        return AiTestClient.post(node.url() + "/v1/messages", body, "anthropic-version", "2023-06-01");
    }

    @Test
    void plainUsageSeparatesCacheWrites() {
        vertex.enqueue(Reply.of(messageWithCacheUsage()));

        HttpResponse<String> response = messages("{\"model\":\"cloud/" + MODEL + "\",\"max_tokens\":100,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(AiTestClient.json(response).get("usage")).isEqualTo(AiTestClient.quotedJson(
                "{'input_tokens':25,'cache_creation_input_tokens':20,'cache_read_input_tokens':5,'output_tokens':9}"));
        assertThat(response.headers().firstValue("x-portico-input-tokens")).hasValue("50");
        assertThat(response.headers().firstValue("x-portico-cached-tokens")).hasValue("5");
    }

    /** An Anthropic request with the fields that a translation through the OpenAI shape would lose. */
    private static final String CONVERSATION = """
            {"model":"cloud/%s","max_tokens":300,%s
             "system":[{"type":"text","text":"You are a long system prompt.","cache_control":{"type":"ephemeral"}}],
             "thinking":{"type":"enabled","budget_tokens":1024},
             "tools":[{"name":"get_weather","input_schema":{"type":"object"},"cache_control":{"type":"ephemeral"}}],
             "messages":[
               {"role":"user","content":[{"type":"text","text":"weather?","cache_control":{"type":"ephemeral"}}]},
               {"role":"assistant","content":[
                 {"type":"thinking","thinking":"Call the tool.","signature":"sig-1"},
                 {"type":"redacted_thinking","data":"b3BhcXVl"},
                 {"type":"tool_use","id":"toolu_1","name":"get_weather","input":{}}]},
               {"role":"user","content":[
                 {"type":"tool_result","tool_use_id":"toolu_1","content":"service down","is_error":true,
                  "cache_control":{"type":"ephemeral","ttl":"1h"}}]}]}""";

    /** Returns the client's body as Vertex AI takes it: without {@code model}, with {@code anthropic_version}. */
    private static ObjectNode vertexBody(String clientBody) {
        ObjectNode body = (ObjectNode) AiTestClient.quotedJson(clientBody);
        body.remove("model");
        return body.put("anthropic_version", "vertex-2023-10-16");
    }

    @Test
    void plainRequestSendsClientBody() {
        String body = CONVERSATION.formatted(MODEL, "");

        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/messages", body,
                "anthropic-version", "2023-06-01", "anthropic-beta", "context-1m-2025-08-07");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        GeminiMock.Recorded call = lastModelCall();
        assertThat(call.path()).isEqualTo("/v1/projects/proj-1/locations/us-east5/publishers/anthropic/models/"
                + MODEL + ":rawPredict");
        assertThat(call.json()).isEqualTo(vertexBody(body));
        assertThat(call.headers().get("anthropic-beta")).isEqualTo("context-1m-2025-08-07");
        assertThat(AiTestClient.json(response)).isEqualTo(AiTestClient.quotedJson("""
                {'id':'msg_vrtx_01','type':'message','role':'assistant','model':'claude-sonnet-4-5@20250929',
                 'content':[{'type':'text','text':'Hello from Claude.'}],'stop_reason':'end_turn',
                 'stop_sequence':null,'usage':{'input_tokens':10,'output_tokens':4}}"""));
    }

    @Test
    void streamedRequestSendsClientBody() {
        String body = CONVERSATION.formatted(MODEL, "\"stream\":true,");

        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/messages", body,
                "anthropic-version", "2023-06-01");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        GeminiMock.Recorded call = lastModelCall();
        assertThat(call.path()).endsWith("/publishers/anthropic/models/" + MODEL + ":streamRawPredict");
        assertThat(call.json()).isEqualTo(vertexBody(body));
        assertThat(AiTestClient.events(response.body()).stream().map(AiTestClient.Event::name).toList())
                .containsExactly("message_start", "content_block_start", "content_block_delta", "content_block_stop",
                        "message_delta", "message_stop");
    }

    private static GeminiMock.Recorded lastModelCall() {
        List<GeminiMock.Recorded> requests = vertex.requests();
        return requests.get(requests.size() - 1);
    }
}
