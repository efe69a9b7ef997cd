package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.AiTestClient.Event;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The provider's {@code timeouts.total} on embeddings and Responses API calls: it bounds the whole response, so a
 * provider that keeps sending a byte now and then still runs out of time. The provider {@code slow} on loopback
 * sends every response in small pieces, 100 ms apart, for longer than its one-second limit; {@code ok} responds
 * at once.
 */
class AiRelayTimeoutTest {

    private static final String EMBEDDINGS = "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,"
            + "\"embedding\":[0.25,0.5]}],\"model\":\"m\",\"usage\":{\"prompt_tokens\":1,\"total_tokens\":1}}";
    private static final long PIECE_MILLIS = 100;

    private static Vertx vertx;
    private static HttpServer provider;
    private static TestNode node;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        provider = vertx.createHttpServer()
                .requestHandler(request -> request.body().onSuccess(body -> respond(request)))
                .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);

        node = TestNode.start();
        Configs config = Configs.document();
        String base = "http://127.0.0.1:" + provider.actualPort();
        ObjectNode slow = config.provider("slow", "openai", base + "/slow/v1", "sk-slow");
        slow.putObject("timeouts").put("total", "1s");
        slow.putObject("retries").put("attempts", 1);
        config.provider("ok", "openai", base + "/ok/v1", "sk-ok");
        config.model("embed", "fallback", "slow/text-embedding-3-small", "ok/text-embedding-3-small");
        config.aiRoute("ai", "/v1");
        node.apply(config.build());
    }

    private static void respond(HttpServerRequest request) {
        HttpServerResponse response = request.response();
        if (!request.path().startsWith("/slow/")) {
            response.putHeader("content-type", "application/json").end(EMBEDDINGS);
            return;
        }
        if (request.path().endsWith("/embeddings")) {
            // Spaces ahead of the JSON make the body take six seconds, one space every 100 ms.
            List<String> pieces = new ArrayList<>(Collections.nCopies(60, " "));
            pieces.add(EMBEDDINGS);
            response.putHeader("content-type", "application/json")
                    .putHeader("content-length", String.valueOf(60 + EMBEDDINGS.length()));
            trickle(response, pieces);
            return;
        }
        String created = "event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,"
                + "\"response\":{\"id\":\"resp_1\",\"object\":\"response\",\"status\":\"in_progress\"}}\n\n";
        String delta = "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\","
                + "\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"delta\":\"Hi\","
                + "\"sequence_number\":1}\n\n";
        List<String> pieces = new ArrayList<>(Collections.nCopies(40, delta));
        pieces.add(0, created);
        response.setChunked(true).putHeader("content-type", "text/event-stream");
        trickle(response, pieces);
    }

    @AfterAll
    static void stop() throws Exception {
        node.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /** Writes {@code pieces} one by one, {@value #PIECE_MILLIS} ms apart, and ends the response after the last. */
    private static void trickle(HttpServerResponse response, List<String> pieces) {
        vertx.setPeriodic(PIECE_MILLIS, new io.vertx.core.Handler<>() {
            private int next;

            @Override
            public void handle(Long timer) {
                if (response.closed() || next == pieces.size()) {
                    vertx.cancelTimer(timer);
                    if (!response.closed()) {
                        response.end();
                    }
                    return;
                }
                response.write(pieces.get(next++));
            }
        });
    }

    @Test
    void slowEmbeddingsAreGatewayTimeout() {
        long start = System.nanoTime();
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/embeddings",
                "{\"model\":\"slow/text-embedding-3-small\",\"input\":\"x\"}");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(504);
        JsonNode error = AiTestClient.json(response).path("error");
        assertThat(error.path("message").asText())
                .isEqualTo("provider 'slow' did not send the whole response within 1000 ms");
        assertThat(error.path("code").asText()).isEqualTo("timeout");
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(5_000);
    }

    @Test
    void embeddingsTimeoutFallsBackToNextTarget() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/embeddings",
                "{\"model\":\"embed\",\"input\":\"x\"}");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(AiTestClient.json(response).at("/data/0/embedding/1").asDouble()).isEqualTo(0.5);
        assertThat(response.headers().firstValue("x-portico-provider")).hasValue("ok");
    }

    @Test
    void slowResponsesStreamEndsWithError() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/responses",
                "{\"model\":\"slow/gpt-4o\",\"input\":\"Hi\",\"stream\":true}");

        assertThat(response.statusCode()).isEqualTo(200);
        List<Event> events = AiTestClient.events(response.body());
        assertThat(events.get(0).json().path("type").asText()).isEqualTo("response.created");
        JsonNode last = events.get(events.size() - 1).json();
        assertThat(last.path("type").asText()).isEqualTo("error");
        assertThat(last.path("code").asText()).isEqualTo("timeout");
        assertThat(last.path("message").asText())
                .isEqualTo("provider 'slow' did not send the whole response within 1000 ms");
        assertThat(events.size()).isLessThan(20);
    }
}
