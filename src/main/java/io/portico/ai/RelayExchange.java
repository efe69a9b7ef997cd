package io.portico.ai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.catalog.ModelInfo;
import io.portico.ai.frontend.Frontend;
import io.portico.ai.frontend.StreamEnd;
import io.portico.ai.provider.OpenAiUsage;
import io.portico.ai.provider.Wire;
import io.portico.ai.spi.AiError;
import io.portico.ai.spi.AiException;
import io.portico.ai.spi.CallTarget;
import io.portico.ai.spi.ProviderAdapter;
import io.portico.ai.spi.ProviderCall;
import io.portico.ai.spi.Usage;
import io.portico.ai.stream.SseRelayBuffer;
import io.portico.net.client.Http1Exchange;
import io.portico.net.client.Http1ResponseHandler;
import io.portico.net.client.ResponseTooLargeException;
import io.portico.pipeline.RequestContext;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The simpler AI operations: embeddings, the Responses API and token counting. Each target is tried once with a key
 * from its pool, the next one after a 429, a 5xx, a 404 or a connection failure. After a 429, 401 or 403, another
 * key of the same provider repeats the call at once when one is available, as for chat completions (see
 * {@link KeySelection#callFailed}), and only then does the next target follow. Responses API streams are relayed
 * byte for byte while their usage is read on the way. When the client leaves first, the provider request is
 * cancelled and the access-log line names the provider model called, with the usage of a stream that had started.
 * A provider request whose body is larger than {@value #INLINE_BYTES} bytes is built on the AI gateway's compute
 * threads, and so is the translation of a response that large. Calls go through the gateway's {@link
 * io.portico.net.client.Http1Client}, as chat requests do, and the provider's {@code timeouts.total} bounds each
 * attempt from its authorization to the last byte of its response.
 */
final class RelayExchange {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Logger LOG = LoggerFactory.getLogger(RelayExchange.class);
    /**
     * The maximum size in bytes of a request or response body whose provider request is built, or whose response is
     * translated, on the event loop. Adapters copy and serialize the whole body, which for megabytes of input or
     * vectors would hold the event loop for milliseconds, as parsing them would.
     */
    private static final int INLINE_BYTES = 256 * 1024;

    /** What to do with a successful provider response. */
    private interface Completion {
        void complete(RelayExchange exchange, Http1Exchange response, CallTarget target, ProviderAdapter adapter);
    }

    /** The usage that a Responses API response reports, and its generated text when it reports none. */
    private record ReplyUsage(Usage reported, String output) {
    }

    private final AiGateway gateway;
    private final RequestContext ctx;
    private final Frontend frontend;
    private final ObjectNode body;
    private final long bodyBytes;
    /** The input tokens of the request, for the estimate of a response without usage; null for token counting. */
    private final PromptTokens input;
    private final List<Target> targets;
    private final BiFunction<ProviderAdapter, CallTarget, ProviderCall> build;
    private final Completion completion;
    private final String operation;
    private int index;
    /** The keys of the current target left for this request. */
    private KeySelection keys;
    /** The label of the key of the current attempt. */
    private String keyLabel;
    private Target target;
    private long start;
    /** The number of the current attempt, so that the callbacks of an attempt that ended do nothing. */
    private int attempt;
    /** The timer of the current attempt's {@code timeouts.total}, or -1. */
    private long totalTimer = -1;
    /** The provider request of the current attempt, once it is sent; null before and after an attempt. */
    private Http1Exchange upstream;
    /** The call of the current attempt once it is sent, whose credentials are removed from its errors, or null. */
    private ProviderCall sentCall;
    /** True from sending an attempt until it fails. A client that leaves meanwhile gets its provider model logged. */
    private boolean inFlight;
    /** True once the exchange ended: its response was written, it failed, or the client left. */
    private boolean done;
    /** The usage of the Responses API stream being relayed; null until a stream starts. */
    private ResponsesUsage streamUsage;
    /** The bytes of the Responses API stream being relayed that wait for the end of their event. */
    private SseRelayBuffer streamEvents;
    private AiError lastError;
    /** The target whose call ended with {@link #lastError}; null while no call failed. */
    private Target failedTarget;

    private RelayExchange(AiGateway gateway, RequestContext ctx, Frontend frontend, ObjectNode body, long bodyBytes,
                          PromptTokens input, List<Target> targets, String operation,
                          BiFunction<ProviderAdapter, CallTarget, ProviderCall> build, Completion completion) {
        this.gateway = gateway;
        this.ctx = ctx;
        this.frontend = frontend;
        this.body = body;
        this.bodyBytes = bodyBytes;
        this.input = input;
        this.targets = targets;
        this.operation = operation;
        this.build = build;
        this.completion = completion;
    }

    /**
     * Serves an embeddings request.
     *
     * @param bodyBytes the size of the request body as the client sent it
     * @param input the tokens of the request's input, which no one may change afterwards
     */
    static void embeddings(AiGateway gateway, RequestContext ctx, Frontend frontend, ObjectNode body, long bodyBytes,
                           PromptTokens input, List<Target> targets) {
        new RelayExchange(gateway, ctx, frontend, body, bodyBytes, input, targets, "embeddings",
                (adapter, target) -> adapter.supportsEmbeddings() ? adapter.embeddings(body, target) : null,
                RelayExchange::completeEmbeddings).start();
    }

    /**
     * Serves a Responses API request, streamed or not.
     *
     * @param bodyBytes the size of the request body as the client sent it
     * @param input the tokens of the request's input, which no one may change afterwards
     */
    static void responses(AiGateway gateway, RequestContext ctx, Frontend frontend, ObjectNode body, long bodyBytes,
                          PromptTokens input, List<Target> targets) {
        new RelayExchange(gateway, ctx, frontend, body, bodyBytes, input, targets, "the Responses API",
                (adapter, target) -> adapter.responses(body, target), RelayExchange::completeResponses).start();
    }

    /**
     * Serves a token count: relayed to the first target whose provider counts tokens, else counted by Portico.
     *
     * @param bodyBytes the size of the request body as the client sent it
     */
    static void countTokens(AiGateway gateway, RequestContext ctx, Frontend frontend, ObjectNode body, long bodyBytes,
                            List<Target> targets) {
        for (Target target : targets) {
            // NOTE: this check builds the whole provider request on the event loop, and the exchange builds it again.
            ProviderCall call = target.provider().adapter().countTokens(body, callTarget(gateway, target, null));
            if (call != null) {
                new RelayExchange(gateway, ctx, frontend, body, bodyBytes, null, List.of(target), "token counting",
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

    /** Ends the current attempt and moves to the next target, or fails when none is left. */
    private void next() {
        if (!endAttempt()) {
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
        keys = new KeySelection(target.provider(), target.model(), AiGateway.keyCheck(ctx));
        tryKey();
    }

    /**
     * Ends the current attempt, and returns false when the exchange ended meanwhile, so that nothing follows. The
     * callbacks of the attempt that ended do nothing afterwards.
     */
    private boolean endAttempt() {
        if (cutOffAfterClose()) {
            return false;
        }
        inFlight = false;
        upstream = null;
        sentCall = null;
        attempt++;
        cancelTotalTimer();
        return !done;
    }

    /** Calls the current target with the next key of its pool, or moves to the next target when none is left. */
    private void tryKey() {
        KeyPool.Key key = keys.next();
        keyLabel = key == null ? null : key.label();
        if (key == null) {
            lastError = keys.exhausted();
            next();
            return;
        }
        CallTarget callTarget = callTarget(gateway, target, key.secret());
        ProviderAdapter adapter = target.provider().adapter();
        offLoop(bodyBytes, () -> build.apply(adapter, callTarget)).onComplete(built -> {
            // The client may have left while a large request was built; then nothing is sent.
            if (done) {
                return;
            }
            if (built.failed()) {
                buildFailed(built.cause());
                return;
            }
            if (built.result() == null) {
                // A target that cannot serve the operation is not an attempt, so any other error comes first.
                if (lastError == null) {
                    lastError = AiError.of(400, "unsupported", "provider '" + target.provider().name()
                            + "' does not offer " + operation);
                }
                next();
                return;
            }
            authorize(built.result(), callTarget, adapter, key);
        });
    }

    /**
     * Runs {@code task} on the event loop when {@code bytes}, the size of the body it reads, is at most
     * {@value #INLINE_BYTES}, else on the AI gateway's compute threads. Either way the future completes on the
     * request's event loop.
     */
    private <T> Future<T> offLoop(long bytes, Callable<T> task) {
        if (bytes > INLINE_BYTES) {
            return gateway.compute().executeBlocking(task, false);
        }
        try {
            return Future.succeededFuture(task.call());
        } catch (Exception e) {
            return Future.failedFuture(e);
        }
    }

    /** Ends the exchange after the provider request could not be built: an invalid request, or a bug. */
    private void buildFailed(Throwable cause) {
        if (cause instanceof AiException e) {
            fail(e.error());
            return;
        }
        LOG.warn("Building request {} for provider {} failed", ctx.requestId(), target.provider().name(), cause);
        fail(AiError.of(500, "building the request to provider '" + target.provider().name() + "' failed"));
    }

    /**
     * Obtains the provider credentials of {@code call} and sends it. The timer of {@code timeouts.total} starts here,
     * so it bounds the wait for credentials too. The cause of a failure can name the token endpoint and the service
     * account, so it goes to the provider's WARN line and the client gets a message without it.
     */
    private void authorize(ProviderCall call, CallTarget callTarget, ProviderAdapter adapter, KeyPool.Key key) {
        int current = attempt;
        long millis = target.provider().spec().timeouts().total().toMillis();
        totalTimer = gateway.vertx().setTimer(millis, id -> timedOut(current, millis));
        adapter.authorize(call, callTarget).onComplete(authorized -> {
            if (done || current != attempt) {
                return;
            }
            if (authorized.failed()) {
                attemptFailed(new AiError(502, "api_error", AiGateway.PROVIDER_AUTHORIZATION_FAILED,
                        "authorization with provider '" + target.provider().name() + "' failed", -1),
                        describe(authorized.cause()));
                return;
            }
            send(authorized.result(), callTarget, adapter, key, current);
        });
    }

    /**
     * Ends the attempt {@code current} when its {@code timeouts.total} passed: a stream that started ends with an
     * error event, and any other attempt fails with 504 and moves on to the next target.
     */
    private void timedOut(int current, long millis) {
        totalTimer = -1;
        if (done || current != attempt) {
            return;
        }
        String provider = target.provider().name();
        if (sentCall == null) {
            attemptFailed(AiError.of(504, "timeout", "authorization with provider '" + provider
                    + "' did not complete within " + millis + " ms"), null);
            return;
        }
        AiError error = AiError.of(504, "timeout", "provider '" + provider + "' did not send the whole response"
                + " within " + millis + " ms");
        if (streamUsage != null) {
            streamFailed(error, false, null);
            return;
        }
        if (upstream != null) {
            upstream.reset();
        }
        attemptFailed(error, null);
    }

    /** Marks the exchange as ended: its response was written, it failed, or the client left. */
    private void end() {
        done = true;
        cancelTotalTimer();
    }

    private void cancelTotalTimer() {
        if (totalTimer >= 0) {
            gateway.vertx().cancelTimer(totalTimer);
            totalTimer = -1;
        }
    }

    private static String describe(Throwable cause) {
        return cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName();
    }

    /** Returns the secrets removed from the current attempt's errors: the provider's and those of the call sent. */
    private ProviderSecrets secrets() {
        return target.provider().secrets().forCall(sentCall);
    }

    /**
     * Ends the current attempt with {@code error}, which contains no secret, and tries the next target. A failure
     * with status 500 or above is logged in the provider's rate-limited WARN line.
     *
     * @param reason the cause for the node's log, when the client's message leaves it out; null for none
     */
    private void attemptFailed(AiError error, String reason) {
        if (cutOffAfterClose()) {
            return;
        }
        lastError = error;
        failedTarget = target;
        warnFailure(error, reason == null ? null : secrets().redact(reason));
        next();
    }

    private void warnFailure(AiError error, String reason) {
        if (error.status() >= 500) {
            target.provider().failures().failed(ctx.requestId(), target.model(), error, reason);
        }
    }

    private void send(ProviderCall call, CallTarget callTarget, ProviderAdapter adapter, KeyPool.Key key,
                      int current) {
        if (cutOffAfterClose()) {
            return;
        }
        sentCall = call;
        start = System.nanoTime();
        inFlight = true;
        Http1ResponseHandler handler = new Http1ResponseHandler() {
            @Override
            public void response(Http1Exchange response) {
                if (done || current != attempt) {
                    response.reset();
                    return;
                }
                onResponse(response, callTarget, adapter, key);
            }

            @Override
            public void failed(Throwable cause) {
                if (done || current != attempt || cutOffAfterClose()) {
                    return;
                }
                // The cause can name the provider's internal address, so only the log gets it.
                gateway.metrics().failed(target.provider().name(), gateway.metricModel(target), 502);
                attemptFailed(AiError.of(502, "provider '" + target.provider().name() + "' is unreachable or"
                        + " closed the connection"), describe(cause));
            }
        };
        try {
            upstream = gateway.providerClient().send(call.method(), call.url(), call.headers(), call.body(),
                    target.provider().spec().timeouts().connect().toMillis(), handler);
        } catch (IllegalArgumentException | IllegalStateException e) {
            // An invalid provider URL, or a gateway that is shutting down.
            attemptFailed(AiError.of(502, "provider '" + target.provider().name() + "' could not be called"),
                    describe(e));
        }
    }

    private void onResponse(Http1Exchange response, CallTarget callTarget, ProviderAdapter adapter,
                            KeyPool.Key key) {
        int status = response.status();
        if (status >= 200 && status < 300) {
            target.provider().keys().succeeded(key);
            completion.complete(this, response, callTarget, adapter);
            return;
        }
        Handler<Buffer> failed = errorBody -> {
            if (!done) {
                handleError(adapter.error(status, response.headers(), errorBody), key);
            }
        };
        response.bodyStartHandler(ChatExchange.MAX_ERROR_BODY_BYTES, failed)
                .exceptionHandler(cause -> failed.handle(null));
    }

    /** Returns the error of a provider response body that could not be read to its end. */
    private static AiError bodyFailure(CallTarget target, Throwable cause) {
        if (cause instanceof ResponseTooLargeException tooLarge) {
            return AiError.of(502, "the response of provider '" + target.provider().name() + "' is larger than "
                    + tooLarge.maxBytes() + " bytes, the limit that the node setting ai.maxResponseBytes sets");
        }
        return AiError.of(502, "the response of provider '" + target.provider().name() + "' "
                + ChatExchange.brokenOff(cause));
    }

    /**
     * Collects a provider's reply up to {@code ai.maxResponseBytes} and hands it to {@code then}, unless the exchange
     * has ended. A reply whose reading failed moves the exchange on to its next target. A reply that is too large
     * ends the exchange with 502 instead, because the provider did the work and bills it, and the same request
     * would most likely bring as large a reply again.
     */
    private void collectReply(Http1Exchange response, CallTarget callTarget, Consumer<Buffer> then) {
        response.exceptionHandler(cause -> {
            if (done) {
                return;
            }
            if (cause instanceof ResponseTooLargeException) {
                AiError error = bodyFailure(callTarget, cause);
                failedTarget = target;
                warnFailure(error, null);
                fail(error);
                return;
            }
            // The cause can name the provider's address, so only the node's log gets it.
            attemptFailed(bodyFailure(callTarget, cause), describe(cause));
        });
        response.bodyHandler(gateway.maxResponseBytes(), body -> {
            if (!done) {
                // The whole response arrived in time; what remains is Portico's own work.
                cancelTotalTimer();
                then.accept(body);
            }
        });
    }

    private void handleError(AiError providerError, KeyPool.Key key) {
        if (cutOffAfterClose()) {
            return;
        }
        // Provider messages can echo the key that Portico sent, and this error may reach the client.
        AiError error = secrets().redact(providerError).asProviderRateLimit();
        lastError = error;
        failedTarget = target;
        warnFailure(error, null);
        gateway.metrics().failed(target.provider().name(), gateway.metricModel(target), error.status());
        if (keys.callFailed(key, error, gateway.configured(target))) {
            if (endAttempt()) {
                tryKey();
            }
            return;
        }
        if (error.status() == 401 || error.status() == 403) {
            lastError = ChatExchange.keyRejected(target.provider().name(), error.status());
        }
        if (error.retryable() || error.status() == 404 || error.status() == 401 || error.status() == 403) {
            next();
        } else {
            fail(error);
        }
    }

    /** Ends the exchange with {@code error}, in the client protocol's error shape. */
    private void fail(AiError error) {
        if (cutOffAfterClose()) {
            return;
        }
        end();
        AiGateway.recordError(ctx, error);
        // The access-log line names the provider model whose call failed last, as for chat requests.
        if (failedTarget != null) {
            AiGateway.logTarget(ctx, failedTarget);
        }
        ctx.logField("ai_error", error.code() != null ? error.code() : error.type());
        frontend.writeError(ctx.response(), error);
    }

    /** Cuts off the client without a response when the node's stop closed the provider clients first. */
    private boolean cutOffAfterClose() {
        return !done && !ctx.response().ended() && gateway.cutOffAfterClose(ctx, this::clientClosed);
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
        end();
        if (streamUsage != null) {
            ctx.logField("ai_error", AiGateway.CLIENT_CLOSED);
            record(streamUsage.usage(input), 0);
        } else if (inFlight) {
            AiGateway.logTarget(ctx, target);
            ctx.logField("ai_error", AiGateway.CLIENT_CLOSED);
        }
        if (upstream != null) {
            upstream.reset();
        }
    }

    private double elapsedMillis() {
        return (System.nanoTime() - start) / 1_000_000.0;
    }

    /**
     * Translates an embeddings response into OpenAI's shape. A response without usage gets Portico's estimate of
     * the input tokens as its usage, as a chat completion does.
     */
    private static void completeEmbeddings(RelayExchange exchange, Http1Exchange response, CallTarget target,
                                           ProviderAdapter adapter) {
        exchange.collectReply(response, target, raw -> {
            exchange.offLoop(raw.length(), () -> {
                JsonNode json = Wire.parse(raw);
                return json == null ? null : adapter.embeddingsResponse(json, exchange.body, target);
            }).onComplete(translated -> {
                if (exchange.done) {
                    return;
                }
                if (translated.failed()) {
                    LOG.debug("Translating the embeddings of provider {} failed", target.provider().name(),
                            translated.cause());
                }
                if (translated.failed() || translated.result() == null) {
                    exchange.invalidEmbeddings(target);
                    return;
                }
                exchange.respondEmbeddings(translated.result(), raw.length());
            });
        });
    }

    private void invalidEmbeddings(CallTarget callTarget) {
        attemptFailed(AiError.of(502, "provider '" + callTarget.provider().name()
                + "' sent an invalid embeddings response"), null);
    }

    /** Records the usage of a translated embeddings response and sends it, serialized off the loop when large. */
    private void respondEmbeddings(ObjectNode translated, long bytes) {
        Usage usage = input.reportedOrEstimate(OpenAiUsage.read(translated.get("usage")), () -> "");
        if (usage.estimated()) {
            translated.putObject("usage").put("prompt_tokens", usage.inputTokens())
                    .put("total_tokens", usage.totalTokens());
        }
        offLoop(bytes, () -> Wire.json(translated)).onComplete(serialized -> {
            if (done) {
                return;
            }
            end();
            if (serialized.failed()) {
                LOG.warn("Serializing the embeddings response of request {} failed", ctx.requestId(),
                        serialized.cause());
                AiError error = AiError.of(500, "the embeddings response could not be written");
                AiGateway.recordError(ctx, error);
                frontend.writeError(ctx.response(), error);
                return;
            }
            finish(usage);
            ctx.response().putHeader("content-type", "application/json").end(serialized.result());
        });
    }

    private static void completeRaw(RelayExchange exchange, Http1Exchange response, CallTarget target,
                                    ProviderAdapter adapter) {
        exchange.collectReply(response, target, raw -> {
            exchange.end();
            exchange.ctx.response().putHeader("content-type", "application/json").end(raw);
        });
    }

    /** Relays a Responses API response as it is, streamed or not, and records its usage. */
    private static void completeResponses(RelayExchange exchange, Http1Exchange response, CallTarget target,
                                          ProviderAdapter adapter) {
        String type = response.headers().get("content-type");
        if (type != null && type.startsWith("text/event-stream")) {
            exchange.relayStream(response, type);
            return;
        }
        exchange.collectReply(response, target, raw -> {
            exchange.offLoop(raw.length(), () -> readReplyUsage(raw)).onComplete(read -> {
                if (exchange.done) {
                    return;
                }
                if (read.failed()) {
                    LOG.debug("Reading the usage of request {} failed", exchange.ctx.requestId(), read.cause());
                }
                ReplyUsage reply = read.succeeded() ? read.result() : new ReplyUsage(Usage.NONE, "");
                exchange.end();
                exchange.finish(exchange.input.reportedOrEstimate(reply.reported(), reply::output));
                exchange.ctx.response().putHeader("content-type", "application/json").end(raw);
            });
        });
    }

    /** Reads the usage of a Responses API response, and its output text when it reports none. */
    private static ReplyUsage readReplyUsage(Buffer raw) {
        JsonNode json = Wire.parse(raw);
        if (json == null) {
            return new ReplyUsage(Usage.NONE, "");
        }
        Usage reported = ResponsesUsage.read(json.get("usage"));
        return new ReplyUsage(reported, reported.totalTokens() > 0 ? "" : ResponsesUsage.outputText(json));
    }

    /**
     * Relays a Responses API stream byte for byte, each event once it is complete, and reads its usage on the way.
     * A stream that breaks off, or ends before its terminal event, ends with an {@code error} event.
     */
    private void relayStream(Http1Exchange response, String type) {
        HttpServerResponse client = ctx.response();
        client.setChunked(true).putHeader("content-type", type).putHeader("cache-control", "no-cache");
        gateway.usageHeaders(ctx, target, null);
        ResponsesUsage usage = new ResponsesUsage(ctx.requestId(), target.provider().name());
        SseRelayBuffer events = new SseRelayBuffer();
        streamUsage = usage;
        streamEvents = events;
        response.handler(bytes -> {
            if (done) {
                return;
            }
            usage.feed(bytes);
            Buffer ready = events.feed(bytes);
            if (usage.failure() != null && ready.length() > 0) {
                // Events pass through unchanged, except the provider's error event, which may echo the key.
                ready = Buffer.buffer(secrets().redact(ready.toString(StandardCharsets.UTF_8)));
            }
            if (ready.length() > 0) {
                client.write(ready);
            }
            if (usage.failure() != null) {
                // The provider's error event, relayed above, ends the stream for the client.
                streamFailed(usage.failure(), true, null);
                return;
            }
            if (client.writeQueueFull()) {
                response.pause();
                client.drainHandler(drained -> response.resume());
            }
        });
        response.exceptionHandler(cause -> {
            if (done) {
                return;
            }
            if (usage.completed()) {
                endStream();
                return;
            }
            // The cause can name the provider's address, so only the node's log gets it.
            streamFailed(AiError.of(502, "the stream of provider '" + target.provider().name() + "' "
                    + ChatExchange.brokenOff(cause)), false, describe(cause));
        });
        response.endHandler(end -> {
            if (done) {
                return;
            }
            if (!usage.completed() && !usage.stoppedReading()) {
                streamFailed(AiError.of(502, "the stream of provider '" + target.provider().name()
                        + "' ended before the response was complete"), false, null);
                return;
            }
            endStream();
        });
    }

    /** Ends a Responses API stream that the provider completed, with its usage in the trailers. */
    private void endStream() {
        end();
        HttpServerResponse client = ctx.response();
        // An event cut off by the end of the stream is relayed too, and the client drops it as the provider sent it.
        Buffer rest = streamEvents.rest();
        if (rest.length() > 0) {
            client.write(rest);
        }
        UsageRecord record = finish(streamUsage.usage(input));
        gateway.usageTrailers(ctx, record);
        StreamEnd.end(client);
    }

    /**
     * Ends a Responses API stream that failed after it started, as a chat stream ends: it records the usage of what
     * was streamed, because the provider bills it, and ends the client's stream with an {@code error} event. When
     * {@code relayed}, the provider's own {@code error} or {@code response.failed} event reached the client, so
     * Portico adds none. A stream that stopped inside an event too long to hold back is reset instead, because an
     * event written after it would become part of that event.
     *
     * @param reason the cause for the node's log, when the client's message leaves it out; null for none
     */
    private void streamFailed(AiError providerError, boolean relayed, String reason) {
        if (cutOffAfterClose()) {
            return;
        }
        ProviderSecrets secrets = secrets();
        AiError error = secrets.redact(providerError);
        warnFailure(error, reason == null ? null : secrets.redact(reason));
        end();
        UsageRecord record = record(streamUsage.usage(input), error.status());
        AiGateway.recordError(ctx, error);
        ctx.logField("ai_error", error.code() != null ? error.code() : error.type());
        if (upstream != null) {
            upstream.reset();
        }
        HttpServerResponse client = ctx.response();
        if (!relayed && !streamEvents.betweenEvents()) {
            client.reset();
            return;
        }
        if (!relayed) {
            // The bytes of an unfinished event are dropped, so that the error event is a complete event of its own.
            streamEvents.rest();
            client.write(errorEvent(error));
        }
        gateway.usageTrailers(ctx, record);
        StreamEnd.end(client);
    }

    /** Returns the Responses API's {@code error} event for {@code error}, numbered after the events relayed. */
    private Buffer errorEvent(AiError error) {
        ObjectNode event = NODES.objectNode()
                .put("type", "error")
                .put("code", error.code() != null ? error.code() : error.type())
                .put("message", error.message());
        event.putNull("param");
        event.put("sequence_number", streamUsage.nextSequenceNumber());
        return Buffer.buffer("event: error\ndata: ").appendBuffer(Wire.json(event)).appendString("\n\n");
    }

    /** Records the usage of the current attempt and sets the usage headers of a response not yet sent. */
    private UsageRecord finish(Usage usage) {
        UsageRecord record = record(usage, 0);
        gateway.usageHeaders(ctx, target, ctx.response().headWritten() ? null : record);
        return record;
    }

    /**
     * Records the usage, latency and time to first token of the current attempt. A {@code failedStatus} other than
     * 0 is the error that ended a stream after it started.
     */
    private UsageRecord record(Usage usage, int failedStatus) {
        double elapsed = elapsedMillis();
        target.stats().recordLatency(elapsed);
        ModelInfo info = gateway.catalog().find(target.provider().type().id(), target.model()).orElse(null);
        long firstTokenNanos = streamUsage == null ? 0 : streamUsage.firstTokenNanos();
        double firstToken = firstTokenNanos == 0 ? elapsed : (firstTokenNanos - start) / 1_000_000.0;
        UsageRecord record = gateway.record(ctx, target, keyLabel, info, usage, elapsed, firstToken, failedStatus);
        if (firstTokenNanos != 0) {
            gateway.metrics().firstToken(target.provider().name(), gateway.metricModel(target), firstToken);
        }
        return record;
    }
}
