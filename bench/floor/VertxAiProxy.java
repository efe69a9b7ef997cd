import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.net.client.Http1Client;
import io.portico.net.client.Http1Exchange;
import io.portico.net.client.Http1ResponseHandler;
import io.portico.net.client.Origin;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.io.IOException;

/**
 * The minimum work that an AI gateway on Portico's stack does for a non-streamed OpenAI chat completion, used by
 * bench/ai-floor.sh to measure what that stack allows before any of Portico's own work. It runs one Vert.x event loop
 * on the native transport, reads the request body, parses it with Jackson into a tree, replaces the model name,
 * writes the provider request, sends it with Portico's upstream {@link Http1Client}, parses the completion into a
 * tree, reads its token counts, puts the public model name back and writes the completion to the client. It checks
 * nothing and handles an error only by responding with 502, so it is a measuring tool, not a gateway to run.
 *
 * <p>Usage: {@code java -cp PORTICO_JAR VertxAiProxy LISTEN_PORT UPSTREAM_PORT}, both on 127.0.0.1.
 */
public final class VertxAiProxy {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private VertxAiProxy() {
    }

    public static void main(String[] args) {
        int port = Integer.parseInt(args[0]);
        Origin upstream = Origin.http("127.0.0.1", Integer.parseInt(args[1]));
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setPreferNativeTransport(true));
        Http1Client client = new Http1Client(vertx);
        vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(port))
                .requestHandler(request -> request.body().onSuccess(body -> relay(client, upstream, request, body)))
                .listen()
                .await();
        System.out.println("listening on 127.0.0.1:" + port + ", native transport " + vertx.isNativeTransportEnabled());
    }

    private static void relay(Http1Client client, Origin upstream, HttpServerRequest request, Buffer body) {
        byte[] providerRequest;
        String model;
        try {
            ObjectNode chat = (ObjectNode) MAPPER.readTree(body.getBytes());
            model = chat.path("model").asText();
            chat.put("model", "bench-model");
            providerRequest = MAPPER.writeValueAsBytes(chat);
        } catch (IOException | ClassCastException e) {
            request.response().setStatusCode(400).end();
            return;
        }
        MultiMap headers = HttpHeaders.headers()
                .add(HttpHeaders.HOST, "127.0.0.1:" + upstream.port())
                .add(HttpHeaders.CONTENT_TYPE, "application/json")
                .add(HttpHeaders.AUTHORIZATION, "Bearer provider-key");
        client.send(HttpMethod.POST, upstream, "/v1/chat/completions", headers, Buffer.buffer(providerRequest), 5_000,
                5_000, new Http1ResponseHandler() {
                    @Override
                    public void response(Http1Exchange exchange) {
                        exchange.bodyHandler(completion -> respond(request, model, completion));
                    }

                    @Override
                    public void failed(Throwable cause) {
                        request.response().setStatusCode(502).end();
                    }
                });
    }

    private static void respond(HttpServerRequest request, String model, Buffer completion) {
        try {
            ObjectNode tree = (ObjectNode) MAPPER.readTree(completion.getBytes());
            JsonNode usage = tree.path("usage");
            long tokens = usage.path("prompt_tokens").asLong() + usage.path("completion_tokens").asLong();
            tree.put("model", model);
            request.response()
                    .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                    .putHeader("x-tokens", Long.toString(tokens))
                    .end(Buffer.buffer(MAPPER.writeValueAsBytes(tree)));
        } catch (IOException | ClassCastException e) {
            request.response().setStatusCode(502).end();
        }
    }
}
