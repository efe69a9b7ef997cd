package io.portico.ai.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.spi.AiError;
import io.portico.ai.spi.CallTarget;
import io.portico.ai.spi.ChatRequest;
import io.portico.ai.spi.ChunkSink;
import io.portico.ai.spi.Protocol;
import io.portico.ai.spi.ProviderAdapter;
import io.portico.ai.spi.ProviderCall;
import io.portico.ai.spi.StreamTranslator;
import io.portico.ai.spi.Usage;
import io.portico.ai.stream.FrameParser;
import io.portico.config.Json;
import io.portico.config.ProviderSpec;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.RequestOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Builders shared by the Gemini and Vertex AI tests: JSON, requests, provider specs and a recording sink. */
public final class GoogleFixtures {

    private GoogleFixtures() {
    }

    /** Parses JSON written with single quotes for readability. */
    static JsonNode json(String singleQuoted) {
        try {
            return Json.MAPPER.readTree(singleQuoted.replace('\'', '"'));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Returns {@code node} as the parser reads it, so that numbers built as longs equal parsed ints. */
    static JsonNode reparsed(JsonNode node) {
        try {
            return Json.MAPPER.readTree(node.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ChatRequest request(String singleQuoted) {
        ObjectNode body = (ObjectNode) json(singleQuoted);
        return new ChatRequest(body, body.deepCopy(), Protocol.OPENAI, body.path("model").asText("m"),
                body.path("stream").asBoolean(false), true);
    }

    static ProviderSpec gemini(String baseUrl) {
        return spec("gemini", baseUrl, Map.of(), null, null, null, null);
    }

    static ProviderSpec vertex(String baseUrl, String region, String serviceAccount, String tokenUrl) {
        return spec("vertex", baseUrl, Map.of(), region, "proj-1", serviceAccount, tokenUrl);
    }

    static ProviderSpec spec(String type, String baseUrl, Map<String, String> headers, String region, String project,
                             String serviceAccount, String tokenUrl) {
        return new ProviderSpec("google-test", type, baseUrl, List.of(), null, List.of(), headers, null, Map.of(),
                region, project, null, null, null, serviceAccount, tokenUrl, null, null, null);
    }

    static CallTarget target(ProviderSpec spec, String baseUrl, String model, String key) {
        return new CallTarget(spec, baseUrl, model, key, null);
    }

    /**
     * What a provider returned for one call.
     *
     * @param status the HTTP status
     * @param body the whole body; empty for a translated stream
     * @param sink the translated chunks of a stream; null when the call was not streamed or failed
     * @param failure the connection error that ended a stream early, or null
     */
    record Outcome(int status, MultiMap headers, Buffer body, RecordingSink sink, Throwable failure) {
    }

    /**
     * Sends {@code call} and, when {@code translator} is given and the status is 200, feeds the body through the
     * adapter's frame parser and the translator.
     */
    static Outcome send(Vertx vertx, HttpClient client, ProviderCall call, ProviderAdapter adapter,
                        StreamTranslator translator) {
        RequestOptions options = new RequestOptions().setMethod(call.method()).setAbsoluteURI(call.url())
                .setHeaders(call.headers());
        Promise<Outcome> done = Promise.promise();
        // The exchange runs on one event loop, because a handler set from the test thread can miss bytes, or the
        // end, that arrived before it was set.
        vertx.runOnContext(start -> client.request(options).onComplete(opened -> {
            if (opened.failed()) {
                done.fail(opened.cause());
                return;
            }
            opened.result().send(call.body()).onComplete(sent -> {
                if (sent.failed()) {
                    done.fail(sent.cause());
                } else {
                    receive(sent.result(), adapter, translator, done);
                }
            });
        }));
        return await(done.future());
    }

    private static void receive(HttpClientResponse response, ProviderAdapter adapter, StreamTranslator translator,
                                Promise<Outcome> done) {
        if (translator == null || response.statusCode() != 200) {
            response.body().onComplete(body -> {
                if (body.failed()) {
                    done.fail(body.cause());
                } else {
                    done.complete(new Outcome(response.statusCode(), response.headers(), body.result(), null, null));
                }
            });
            return;
        }
        RecordingSink sink = new RecordingSink();
        FrameParser parser = FrameParser.create(adapter.framing());
        response.handler(bytes -> parser.feed(bytes, frame -> translator.frame(frame, sink)));
        response.exceptionHandler(cause -> done.tryComplete(new Outcome(200, response.headers(), Buffer.buffer(),
                sink, cause)));
        response.endHandler(ignored -> {
            parser.end(frame -> translator.frame(frame, sink));
            translator.end(sink);
            done.tryComplete(new Outcome(200, response.headers(), Buffer.buffer(), sink, null));
        });
    }

    /** Waits up to ten seconds for {@code future} on the test thread. */
    static <T> T await(Future<T> future) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException | TimeoutException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Records what a stream translator emits. */
    static final class RecordingSink implements ChunkSink {

        final List<ObjectNode> chunks = new ArrayList<>();
        final List<AiError> errors = new ArrayList<>();
        Usage usage = Usage.NONE;

        @Override
        public void chunk(ObjectNode chunk) {
            chunks.add(chunk);
        }

        @Override
        public void usage(Usage reported) {
            usage = reported;
        }

        @Override
        public void fail(AiError error) {
            errors.add(error);
        }

        /** Returns each chunk's delta, with its finish reason as a {@code finish} field when it has one. */
        List<JsonNode> deltas() {
            List<JsonNode> deltas = new ArrayList<>();
            for (ObjectNode chunk : chunks) {
                JsonNode choice = chunk.path("choices").path(0);
                ObjectNode delta = choice.path("delta").deepCopy();
                if (!choice.path("finish_reason").isNull()) {
                    delta.put("finish", choice.path("finish_reason").asText());
                }
                deltas.add(reparsed(delta));
            }
            return deltas;
        }
    }
}
