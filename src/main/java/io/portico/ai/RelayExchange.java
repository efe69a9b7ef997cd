package io.portico.ai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.catalog.ModelInfo;
import io.portico.ai.frontend.Frontend;
import io.portico.ai.provider.OpenAiUsage;
import io.portico.ai.provider.Wire;
import io.portico.ai.spi.AiError;
import io.portico.ai.spi.CallTarget;
import io.portico.ai.spi.ProviderAdapter;
import io.portico.ai.spi.ProviderCall;
import io.portico.ai.spi.Usage;
import io.portico.pipeline.RequestContext;
import io.vertx.core.Future;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.RequestOptions;
import java.util.List;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The simpler AI operations: embeddings, the Responses API and token counting. Each target is tried once with a key
 * from its pool, the next one after a 429, a 5xx, a 404 or a connection failure. Responses API streams are relayed
 * byte for byte while their usage is read on the way. When the client leaves first, the provider request is
 * cancelled and the access-log line names the provider model called, with the usage of a stream that had started.
 */
final class RelayExchange {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Logger LOG = LoggerFactory.getLogger(RelayExchange.class);

    /** What to do with a successful provider response. */
    private interface Completion {
        void complete(RelayExchange exchange, HttpClientResponse response, CallTarget target, ProviderAdapter adapter);
    }

    private final AiGateway gateway;
    private final RequestContext ctx;
    private final Frontend frontend;
    private final ObjectNode body;
    private final List<Target> targets;
    private final BiFunction<ProviderAdapter, CallTarget, ProviderCall> build;
    private final Completion completion;
    private final String operation;
    private int index;
    /** The label of the key of the current attempt. */
    private String keyLabel;
    private Target target;
    private long start;
    /** The provider request of the current attempt, once it is open; null before and after an attempt. */
    private HttpClientRequest upstream;
    /** True from sending an attempt until it fails. A client that leaves meanwhile gets its provider model logged. */
    private boolean inFlight;
    /** True once the exchange ended: its response was written, it failed, or the client left. */
    private boolean done;
    /** The usage of the Responses API stream being relayed; null until a stream starts. */
    private ResponsesUsage streamUsage;
    private AiError lastError;

    private RelayExchange(AiGateway gateway, RequestContext ctx, Frontend frontend, ObjectNode body,
                          List<Target> targets, String operation,
                          BiFunction<ProviderAdapter, CallTarget, ProviderCall> build, Completion completion) {
        this.gateway = gateway;
        this.ctx = ctx;
        this.frontend = frontend;
        this.body = body;
        this.targets = targets;
        this.operation = operation;
        this.build = build;
        this.completion = completion;
    }

    static void embeddings(AiGateway gateway, RequestContext ctx, Frontend frontend, ObjectNode body,
                           List<Target> targets) {
        new RelayExchange(gateway, ctx, frontend, body, targets, "embeddings",
                (adapter, target) -> adapter.supportsEmbeddings() ? adapter.embeddings(body, target) : null,
                RelayExchange::completeEmbeddings).start();
    }

    static void responses(AiGateway gateway, RequestContext ctx, Frontend frontend, ObjectNode body,
                          List<Target> targets) {
        new RelayExchange(gateway, ctx, frontend, body, targets, "the Responses API",
                (adapter, target) -> adapter.responses(body, target), RelayExchange::completeResponses).start();
    }

    static void countTokens(AiGateway gateway, RequestContext ctx, Frontend frontend, ObjectNode body,
                            List<Target> targets) {
        for (Target target : targets) {
            ProviderCall call = target.provider().adapter().countTokens(body, callTarget(gateway, target, null));
            if (call != null) {
                new RelayExchange(gateway, ctx, frontend, body, List.of(target), "token counting",
                        (adapter, callTarget) -> adapter.countTokens(body, callTarget),
                        RelayExchange::completeRaw).start();
                return;
            }
        }
        new PromptTokens(gateway.compute(), anthropicToOpenAi(body)).count().onComplete(counted -> {
            if (ctx.response().closed()) {
                return;
            }
            if (counted.failed()) {
                LOG.warn("Counting the tokens of request {} failed", ctx.requestId(), counted.cause());
                AiError error = AiError.of(500, "the tokens could not be counted");
                AiGateway.recordError(ctx, error);
                frontend.writeError(ctx.response(), error);
                return;
            }
            ObjectNode count = NODES.objectNode().put("input_tokens", counted.result());
            ctx.response().putHeader("content-type", "application/json").end(count.toString());
        });
    }

    private static ObjectNode anthropicToOpenAi(ObjectNode anthropic) {
        return new io.portico.ai.frontend.AnthropicFrontend().parse(withDefaults(anthropic)).body();
    }

    private static ObjectNode withDefaults(ObjectNode anthropic) {
        ObjectNode copy = anthropic.deepCopy();
        if (!copy.has("max_tokens")) {
            copy.put("max_tokens", 1);
        }
        return copy;
    }

    private static CallTarget callTarget(AiGateway gateway, Target target, String key) {
        ProviderRuntime provider = target.provider();
        ModelInfo info = gateway.catalog().find(provider.type().id(), target.model()).orElse(null);
        return new CallTarget(provider.spec(), provider.baseUrl(), target.model(), key, info);
    }

    private void start() {
        ctx.onClose(this::clientClosed);
        next();
    }

    private void next() {
        inFlight = false;
        upstream = null;
        if (done) {
            return;
        }
        // Only chat requests count towards a circuit breaker; these operations skip models whose breaker is open.
        while (index < targets.size() && !targets.get(index).stats().available()) {
            index++;
        }
        if (index >= targets.size()) {
            AiError error = lastError != null ? lastError : AiError.of(503, "no provider could serve the request");
            fail(error);
            return;
        }
        target = targets.get(index++);
        KeySelection keys = new KeySelection(target.provider(), target.model(), AiGateway.keyCheck(ctx));
        KeyPool.Key key = keys.next();
        keyLabel = key == null ? null : key.label();
        if (key == null) {
            lastError = keys.exhausted();
            next();
            return;
        }
        CallTarget callTarget = callTarget(gateway, target, key.secret());
        ProviderAdapter adapter = target.provider().adapter();
        ProviderCall built = build.apply(adapter, callTarget);
        if (built == null) {
            lastError = AiError.of(400, "unsupported", "provider '" + target.provider().name() + "' does not offer "
                    + operation);
            next();
            return;
        }
        adapter.authorize(built, callTarget).onComplete(authorized -> {
            if (done) {
                return;
            }
            if (authorized.failed()) {
                lastError = AiError.of(502, "authorization with provider '" + target.provider().name() + "' failed");
                next();
                return;
            }
            send(authorized.result(), callTarget, adapter, key);
        });
    }

    private void send(ProviderCall call, CallTarget callTarget, ProviderAdapter adapter, KeyPool.Key key) {
        RequestOptions options = new RequestOptions().setMethod(call.method()).setAbsoluteURI(call.url())
                .setHeaders(call.headers())
                .setConnectTimeout(target.provider().spec().timeouts().connect().toMillis())
                .setIdleTimeout(target.provider().spec().timeouts().total().toMillis());
        start = System.nanoTime();
        inFlight = true;
        gateway.client().request(options)
                .compose(request -> {
                    request.exceptionHandler(cause -> LOG.debug("Request {} to provider {} failed: {}",
                            ctx.requestId(), target.provider().name(), cause.getMessage()));
                    if (done) {
                        request.reset();
                        return Future.failedFuture("the client closed the connection");
                    }
                    upstream = request;
                    return call.body() == null ? request.send() : request.send(call.body());
                })
                .onComplete(result -> {
                    if (done) {
                        return;
                    }
                    if (result.failed()) {
                        lastError = AiError.of(502, "provider '" + target.provider().name() + "' failed: "
                                + result.cause().getMessage());
                        gateway.metrics().failed(target.provider().name(), gateway.metricModel(target), 502);
                        next();
                        return;
                    }
                    HttpClientResponse response = result.result();
                    int status = response.statusCode();
                    if (status >= 200 && status < 300) {
                        completion.complete(this, response, callTarget, adapter);
                        return;
                    }
                    if (status < 200) {
                        // Vert.x's client delivers a 1xx other than 100 and 103 as the final response, so its
                        // status must not become the status of the client's response.
                        response.request().reset();
                        handleError(AiError.of(502, "provider '" + target.provider().name() + "' sent an invalid"
                                + " response: status " + status + " where a final response was due"), key);
                        return;
                    }
                    response.body().onComplete(errorBody -> {
                        if (done) {
                            return;
                        }
                        AiError error = adapter.error(status, response.headers(),
                                errorBody.succeeded() ? errorBody.result() : null);
                        handleError(error, key);
                    });
                });
    }

    private void handleError(AiError error, KeyPool.Key key) {
        lastError = error;
        gateway.metrics().failed(target.provider().name(), gateway.metricModel(target), error.status());
        if (error.status() == 429) {
            target.provider().keys().coolDown(key, target.model(), error.retryAfterMillis());
        } else if (error.status() == 401 || error.status() == 403) {
            target.provider().keys().revoke(key, error.status());
        }
        if (error.retryable() || error.status() == 404 || error.status() == 401 || error.status() == 403) {
            next();
        } else {
            fail(error);
        }
    }

    /** Ends the exchange with {@code error}, in the client protocol's error shape. */
    private void fail(AiError error) {
        done = true;
        AiGateway.recordError(ctx, error);
        frontend.writeError(ctx.response(), error);
    }

    /**
     * Cancels the provider request of a client that left before the response ended, as {@link ChatExchange} does.
     * A stream that started records the usage of what it relayed, because the provider bills those tokens: the
     * provider's usage when it reported any, else Portico's estimate. A call that streamed nothing records no
     * usage, and its access-log line names the provider model.
     */
    private void clientClosed() {
        if (done || ctx.response().ended()) {
            return;
        }
        done = true;
        if (streamUsage != null) {
            ctx.logField("ai_error", AiGateway.CLIENT_CLOSED);
            record(streamUsage.usage(this::promptTokens));
        } else if (inFlight) {
            AiGateway.logTarget(ctx, target);
            ctx.logField("ai_error", AiGateway.CLIENT_CLOSED);
        }
        if (upstream != null) {
            upstream.reset();
        }
    }

    /** Returns the prompt tokens of this Responses API request, for an estimate of its usage. */
    private PromptTokens promptTokens() {
        return new PromptTokens(gateway.compute(), ResponsesUsage.prompt(body));
    }

    private double elapsedMillis() {
        return (System.nanoTime() - start) / 1_000_000.0;
    }

    private static void completeEmbeddings(RelayExchange exchange, HttpClientResponse response, CallTarget target,
                                           ProviderAdapter adapter) {
        response.body().onComplete(result -> {
            if (exchange.done) {
                return;
            }
            JsonNode json = result.succeeded() ? Wire.parse(result.result()) : null;
            if (json == null) {
                exchange.lastError = AiError.of(502, "provider '" + target.provider().name()
                        + "' sent an invalid embeddings response");
                exchange.next();
                return;
            }
            ObjectNode translated = adapter.embeddingsResponse(json, exchange.body, target);
            Usage usage = OpenAiUsage.read(translated.get("usage"));
            exchange.done = true;
            exchange.finish(usage);
            exchange.ctx.response().putHeader("content-type", "application/json").end(Wire.json(translated));
        });
    }

    private static void completeRaw(RelayExchange exchange, HttpClientResponse response, CallTarget target,
                                    ProviderAdapter adapter) {
        response.body().onComplete(result -> {
            if (exchange.done) {
                return;
            }
            if (result.failed()) {
                exchange.lastError = AiError.of(502, "the response of provider '" + target.provider().name()
                        + "' broke off");
                exchange.next();
                return;
            }
            exchange.done = true;
            exchange.ctx.response().putHeader("content-type", "application/json").end(result.result());
        });
    }

    /** Relays a Responses API response; a stream is piped as it comes, its usage read from the completed event. */
    private static void completeResponses(RelayExchange exchange, HttpClientResponse response, CallTarget target,
                                          ProviderAdapter adapter) {
        String type = response.getHeader("content-type");
        var client = exchange.ctx.response();
        if (type == null || !type.startsWith("text/event-stream")) {
            response.body().onComplete(result -> {
                if (exchange.done) {
                    return;
                }
                if (result.failed()) {
                    exchange.lastError = AiError.of(502, "the response of provider '" + target.provider().name()
                            + "' broke off");
                    exchange.next();
                    return;
                }
                JsonNode json = Wire.parse(result.result());
                exchange.done = true;
                exchange.finish(ResponsesUsage.read(json == null ? null : json.get("usage")));
                client.putHeader("content-type", "application/json").end(result.result());
            });
            return;
        }
        client.setChunked(true).putHeader("content-type", type).putHeader("cache-control", "no-cache");
        exchange.gateway.usageHeaders(exchange.ctx, exchange.target, null);
        ResponsesUsage usage = new ResponsesUsage(exchange.ctx.requestId(), exchange.target.provider().name());
        exchange.streamUsage = usage;
        response.handler(bytes -> {
            if (exchange.done) {
                return;
            }
            usage.feed(bytes);
            client.write(bytes);
            if (client.writeQueueFull()) {
                response.pause();
                client.drainHandler(drained -> response.resume());
            }
        });
        response.exceptionHandler(cause -> {
            if (!exchange.done) {
                exchange.done = true;
                client.reset();
            }
        });
        response.endHandler(end -> {
            if (exchange.done) {
                return;
            }
            exchange.done = true;
            UsageRecord record = exchange.finish(usage.usage(exchange::promptTokens));
            exchange.gateway.usageTrailers(exchange.ctx, record);
            client.end();
        });
    }

    /** Records the usage of the current attempt and sets the usage headers of a response not yet sent. */
    private UsageRecord finish(Usage usage) {
        UsageRecord record = record(usage);
        gateway.usageHeaders(ctx, target, ctx.response().headWritten() ? null : record);
        return record;
    }

    /** Records the usage, latency and time to first token of the current attempt. */
    private UsageRecord record(Usage usage) {
        double elapsed = elapsedMillis();
        target.stats().recordLatency(elapsed);
        ModelInfo info = gateway.catalog().find(target.provider().type().id(), target.model()).orElse(null);
        long firstTokenNanos = streamUsage == null ? 0 : streamUsage.firstTokenNanos();
        double firstToken = firstTokenNanos == 0 ? elapsed : (firstTokenNanos - start) / 1_000_000.0;
        UsageRecord record = gateway.record(ctx, target, keyLabel, info, usage, elapsed, firstToken);
        if (firstTokenNanos != 0) {
            gateway.metrics().firstToken(target.provider().name(), gateway.metricModel(target), firstToken);
        }
        return record;
    }
}
