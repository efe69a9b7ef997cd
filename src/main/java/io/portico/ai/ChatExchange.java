package io.portico.ai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.catalog.ModelInfo;
import io.portico.net.client.Http1Exchange;
import io.portico.net.client.Http1ResponseHandler;
import io.portico.net.client.InvalidResponseException;
import io.portico.net.client.ResponseTooLargeException;
import io.portico.ai.frontend.Frontend;
import io.portico.ai.frontend.StreamWriter;
import io.portico.ai.provider.OpenAiUsage;
import io.portico.ai.provider.Wire;
import io.portico.ai.spi.AiError;
import io.portico.ai.spi.AiException;
import io.portico.ai.spi.CallTarget;
import io.portico.ai.spi.ChatRequest;
import io.portico.ai.spi.ChunkSink;
import io.portico.ai.spi.Chunks;
import io.portico.ai.spi.CopiedCompletion;
import io.portico.ai.spi.ProviderAdapter;
import io.portico.ai.spi.Protocol;
import io.portico.ai.spi.ProviderCall;
import io.portico.ai.spi.StreamFrame;
import io.portico.ai.spi.StreamTranslator;
import io.portico.ai.spi.Usage;
import io.portico.ai.stream.FrameParser;
import io.portico.ai.stream.FrameTooLargeException;
import io.portico.circuitbreaker.CircuitBreaker;
import io.portico.config.ProviderSpec;
import io.portico.net.TimeoutList;
import io.portico.pipeline.RequestContext;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One chat request: tries its targets in order, each up to its provider's number of attempts with backoff, and
 * relays the first success to the client in the client's protocol, streamed or not. Runs on the request's event
 * loop.
 *
 * <p>A 429 cools the key down for the target's model and is retried; 401 and 403 take the key out and retry with
 * another key; 5xx, timeouts and connection failures are retried; after the last attempt the next target is tried,
 * and 404 moves to the next target at once. Other errors go back to the client with the provider's status. Once a
 * stream has sent its first content, tool call or finish reason to the client, a failure ends it with the
 * protocol's error event instead. The stream writer holds back the events before, which carry no content.
 */
final class ChatExchange {

    private static final Logger LOG = LoggerFactory.getLogger(ChatExchange.class);
    /** The maximum prompt length, in characters, whose provider request is built on the event loop. */
    private static final long INLINE_BUILD_CHARS = 256 * 1024;
    /** The start of a provider's error body that is read for its message; the rest is not read. */
    static final int MAX_ERROR_BODY_BYTES = 1024 * 1024;

    private final AiGateway gateway;
    private final RequestContext ctx;
    private final Frontend frontend;
    private final ChatRequest request;
    private final PromptTokens prompt;
    private final List<Target> targets;
    private final ChatCache cache;
    private int targetIndex;
    private Target target;
    private KeyPool.Key key;
    private int attempt;
    /** Increases with every attempt, so that callbacks of an abandoned attempt are ignored. */
    private int generation;
    private Http1Exchange upstream;
    /** The call of the current attempt once it is sent, whose credentials are removed from its errors, or null. */
    private ProviderCall sentCall;
    /** True while the current attempt waits for its provider's credentials, such as a Vertex AI access token. */
    private boolean authorizing;
    /**
     * True once the current stream delivered its end: the finish reason of every choice that started, or
     * message_stop when an Anthropic stream is relayed natively.
     */
    private boolean finishSeen;
    /** The choices of the current translated stream that started and finished. */
    private ChoiceProgress choiceProgress;
    /** The keys of the current target left for this request. */
    private KeySelection keys;
    /** True once the current attempt's response was read to its end, so its connection can be reused. */
    private boolean responseComplete;
    private UsageRecord lastRecord;
    private long attemptStart;
    private long firstTokenNanos;
    private long firstTokenTimer = -1;
    /** The {@code timeouts.total} of the current attempt: an entry of the event loop's list for that value. */
    private final TimeoutList.Entry totalTimeout = new TimeoutList.Entry(this::totalTimedOut);
    /** The attempt that {@link #totalTimeout} runs for, as its {@link #generation}. */
    private int totalTimeoutGeneration;
    private boolean inFlight;
    /** True while the current attempt holds a permit of its target's circuit breaker. */
    private boolean permitHeld;
    private long permitStart;
    /** True when a target was skipped because its circuit breaker was open. */
    private boolean circuitSkipped;
    private boolean done;
    private AiError lastError;
    private StreamWriter writer;
    private Usage usage = Usage.NONE;
    private StringBuilder generated;
    /** The catalog entry of the current target's model; null when the catalog does not know it. */
    private ModelInfo targetInfo;
    /** The request with remote images inline, made once for the targets that need it. */
    private ChatRequest inlined;
    /** The complete response of the current streamed attempt of a translated call, for the cache; else null. */
    private CompletionRecorder completionRecorder;
    /** The complete message of the current streamed attempt of a native call, for the cache; else null. */
    private MessageRecorder messageRecorder;

    /**
     * Creates the exchange of one chat request.
     *
     * @param prompt the prompt tokens of {@code request}, for the usage estimate when a provider reports none and
     *     for the prompt tokens that an Anthropic stream announces first
     * @param cache where the complete response is stored; null when the route caches nothing
     */
    ChatExchange(AiGateway gateway, RequestContext ctx, Frontend frontend, ChatRequest request, PromptTokens prompt,
                 List<Target> targets, ChatCache cache) {
        this.gateway = gateway;
        this.ctx = ctx;
        this.frontend = frontend;
        this.request = request;
        this.prompt = prompt;
        this.targets = targets;
        this.cache = cache;
    }

    void start() {
        ctx.onClose(this::clientClosed);
        nextTarget();
    }

    private void nextTarget() {
        while (targetIndex < targets.size() && !targets.get(targetIndex).stats().available()) {
            circuitSkipped = true;
            targetIndex++;
        }
        if (targetIndex >= targets.size()) {
            finishWithError(lastError != null ? lastError : noTarget());
            return;
        }
        target = targets.get(targetIndex++);
        attempt = 0;
        keys = new KeySelection(target.provider(), target.model(), AiGateway.keyCheck(ctx));
        tryTarget();
    }

    private void tryTarget() {
        if (done) {
            return;
        }
        ProviderAdapter imageCheck = target.provider().adapter();
        boolean needsInline = ImageFetcher.hasRemoteImages(request.body(), imageCheck::acceptsImageUrl);
        if (needsInline && inlined == null) {
            // Every remote image is fetched once, so later targets can use the inline copy as well.
            gateway.images().inline(request.body(), url -> false).onComplete(fetched -> {
                if (done) {
                    return;
                }
                if (fetched.failed()) {
                    AiError error = fetched.cause() instanceof AiException e ? e.error()
                            : AiError.of(400, "invalid_image_url", fetched.cause().getMessage());
                    finishWithError(error);
                    return;
                }
                inlined = request.withBody(fetched.result());
                tryTarget();
            });
            return;
        }
        ChatRequest request = needsInline ? inlined : this.request;
        attempt++;
        sentCall = null;
        key = keys.next();
        if (key == null) {
            lastError = keys.exhausted();
            nextTarget();
            return;
        }
        CircuitBreaker breaker = target.stats().breaker();
        if (breaker != null && !breaker.tryAcquire()) {
            // Another request took the last half-open probe, or the breaker opened during a backoff.
            circuitSkipped = true;
            nextTarget();
            return;
        }
        permitHeld = breaker != null;
        permitStart = System.nanoTime();
        ProviderRuntime provider = target.provider();
        ModelInfo info = gateway.catalog().find(provider.type().id(), target.model()).orElse(null);
        targetInfo = info;
        CallTarget callTarget = new CallTarget(provider.spec(), provider.baseUrl(), target.model(), key.secret(), info);
        ProviderAdapter adapter = provider.adapter();
        boolean nativeCall = adapter.nativeProtocol(target.model()) == request.protocol();
        int current = ++generation;
        build(adapter, request, callTarget, nativeCall).onComplete(built -> {
            if (current != generation || done) {
                return;
            }
            if (built.failed()) {
                settleBreaker(0);
                if (!(built.cause() instanceof AiException)) {
                    LOG.warn("Building request {} for provider {} failed", ctx.requestId(), provider.name(),
                            built.cause());
                }
                finishWithError(built.cause() instanceof AiException e ? e.error()
                        : AiError.of(500, "building the request to provider '" + provider.name() + "' failed"));
                return;
            }
            // timeouts.total also bounds the wait for credentials, such as a token exchange that hangs.
            startTotalTimer(current);
            authorizing = true;
            adapter.authorize(built.result(), callTarget).onComplete(authorized -> {
                if (current != generation || done) {
                    return;
                }
                authorizing = false;
                if (authorized.failed()) {
                    authorizationFailed(authorized.cause());
                    return;
                }
                send(authorized.result(), callTarget, nativeCall, current);
            });
        });
    }

    /**
     * Builds the request of one provider call. A prompt of more than {@value #INLINE_BUILD_CHARS} characters is
     * translated and serialized on the AI gateway's compute threads, because copying megabytes of inline images
     * would hold the event loop.
     */
    private Future<ProviderCall> build(ProviderAdapter adapter, ChatRequest request, CallTarget callTarget,
                                       boolean nativeCall) {
        if (prompt.length() <= INLINE_BUILD_CHARS) {
            try {
                return Future.succeededFuture(nativeCall ? adapter.nativeChat(request, callTarget)
                        : adapter.chat(request, callTarget));
            } catch (AiException e) {
                return Future.failedFuture(e);
            }
        }
        return gateway.compute().executeBlocking(() -> nativeCall ? adapter.nativeChat(request, callTarget)
                : adapter.chat(request, callTarget), false);
    }

    /**
     * Fails the attempt after its provider's credentials could not be obtained. The cause of a failed token
     * exchange can name the token endpoint and the service account, so it goes to the provider's WARN line and
     * the client gets a message without it.
     */
    private void authorizationFailed(Throwable cause) {
        String provider = target.provider().name();
        attemptFailed(new AiError(502, "api_error", AiGateway.PROVIDER_AUTHORIZATION_FAILED, "authorization with"
                + " provider '" + provider + "' failed", -1), describe(cause));
    }

    /** Starts the timeout of {@code timeouts.total}, which covers the attempt from its authorization to its end. */
    private void startTotalTimer(int current) {
        totalTimeoutGeneration = current;
        TimeoutList.current(target.provider().spec().timeouts().total().toMillis()).add(totalTimeout);
    }

    private void totalTimedOut() {
        timedOut(totalTimeoutGeneration, "the whole response", target.provider().spec().timeouts().total().toMillis());
    }

    private void send(ProviderCall call, CallTarget callTarget, boolean nativeCall, int current) {
        ProviderSpec.Timeouts timeouts = target.provider().spec().timeouts();
        sentCall = call;
        attemptStart = System.nanoTime();
        firstTokenNanos = 0;
        // An earlier attempt's usage is recorded on its own, so none of it may reach the response this attempt serves.
        usage = Usage.NONE;
        responseComplete = false;
        inFlight = true;
        target.stats().started();
        if (request.stream()) {
            firstTokenTimer = gateway.vertx().setTimer(timeouts.firstToken().toMillis(), id -> {
                if (firstTokenNanos == 0) {
                    timedOut(current, "the first token", timeouts.firstToken().toMillis());
                }
            });
        }
        Http1ResponseHandler handler = new Http1ResponseHandler() {
            @Override
            public void response(Http1Exchange response) {
                if (current != generation || done) {
                    response.reset();
                    return;
                }
                onResponse(response, callTarget, nativeCall, current);
            }

            @Override
            public void failed(Throwable cause) {
                if (current == generation && !done) {
                    LOG.debug("Request {} to provider {} failed: {}", ctx.requestId(), target.provider().name(),
                            cause.toString());
                    attemptFailed(AiError.of(502, "provider '" + target.provider().name() + "' is unreachable or"
                            + " closed the connection"));
                }
            }
        };
        try {
            upstream = gateway.providerClient().send(call.method(), call.url(), call.headers(), call.body(),
                    timeouts.connect().toMillis(), handler);
        } catch (IllegalArgumentException | IllegalStateException e) {
            // An invalid provider URL, or a gateway that is shutting down.
            attemptFailed(AiError.of(502, "provider '" + target.provider().name() + "' could not be called"),
                    describe(e));
        }
    }

    /**
     * Returns how a provider's response failed, for a client's message: invalid, with the fault but without the
     * provider's address, or broken off.
     */
    static String brokenOff(Throwable cause) {
        if (cause instanceof InvalidResponseException invalid) {
            return invalid.reason() != null ? "is invalid: " + invalid.reason() : "is invalid";
        }
        return "broke off";
    }

    private static String describe(Throwable cause) {
        return cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName();
    }

    private void onResponse(Http1Exchange response, CallTarget callTarget, boolean nativeCall, int current) {
        int status = response.status();
        ProviderAdapter adapter = target.provider().adapter();
        if (status < 200 || status >= 300) {
            Handler<Buffer> failed = body -> {
                responseComplete = true;
                if (current == generation && !done) {
                    attemptFailed(adapter.error(status, response.headers(), body));
                }
            };
            response.bodyStartHandler(MAX_ERROR_BODY_BYTES, failed).exceptionHandler(cause -> failed.handle(null));
            return;
        }
        target.provider().keys().succeeded(key);
        if (request.stream()) {
            stream(response, callTarget, nativeCall, current);
            return;
        }
        response.exceptionHandler(cause -> {
            responseComplete = true;
            if (current != generation || done) {
                return;
            }
            if (cause instanceof ResponseTooLargeException tooLarge) {
                responseTooLarge(AiError.of(502, "the response of provider '" + target.provider().name()
                        + "' is larger than " + tooLarge.maxBytes() + " bytes, the limit that the node setting"
                        + " ai.maxResponseBytes sets"));
                return;
            }
            // The cause can name the provider's address, so only the node's log gets it.
            attemptFailed(AiError.of(502, "the response of provider '" + target.provider().name() + "' "
                    + brokenOff(cause)), describe(cause));
        });
        response.bodyHandler(gateway.maxResponseBytes(), body -> {
            responseComplete = true;
            if (current == generation && !done) {
                complete(body, callTarget, nativeCall);
            }
        });
    }

    /**
     * Ends the request with {@code error} after the provider returned a response over
     * {@code ai.maxResponseBytes}, or a stream event over {@link io.portico.ai.stream.FrameParser#MAX_FRAME_BYTES}
     * before its first content reached the client. No retry and no other target follows, because the provider did
     * the work and bills it, and the same request would most likely bring as large a response again. The circuit
     * breaker counts the attempt neither as a success nor as a failure, since the provider returned a response.
     */
    private void responseTooLarge(AiError error) {
        if (cutOffAfterClose()) {
            return;
        }
        settleBreaker(0);
        warnFailure(error, null);
        recordFailedAttempt(error.status());
        lastError = error;
        finishWithError(error);
    }

    private void complete(Buffer body, CallTarget callTarget, boolean nativeCall) {
        if (!nativeCall && frontend.protocol() == Protocol.OPENAI && completeCopied(body)) {
            return;
        }
        JsonNode json = Wire.parse(body);
        if (!(json instanceof ObjectNode object)) {
            attemptFailed(AiError.of(502, "provider '" + target.provider().name() + "' sent a response that is not"
                    + " a JSON object"));
            return;
        }
        ProviderAdapter adapter = target.provider().adapter();
        firstTokenNanos = System.nanoTime();
        if (nativeCall && !object.path("content").isArray()) {
            usage = adapter.nativeUsage(object);
            attemptFailed(AiError.of(502, "provider '" + target.provider().name() + "' sent a message without"
                    + " a content list"));
            return;
        }
        if (nativeCall) {
            usage = adapter.nativeUsage(object);
            settleBreaker(200);
            record();
            store(ChatCache.MESSAGE, body);
            frontend.writeNative(ctx.response(), body);
            return;
        }
        ObjectNode completion;
        try {
            completion = adapter.chatResponse(object, request, callTarget);
            frontend.checkCompletion(completion);
        } catch (AiException e) {
            // The provider reported a failure inside a 2xx response, such as an invalid tool call.
            usage = e.usage();
            attemptFailed(e.error());
            return;
        } catch (RuntimeException e) {
            LOG.debug("Translating the response of provider {} failed", target.provider().name(), e);
            attemptFailed(AiError.of(502, "the response of provider '" + target.provider().name()
                    + "' could not be translated"));
            return;
        }
        Usage reported = adapter.chatUsage(object, callTarget);
        if (reported == null) {
            reported = OpenAiUsage.read(completion.get("usage"));
        }
        if (!completion.path("choices").path(0).path("message").isObject()) {
            usage = reported;
            attemptFailed(AiError.of(502, "provider '" + target.provider().name() + "' sent a completion without"
                    + " a message"));
            return;
        }
        usage = prompt.reportedOrEstimate(reported, () -> completionText(completion));
        if (usage.estimated()) {
            completion.set("usage", OpenAiUsage.write(usage));
        }
        settleBreaker(200);
        record();
        if (cache != null) {
            store(ChatCache.COMPLETION, Wire.json(completion));
        }
        frontend.writeResponse(ctx.response(), completion, request, usage);
    }

    /**
     * Relays a completion that the adapter could copy for an OpenAI client without its tree, and returns false when
     * it could not, so that the caller takes the tree's path. The copy has the bytes that path would write.
     */
    private boolean completeCopied(Buffer body) {
        CopiedCompletion copied = target.provider().adapter().copyChatResponse(body);
        if (copied == null) {
            return false;
        }
        firstTokenNanos = System.nanoTime();
        usage = copied.usage();
        settleBreaker(200);
        record();
        store(ChatCache.COMPLETION, copied.json());
        frontend.writeNative(ctx.response(), copied.json());
        return true;
    }

    private void store(String format, Buffer body) {
        if (cache != null && !request.stream()) {
            cache.store(format, target.provider().name(), target.model(), body);
        }
    }

    private static String completionText(ObjectNode completion) {
        JsonNode message = completion.path("choices").path(0).path("message");
        StringBuilder text = new StringBuilder(message.path("content").asText(""));
        for (JsonNode call : message.path("tool_calls")) {
            text.append(call.path("function").path("arguments").asText(""));
        }
        return text.toString();
    }

    private void stream(Http1Exchange response, CallTarget callTarget, boolean nativeCall, int current) {
        ProviderAdapter adapter = target.provider().adapter();
        FrameParser parser = FrameParser.create(adapter.framing());
        StreamTranslator translator = nativeCall ? null : adapter.chatStream(request, callTarget);
        Usage promptEstimate = request.protocol() == io.portico.ai.spi.Protocol.ANTHROPIC && !nativeCall
                ? new Usage(prompt.now(), 0, 0, 0, 0, true) : Usage.NONE;
        writer = frontend.streamWriter(ctx.response(), request, promptEstimate);
        generated = new StringBuilder();
        finishSeen = false;
        choiceProgress = new ChoiceProgress();
        completionRecorder = cache != null && !nativeCall ? new CompletionRecorder(cache.maxObjectSize()) : null;
        messageRecorder = cache != null && nativeCall ? new MessageRecorder(cache.maxObjectSize()) : null;
        Sink sink = new Sink(current);
        gateway.usageHeaders(ctx, target, null);
        gateway.announceTrailers(ctx);
        response.handler(bytes -> {
            if (current != generation || done) {
                return;
            }
            try {
                parser.feed(bytes, frame -> onFrame(frame, translator, sink, current));
            } catch (FrameTooLargeException e) {
                AiError error = AiError.of(502, "the stream of provider '" + target.provider().name()
                        + "' is invalid: " + e.getMessage());
                if (writer.started()) {
                    streamFailed(error);
                } else {
                    responseTooLarge(error);
                }
                return;
            }
            if (current != generation || done || ctx.response().ended()) {
                return;
            }
            if (ctx.response().writeQueueFull()) {
                response.pause();
                ctx.response().drainHandler(drained -> response.resume());
            }
        });
        response.exceptionHandler(cause -> {
            if (current == generation && !done) {
                streamFailed(AiError.of(502, "the stream of provider '" + target.provider().name() + "' "
                        + brokenOff(cause)), describe(cause));
            }
        });
        response.endHandler(end -> {
            responseComplete = true;
            if (current != generation || done) {
                return;
            }
            parser.end(frame -> onFrame(frame, translator, sink, current));
            if (current != generation || done) {
                return;
            }
            if (translator != null) {
                translator.end(sink);
            }
            if (current != generation || done) {
                return;
            }
            if (!finishSeen) {
                streamFailed(AiError.of(502, "the stream of provider '" + target.provider().name()
                        + "' ended before the response was complete"));
                return;
            }
            usage = prompt.reportedOrEstimate(usage, () -> generated);
            settleBreaker(200);
            record();
            gateway.usageTrailers(ctx, lastRecord);
            storeStream();
            writer.finish(usage);
        });
    }

    /** Stores the complete response of a stream that ended normally, when the route caches completions. */
    private void storeStream() {
        String provider = target.provider().name();
        if (messageRecorder != null) {
            Buffer message = messageRecorder.message();
            if (message != null) {
                cache.store(ChatCache.MESSAGE, provider, target.model(), message);
            }
        } else if (completionRecorder != null) {
            ObjectNode completion = completionRecorder.completion(usage);
            if (completion != null) {
                cache.store(ChatCache.COMPLETION, provider, target.model(), Wire.json(completion));
            }
        }
    }

    private void onFrame(StreamFrame frame, StreamTranslator translator, Sink sink, int current) {
        if (current != generation || done) {
            return;
        }
        if (translator != null) {
            translator.frame(frame, sink);
            return;
        }
        ProviderAdapter adapter = target.provider().adapter();
        if ("error".equals(frame.event())) {
            streamFailed(Wire.streamError(frame.data()));
            return;
        }
        Usage reported = adapter.nativeStreamUsage(frame);
        if (reported != Usage.NONE) {
            usage = usage.merge(reported);
        }
        generated.append(adapter.nativeStreamOutput(frame));
        if ("message_stop".equals(frame.event())) {
            finishSeen = true;
        }
        writer.nativeFrame(frame);
        markFirstToken();
        if (messageRecorder != null) {
            messageRecorder.frame(frame);
        }
    }

    /**
     * Records the time of the first token once the writer has committed the stream. The preamble before that
     * (Anthropic's message_start and ping, OpenAI's role chunk, empty deltas) does not count, so the first-token
     * timeout still falls back while nothing reached the client.
     */
    private void markFirstToken() {
        if (firstTokenNanos == 0 && writer.started()) {
            firstTokenNanos = System.nanoTime();
        }
    }

    /** Receives translated chunks for the current attempt. */
    private final class Sink implements ChunkSink {
        private final int current;

        Sink(int current) {
            this.current = current;
        }

        @Override
        public void chunk(ObjectNode chunk) {
            if (current != generation || done) {
                return;
            }
            choiceProgress.chunk(chunk);
            finishSeen = choiceProgress.complete();
            for (JsonNode choice : chunk.path("choices")) {
                JsonNode delta = choice.path("delta");
                generated.append(delta.path("content").asText(""));
                generated.append(Chunks.reasoningText(delta));
                for (JsonNode call : delta.path("tool_calls")) {
                    generated.append(call.path("function").path("arguments").asText(""));
                }
            }
            writer.chunk(chunk);
            markFirstToken();
            if (completionRecorder != null) {
                completionRecorder.chunk(chunk);
            }
        }

        @Override
        public void usage(Usage reported) {
            if (current == generation && !done) {
                usage = usage.merge(reported);
                writer.usage(reported);
            }
        }

        @Override
        public void fail(AiError error) {
            if (current == generation && !done) {
                streamFailed(error);
            }
        }
    }

    private void streamFailed(AiError providerError) {
        streamFailed(providerError, null);
    }

    /**
     * Ends the current attempt of a stream with {@code providerError}: the client's stream when it started, else
     * the attempt, which may move on as {@link #attemptFailed(AiError, String)} does.
     *
     * @param reason the cause for the node's log, when the client's message leaves it out; null for none
     */
    private void streamFailed(AiError providerError, String reason) {
        if (cutOffAfterClose()) {
            return;
        }
        if (writer == null || !writer.started()) {
            attemptFailed(providerError, reason);
            return;
        }
        ProviderSecrets secrets = secrets();
        AiError error = secrets.redact(providerError).asProviderRateLimit();
        warnFailure(error, reason == null ? null : secrets.redact(reason));
        usage = streamedUsage();
        settleBreaker(error.status());
        // The provider request is reset before record() marks the attempt as no longer in flight.
        cancelAttempt();
        record(error.status());
        AiGateway.recordError(ctx, error);
        ctx.logField("ai_error", error.code() != null ? error.code() : error.type());
        done = true;
        writer.abort(error);
    }

    /**
     * Returns the usage of a started stream that ended early. The counts the provider reported are kept, and
     * Portico counts the streamed output when no output count was reported yet. When the provider reported nothing,
     * the whole usage is Portico's estimate.
     */
    private Usage streamedUsage() {
        if (generated == null) {
            return usage;
        }
        if (usage.totalTokens() == 0) {
            return prompt.estimate(generated);
        }
        if (usage.outputTokens() > 0 || generated.isEmpty()) {
            return usage;
        }
        return new Usage(usage.inputTokens(), TokenCounter.count(generated), usage.cachedInputTokens(),
                usage.cacheWriteTokens(), usage.reasoningTokens(), true);
    }

    private void timedOut(int current, String what, long millis) {
        if (current != generation || done) {
            return;
        }
        String provider = target.provider().name();
        String message = authorizing
                ? "authorization with provider '" + provider + "' did not complete within " + millis + " ms"
                : "provider '" + provider + "' did not send " + what + " within " + millis + " ms";
        streamFailed(AiError.of(504, "timeout", message));
    }

    /** Returns the secrets removed from the current attempt's errors: the provider's and those of the call sent. */
    private ProviderSecrets secrets() {
        return target.provider().secrets().forCall(sentCall);
    }

    /** Logs a failure of the current attempt with status 500 or above in its provider's rate-limited WARN line. */
    private void warnFailure(AiError error, String reason) {
        if (error.status() >= 500) {
            target.provider().failures().failed(ctx.requestId(), target.model(), error, reason);
        }
    }

    private void attemptFailed(AiError providerError) {
        attemptFailed(providerError, null);
    }

    /**
     * Ends the current attempt with {@code providerError} and moves on: to another key, a retry, the next target,
     * or the client.
     *
     * @param reason the cause for the node's log, when the client's message leaves it out; null for none
     */
    private void attemptFailed(AiError providerError, String reason) {
        if (cutOffAfterClose()) {
            return;
        }
        // Provider messages can echo the key that Portico sent, and this error may reach the client.
        ProviderSecrets secrets = secrets();
        AiError error = secrets.redact(providerError).asProviderRateLimit();
        settleBreaker(error.status());
        cancelAttempt();
        lastError = error;
        LOG.debug("Request {}: attempt {} at {} failed with status {}: {}", ctx.requestId(), attempt,
                target.address(), error.status(), error.message());
        if (done) {
            return;
        }
        warnFailure(error, reason == null ? null : secrets.redact(reason));
        int status = error.status();
        recordFailedAttempt(status);
        int attempts = target.provider().spec().retries().attempts();
        if (status >= 500 || status == 429 || status == 408 || status == 401 || status == 403) {
            target.stats().recordFailure();
        }
        if (keys.callFailed(key, error, gateway.configured(target))) {
            // Another key may serve the request at once; trying it does not count as an attempt.
            attempt--;
            tryTarget();
            return;
        }
        if (status == 401 || status == 403) {
            lastError = keyRejected(target.provider().name(), status);
            nextTarget();
        } else if (error.retryable()) {
            if (attempt < attempts) {
                // After the wait, keys that cooled down in the meantime may serve the retry.
                keys.retryFailed();
                long delay = backoff(error.retryAfterMillis());
                gateway.vertx().setTimer(Math.max(1, delay), id -> tryTarget());
            } else {
                nextTarget();
            }
        } else if (status == 404) {
            nextTarget();
        } else {
            finishWithError(error);
        }
    }

    /**
     * Counts a failed attempt in the metrics. An attempt whose provider response reported token counts, such as a
     * Gemini response whose tool call was invalid, also records that usage and its cost. Portico counts the tokens
     * that a provider reported as billed, as it does for a stream that fails after it started. The request's
     * access-log line and its usage listeners then include them, while the usage headers of the response describe
     * only the call that served it.
     */
    private void recordFailedAttempt(int status) {
        if (usage.totalTokens() == 0) {
            gateway.metrics().failed(target.provider().name(), gateway.metricModel(target), status);
            return;
        }
        double latency = (System.nanoTime() - attemptStart) / 1_000_000.0;
        double firstToken = firstTokenNanos == 0 ? latency : (firstTokenNanos - attemptStart) / 1_000_000.0;
        String keyLabel = key == null ? null : key.label();
        gateway.record(ctx, target, keyLabel, targetInfo, usage, latency, firstToken, status);
        usage = Usage.NONE;
    }

    /**
     * Returns the error that a client gets when provider {@code provider} rejected with 401 or 403 the key Portico
     * sent. The client's own credentials are not at fault, so the status is 502 rather than the provider's.
     */
    static AiError keyRejected(String provider, int status) {
        return new AiError(502, "api_error", "provider_authentication_failed", "provider '" + provider
                + "' rejected the key Portico sent (status " + status + "); check the provider's keys in the"
                + " configuration", -1);
    }

    /**
     * Ends the current attempt's circuit breaker permit, if it holds one, with the attempt's outcome: a 2xx status
     * is a success, a 5xx or 408 (timeouts and broken connections included) a failure, and anything else, or 0,
     * gives no verdict on the provider. A streamed success is timed to its first token.
     */
    private void settleBreaker(int status) {
        if (!permitHeld) {
            return;
        }
        permitHeld = false;
        CircuitBreaker breaker = target.stats().breaker();
        long now = System.nanoTime();
        if (status >= 200 && status < 300) {
            long end = request.stream() && firstTokenNanos != 0 ? firstTokenNanos : now;
            breaker.onSuccess(end - permitStart);
        } else if (status >= 500 || status == 408) {
            breaker.onFailure(now - permitStart);
        } else {
            breaker.release(now - permitStart);
        }
    }

    private AiError noTarget() {
        if (circuitSkipped) {
            return new AiError(503, "api_error", "circuit_open", "every provider model that serves '"
                    + request.model() + "' has an open circuit breaker; retry later", circuitRetryAfterMillis());
        }
        return AiError.of(503, "no provider could serve the request");
    }

    /** Returns the time until the first open breaker of the targets lets probes through, or -1 when none is open. */
    private long circuitRetryAfterMillis() {
        List<CircuitBreaker> breakers = new ArrayList<>(targets.size());
        targets.forEach(candidate -> breakers.add(candidate.stats().breaker()));
        long first = CircuitBreaker.firstRetryAtMillis(breakers);
        return first == 0 ? -1 : Math.max(1, first - System.currentTimeMillis());
    }

    /** Returns the wait before the next attempt: the backoff doubled per attempt, or the Retry-After, capped. */
    private long backoff(long retryAfterMillis) {
        ProviderSpec.Retries retries = target.provider().spec().retries();
        long exponential = retries.backoff().toMillis() << Math.min(attempt - 1, 16);
        long wait = Math.max(exponential, retryAfterMillis);
        return Math.min(wait, retries.maxBackoff().toMillis());
    }

    private void cancelAttempt() {
        settleBreaker(0);
        generation++;
        authorizing = false;
        cancelTimers();
        if (inFlight) {
            inFlight = false;
            target.stats().finished();
            if (upstream != null && !responseComplete) {
                upstream.reset();
            }
        }
        upstream = null;
    }

    private void record() {
        record(0);
    }

    /** Records the call's usage; {@code failedStatus} is the error that ended a started stream, or 0. */
    private void record(int failedStatus) {
        double latency = (System.nanoTime() - attemptStart) / 1_000_000.0;
        double firstToken = firstTokenNanos == 0 ? latency : (firstTokenNanos - attemptStart) / 1_000_000.0;
        target.stats().recordLatency(latency);
        String keyLabel = key == null ? null : key.label();
        lastRecord = gateway.record(ctx, target, keyLabel, targetInfo, usage, latency, firstToken, failedStatus);
        if (request.stream()) {
            gateway.metrics().firstToken(target.provider().name(), gateway.metricModel(target), firstToken);
        } else {
            gateway.usageHeaders(ctx, target, lastRecord);
        }
        done = true;
        cancelTimers();
        if (inFlight) {
            inFlight = false;
            target.stats().finished();
        }
    }

    private void cancelTimers() {
        if (firstTokenTimer >= 0) {
            gateway.vertx().cancelTimer(firstTokenTimer);
            firstTokenTimer = -1;
        }
        totalTimeout.cancel();
    }

    private void finishWithError(AiError error) {
        if (done || cutOffAfterClose()) {
            return;
        }
        LOG.debug("Request {} ended with status {}: {}", ctx.requestId(), error.status(), error.message());
        logFailure(error);
        done = true;
        cancelAttempt();
        AiGateway.recordError(ctx, error);
        if (writer != null && writer.started()) {
            writer.abort(error);
        } else if (!ctx.response().headWritten()) {
            // A stream that failed before its first content announced trailers that this response does not send.
            ctx.response().headers().remove("trailer");
            frontend.writeError(ctx.response(), error);
        }
    }

    /** Names the last provider model tried and the error in the access log line of a failed request. */
    private void logFailure(AiError error) {
        if (target != null) {
            AiGateway.logTarget(ctx, target);
        }
        ctx.logField("ai_error", error.code() != null ? error.code() : error.type());
    }

    /** Cuts off the client without a response when the node's stop closed the provider clients first. */
    private boolean cutOffAfterClose() {
        return !done && gateway.cutOffAfterClose(ctx, this::clientClosed);
    }

    private void clientClosed() {
        if (done) {
            return;
        }
        if (writer != null && writer.started()) {
            // The provider produced tokens until now, and they are billed: record them.
            usage = streamedUsage();
            ctx.logField("ai_error", AiGateway.CLIENT_CLOSED);
            Http1Exchange running = responseComplete ? null : upstream;
            settleBreaker(0);
            record();
            generation++;
            if (running != null) {
                running.reset();
            }
            return;
        }
        if (inFlight) {
            // The provider call is still running and has streamed nothing, so the access-log line gets the provider
            // and model but no usage.
            AiGateway.logTarget(ctx, target);
            ctx.logField("ai_error", AiGateway.CLIENT_CLOSED);
        }
        done = true;
        cancelAttempt();
    }
}
