package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.portico.net.AddressRules;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.NetServer;
import java.net.InetAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Providers that misbehave in the ways real ones do, and clients that send what they should not. */
class AiRobustnessTest {

    private static final String CHUNK = "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,"
            + "\"model\":\"m\","
            + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},\"finish_reason\":null}]}";
    private static final String COMPLETION = "{\"id\":\"c\",\"object\":\"chat.completion\",\"created\":1,"
            + "\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
            + "\"content\":\"fine\"},"
            + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,"
            + "\"total_tokens\":2}}";
    private static final String EMBEDDINGS = "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,"
            + "\"embedding\":[0.25,0.5]}],\"model\":\"m\",\"usage\":{\"prompt_tokens\":1,\"total_tokens\":1}}";

    private static Vertx vertx;
    private static HttpServer provider;
    private static NetServer closer;
    private static TestNode node;
    private static final List<String> keysSeen = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        provider = vertx.createHttpServer().requestHandler(AiRobustnessTest::serve).listen(0, "127.0.0.1")
                .toCompletionStage().toCompletableFuture().get();
        // Sends headers and one event, then closes: a body delimited by the end of the connection.
        closer = vertx.createNetServer().connectHandler(socket -> socket.handler(bytes -> {
            String request = bytes.toString(StandardCharsets.ISO_8859_1);
            if (request.startsWith("POST /switch")) {
                socket.end(io.vertx.core.buffer.Buffer.buffer("HTTP/1.1 101 Switching Protocols\r\n"
                        + "Upgrade: websocket\r\nConnection: Upgrade\r\n\r\nHTTP/1.1 200 OK\r\n\r\n" + COMPLETION));
            } else if (request.startsWith("POST /interim/v1/embeddings")) {
                socket.end(io.vertx.core.buffer.Buffer.buffer("HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 200 OK\r\n"
                        + "content-type: application/json\r\nconnection: close\r\n\r\n" + EMBEDDINGS));
            } else if (request.startsWith("POST /interim")) {
                socket.end(io.vertx.core.buffer.Buffer.buffer("HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 200 OK\r\n"
                        + "content-type: application/json\r\nconnection: close\r\n\r\n" + COMPLETION));
            } else if (request.contains("\"stream\":true") && request.startsWith("POST /before")) {
                socket.end(io.vertx.core.buffer.Buffer.buffer("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream"
                        + "\r\nconnection: close\r\n\r\n"));
            } else {
                socket.end(io.vertx.core.buffer.Buffer.buffer("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream"
                        + "\r\nconnection: close\r\n\r\ndata: " + CHUNK + "\n\n"));
            }
        })).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get();
        node = TestNode.start();
        Configs config = Configs.document();
        String base = "http://127.0.0.1:" + provider.actualPort();
        String cut = "http://127.0.0.1:" + closer.actualPort();
        config.provider("ok", "openai-compatible", base + "/ok/v1");
        config.provider("garbage", "openai-compatible", base + "/garbage/v1");
        config.provider("cut", "openai-compatible", cut + "/cut/v1");
        config.provider("cutbefore", "openai-compatible", cut + "/before/v1");
        config.provider("switch", "openai-compatible", cut + "/switch/v1");
        config.provider("interim", "openai-compatible", cut + "/interim/v1");
        config.provider("down", "openai-compatible", "http://127.0.0.1:1/v1").putObject("retries")
                .put("attempts", 1);
        config.provider("keys", "openai-compatible", base + "/keys/v1", "sk-limited", "sk-revoked", "sk-good");
        config.model("cut-first", "fallback", "cutbefore/m", "ok/m");
        config.model("fastest", "least-latency", "down/m", "ok/m");
        config.aiRoute("ai", "/v1");
        node.apply(config.build());
    }

    private static void serve(HttpServerRequest request) {
        request.body().onSuccess(body -> {
            var response = request.response().putHeader("content-type", "application/json");
            if (request.path().startsWith("/garbage")) {
                response.end("{\"choices\":\"nope\"}");
            } else if (request.path().startsWith("/keys")) {
                String key = request.getHeader("authorization");
                keysSeen.add(key);
                if ("Bearer sk-limited".equals(key)) {
                    response.setStatusCode(429).putHeader("retry-after", "30")
                            .end("{\"error\":{\"message\":\"slow\"}}");
                } else if ("Bearer sk-revoked".equals(key)) {
                    response.setStatusCode(401).end("{\"error\":{\"message\":\"bad key\"}}");
                } else {
                    response.end(COMPLETION);
                }
            } else if (body.toString().contains("\"stream\":true")) {
                response.putHeader("content-type", "text/event-stream").end("data: " + CHUNK + "\n\ndata: "
                        + CHUNK.replace("\"finish_reason\":null", "\"finish_reason\":\"stop\"")
                        + "\n\ndata: [DONE]\n\n");
            } else {
                response.end(COMPLETION);
            }
        });
    }

    @AfterAll
    static void stop() {
        node.close();
        vertx.close();
    }

    private static HttpResponse<String> chat(String model, boolean stream) {
        return AiTestClient.post(node.url() + "/v1/chat/completions", "{\"model\":\"" + model + "\",\"stream\":"
                + stream + ",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
    }

    @Test
    void streamCutBeforeFinishEndsWithError() {
        HttpResponse<String> response = chat("cut/m", true);

        List<AiTestClient.Event> events = AiTestClient.events(response.body());
        assertThat(events.get(0).json().at("/choices/0/delta/content").asText()).isEqualTo("Hi");
        assertThat(events).noneMatch(e -> e.data().equals("[DONE]"));
        assertThat(events.get(events.size() - 1).json().at("/error/message").asText())
                .contains("ended before the response was complete");
    }

    @Test
    void streamEndedBeforeFirstEventFallsBack() {
        HttpResponse<String> response = chat("cut-first", true);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("\"finish_reason\":\"stop\"").endsWith("data: [DONE]\n\n");
    }

    @Test
    void unrequestedSwitchFromProviderIsBadGateway() {
        HttpResponse<String> response = chat("switch/m", false);

        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(response.body()).doesNotContain("fine");
    }

    @Test
    void interimStatusBeforeCompletionIsSkipped() {
        HttpResponse<String> response = chat("interim/m", false);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(AiTestClient.json(response).at("/choices/0/message/content").asText()).isEqualTo("fine");
    }

    @Test
    void interimStatusBeforeEmbeddingsIsSkipped() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/embeddings",
                "{\"model\":\"interim/m\",\"input\":\"x\"}");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(AiTestClient.json(response).at("/data/0/embedding/1").asDouble()).isEqualTo(0.5);
    }

    @Test
    void triesEveryKeyBeforeGivingUp() {
        keysSeen.clear();
        for (int i = 0; i < 3; i++) {
            assertThat(chat("keys/m", false).statusCode()).isEqualTo(200);
        }

        assertThat(keysSeen).containsOnlyOnce("Bearer sk-limited", "Bearer sk-revoked");
    }

    @Test
    void rejectsAMalformedCompletion() {
        HttpResponse<String> response = chat("garbage/m", false);

        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(AiTestClient.json(response).at("/error/message").asText()).contains("without a message");
    }

    @Test
    void triesAFailingTargetLast() {
        for (int i = 0; i < 3; i++) {
            assertThat(chat("fastest", false).statusCode()).isEqualTo(200);
        }
        long start = System.nanoTime();
        chat("fastest", false);

        assertThat(node.portico()).isNotNull();
        assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(200);
    }

    @Test
    void rejectsInvalidMessagesInBothProtocols() {
        HttpResponse<String> role = AiTestClient.post(node.url() + "/v1/chat/completions",
                "{\"model\":\"ok/m\",\"messages\":[{\"role\":\"wizard\",\"content\":\"Hi\"}]}");
        HttpResponse<String> limit = AiTestClient.post(node.url() + "/v1/chat/completions",
                "{\"model\":\"ok/m\",\"max_tokens\":\"ten\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
        HttpResponse<String> block = AiTestClient.post(node.url() + "/v1/messages", "{\"model\":\"ok/m\","
                + "\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"wat\"}]}]}",
                "anthropic-version", "2023-06-01");
        HttpResponse<String> system = AiTestClient.post(node.url() + "/v1/messages", "{\"model\":\"ok/m\","
                + "\"max_tokens\":5,\"messages\":[{\"role\":\"system\",\"content\":\"x\"}]}",
                "anthropic-version", "2023-06-01");

        assertThat(role.statusCode()).isEqualTo(400);
        assertThat(limit.statusCode()).isEqualTo(400);
        assertThat(block.statusCode()).isEqualTo(400);
        assertThat(AiTestClient.json(block).at("/error/message").asText()).contains("messages.0.content.0.type");
        assertThat(system.statusCode()).isEqualTo(400);
    }

    @Test
    void namesTheParserReasonForInvalidJson() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/chat/completions",
                "{\"model\":\"ok/m\",\"model\":\"ok/n\",\"messages\":[]}");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(AiTestClient.json(response).at("/error/message").asText()).contains("not valid JSON")
                .contains("model");
    }

    @Test
    void acceptsStringsLongerThanJacksonsDefaultLimit() {
        String text = "a".repeat(21_000_000);
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/chat/completions",
                "{\"model\":\"ok/m\",\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}");

        assertThat(response.statusCode()).isEqualTo(200);
    }

    @Test
    void rejectsImageUrlsWithOtherSchemes() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/chat/completions", "{\"model\":\"ok/m\","
                + "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
                + "\"image_url\":{\"url\":\"file:///etc/passwd\"}}]}]}");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(AiTestClient.json(response).at("/error/code").asText()).isEqualTo("invalid_image_url");
    }

    @Test
    void treatsAddressesThatCarryIpv4AsThatAddress() throws Exception {
        String[] addresses = {"::127.0.0.1", "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::"};
        for (String address : addresses) {
            assertThat(AddressRules.isPublic(InetAddress.getByName(address))).as(address).isFalse();
        }
        assertThat(AddressRules.isPublic(InetAddress.getByName("64:ff9b::5db8:d822"))).isTrue();
    }

    @Test
    void providerHeadersUseRouteFramingNames() {
        for (String name : new String[] {"HTTP2-Settings", "Proxy-Authorization", "Proxy-Authenticate", "Expect",
            "Host", "Content_Length", "transfer_encoding"}) {
            ObjectNode provider = Json.MAPPER.createObjectNode().put("name", "framing").put("type", "openai-compatible")
                    .put("baseUrl", "http://127.0.0.1:1/v1");
            provider.putObject("headers").put(name, "1");

            JsonNode problem = node.admin("POST", "/admin/v1/providers", provider, 400);

            assertThat(problem.toString()).as(name).contains("headers." + name)
                    .contains("is set by Portico for each call");
        }
    }

    @Test
    void validatesModelNamesAndProviderHeaders() {
        ObjectNode model = Json.MAPPER.createObjectNode().put("name", "ok/x");
        model.putArray("targets").addObject().put("provider", "ok").put("model", "y");
        ObjectNode provider = Json.MAPPER.createObjectNode().put("name", "framing").put("type", "openai-compatible")
                .put("baseUrl", "http://127.0.0.1:1/v1");
        provider.putObject("headers").put("Content-Length", "5").put("bad header", "x");

        JsonNode modelProblem = node.admin("POST", "/admin/v1/models", model, 400);
        JsonNode providerProblem = node.admin("POST", "/admin/v1/providers", provider, 400);

        assertThat(modelProblem.toString()).contains("'/' is kept for provider/model names");
        assertThat(providerProblem.toString()).contains("is set by Portico for each call")
                .contains("must be a header name");
    }
}
