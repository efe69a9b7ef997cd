package io.portico.ai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.catalog.ModelInfo;
import io.portico.ai.frontend.AnthropicFrontend;
import io.portico.ai.frontend.Frontend;
import io.portico.ai.frontend.OpenAiFrontend;
import io.portico.ai.provider.Wire;
import io.portico.ai.spi.AiError;
import io.portico.ai.spi.AiException;
import io.portico.ai.spi.ChatRequest;
import io.portico.cache.CacheControl;
import io.portico.config.ConsumerSpec.AccessList;
import io.portico.config.RouteSpec;
import io.portico.config.VirtualModelSpec;
import io.portico.net.TimeoutList;
import io.portico.pipeline.Backend;
import io.portico.pipeline.ModelPolicies;
import io.portico.pipeline.RequestContext;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ObjLongConsumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backend of AI routes. The endpoint is the forwarded path (after prefix stripping): {@code /v1/chat/completions},
 * {@code /v1/embeddings}, {@code /v1/models}, {@code /v1/responses}, {@code /v1/messages} and
 * {@code /v1/messages/count_tokens}, each also without the {@code /v1}. Request bodies are read whole, up to the
 * route's {@code maxBodySize} or 32 MiB, since they are JSON documents that must be parsed before a provider is
 * chosen.
 */
final class AiBackend implements Backend {

    private static final Logger LOG = LoggerFactory.getLogger(AiBackend.class);
    private static final long DEFAULT_MAX_BODY = 32L * 1024 * 1024;
    /**
     * Bodies up to this size are parsed on the event loop, larger ones on the compute threads. Jackson parsed about
     * 80 MB per second on a busy 2-core build machine, so this much takes a few milliseconds there.
     */
    private static final int INLINE_PARSE_BYTES = 256 * 1024;
    /** The response header of RFC 9211 that says how the cache handled the request. */
    private static final String CACHE_STATUS = "Cache-Status";
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final OpenAiFrontend OPENAI = new OpenAiFrontend();
    private static final AnthropicFrontend ANTHROPIC = new AnthropicFrontend();

    /** The operations AI routes serve. */
    enum Endpoint { CHAT, MESSAGES, COUNT_TOKENS, EMBEDDINGS, MODELS, RESPONSES }

    private final AiGateway gateway;

    AiBackend(AiGateway gateway) {
        this.gateway = gateway;
    }

    @Override
    public void handle(RequestContext ctx) {
        ctx.response().headersEndHandler(end -> ctx.applyResponseHeaderHooks(ctx.response().headers()));
        String requestedPath = forwardedPath(ctx);
        String path = endpointPath(requestedPath);
        HttpServerRequest request = ctx.request();
        boolean anthropicClient = isAnthropicClient(ctx);
        Frontend errors = errorFrontend(anthropicClient, path);
        if (path.equals("/models") || path.startsWith("/models/")) {
            if (request.method() != HttpMethod.GET) {
                ctx.response().putHeader(HttpHeaders.ALLOW, "GET");
                fail(ctx, errors, AiError.of(405, "use GET on " + requestedPath));
                return;
            }
            models(ctx, path.equals("/models") ? null : modelId(path.substring("/models/".length())),
                    anthropicClient);
            return;
        }
        Endpoint endpoint = switch (path) {
            case "/chat/completions" -> Endpoint.CHAT;
            case "/messages" -> Endpoint.MESSAGES;
            case "/messages/count_tokens" -> Endpoint.COUNT_TOKENS;
            case "/embeddings" -> Endpoint.EMBEDDINGS;
            case "/responses" -> Endpoint.RESPONSES;
            default -> null;
        };
        if (endpoint == null) {
            fail(ctx, errors, AiError.of(404, "unknown_url", "no AI endpoint at " + requestedPath
                    + "; this route serves /v1/chat/completions, /v1/embeddings, /v1/models, /v1/responses,"
                    + " /v1/messages and /v1/messages/count_tokens"));
            return;
        }
        if (request.method() != HttpMethod.POST) {
            ctx.response().putHeader(HttpHeaders.ALLOW, "POST");
            fail(ctx, errors, AiError.of(405, "use POST on " + requestedPath));
            return;
        }
        String coding = request.getHeader(HttpHeaders.CONTENT_ENCODING);
        if (coding != null && !coding.isBlank() && !coding.trim().equalsIgnoreCase("identity")) {
            fail(ctx, errors, AiError.of(415, "unsupported_content_encoding", "the request body's Content-Encoding '"
                    + coding.trim() + "' is not supported; send the body uncompressed"));
            return;
        }
        readBody(ctx, errors, (body, bodyBytes) -> ModelPolicies.run(ctx, requestedModel(body), () -> {
            try {
                dispatch(ctx, endpoint, body, bodyBytes);
            } catch (AiException e) {
                fail(ctx, errors, e.error());
            }
        }));
    }

    /**
     * Returns true for {@code /v1/models/{id}} and {@code /models/{id}}, whose encoded slashes can then only be in
     * the id: SDKs escape the {@code /} of a {@code provider/model} id as {@code %2F}, and {@link #modelId} decodes
     * it. No provider receives this path.
     */
    @Override
    public boolean acceptsEncodedSlashes(String forwardedPath) {
        return endpointPath(forwardedPath).startsWith("/models/");
    }

    /** Returns the body's {@code model} field when it is a non-blank string, for policies keyed by model, or null. */
    private static String requestedModel(ObjectNode body) {
        JsonNode model = body.get("model");
        return model != null && model.isTextual() && !model.asText().isBlank() ? model.asText() : null;
    }

    /** Returns the forwarded path, after prefix stripping and rewriting, without the query. */
    private static String forwardedPath(RequestContext ctx) {
        String uri = ctx.forwardedUri() == null ? ctx.path() : ctx.forwardedUri();
        int query = uri.indexOf('?');
        return query < 0 ? uri : uri.substring(0, query);
    }

    /** Returns the endpoint of {@code path}, such as {@code /chat/completions}: no {@code /v1}, no trailing slash. */
    private static String endpointPath(String path) {
        String endpoint = path;
        if (endpoint.length() > 1 && endpoint.endsWith("/")) {
            endpoint = endpoint.substring(0, endpoint.length() - 1);
        }
        return endpoint.startsWith("/v1/") ? endpoint.substring(3) : endpoint;
    }

    private static boolean isAnthropicClient(RequestContext ctx) {
        return ctx.request().getHeader("anthropic-version") != null;
    }

    /**
     * Returns the frontend whose error shape the client parses: Anthropic's on the {@code /messages} endpoints or
     * when the client sends {@code anthropic-version}, which Anthropic's SDKs always do; OpenAI's otherwise.
     */
    static Frontend errorFrontend(RequestContext ctx) {
        return errorFrontend(isAnthropicClient(ctx), endpointPath(forwardedPath(ctx)));
    }

    /** Returns the frontend of {@link #errorFrontend(RequestContext)} for an endpoint path already computed. */
    private static Frontend errorFrontend(boolean anthropicClient, String endpointPath) {
        return anthropicClient || endpointPath.startsWith("/messages") ? ANTHROPIC : OPENAI;
    }

    /** Reads and parses the request body, then passes {@code next} the parsed body and its size in bytes. */
    private void readBody(RequestContext ctx, Frontend errors, ObjLongConsumer<ObjectNode> next) {
        RouteSpec route = ctx.route().spec();
        long limit = route.maxBodySize() != null ? route.maxBodySize() : DEFAULT_MAX_BODY;
        if (ctx.bufferedBody() != null) {
            parseBody(ctx, errors, ctx.bufferedBody(), limit, next);
            return;
        }
        HttpServerRequest request = ctx.request();
        if (ctx.declaredLength() > limit) {
            ctx.response().putHeader("connection", "close");
            fail(ctx, errors, tooLarge(limit));
            return;
        }
        ctx.continueIfExpected();
        new BodyReader(ctx, errors, limit, next).start();
    }

    /**
     * Collects one request body. It fails the request with 413 once the body exceeds its limit, and with 408 once
     * no bytes arrived for the {@code bodyTimeout}. The body is read without pauses, so all silence is the
     * client's. The timeout is an entry of the event loop's {@link TimeoutList}, which the reader moves to the end
     * of that list whenever bytes arrive, so no timer is set per body.
     */
    private final class BodyReader implements Handler<Buffer> {
        private final RequestContext ctx;
        private final Frontend errors;
        private final long limit;
        private final ObjLongConsumer<ObjectNode> next;
        private final long timeoutMillis = gateway.bodyTimeoutMillis();
        private final TimeoutList timeouts = TimeoutList.current(timeoutMillis);
        private final TimeoutList.Entry timeout = new TimeoutList.Entry(this::timedOut);
        private Buffer body;
        /** True while {@link #body} is the first piece as the server delivered it, which is copied before appending. */
        private boolean firstPiece;
        /** True once the body was rejected. */
        private boolean failed;

        BodyReader(RequestContext ctx, Frontend errors, long limit, ObjLongConsumer<ObjectNode> next) {
            this.ctx = ctx;
            this.errors = errors;
            this.limit = limit;
            this.next = next;
        }

        void start() {
            HttpServerRequest request = ctx.request();
            timeouts.add(timeout);
            request.handler(this);
            request.exceptionHandler(cause -> failed = true);
            request.endHandler(end -> end());
            ctx.onClose(timeout::cancel);
            // A policy that waited for something, such as a password check or a key set fetch, leaves the request
            // paused.
            request.resume();
        }

        @Override
        public void handle(Buffer bytes) {
            if (failed) {
                return;
            }
            timeouts.add(timeout);
            long length = body == null ? 0 : body.length();
            if (length + bytes.length() > limit) {
                failed = true;
                timeout.cancel();
                ctx.response().putHeader("connection", "close");
                fail(ctx, errors, tooLarge(limit));
                return;
            }
            if (body == null) {
                body = bytes;
                firstPiece = true;
                return;
            }
            if (firstPiece) {
                body = Buffer.buffer((int) (length + bytes.length())).appendBuffer(body);
                firstPiece = false;
            }
            body.appendBuffer(bytes);
        }

        private void end() {
            timeout.cancel();
            if (failed) {
                return;
            }
            parseBody(ctx, errors, body == null ? Buffer.buffer(0) : body, limit, next);
        }

        /** Responds 408, since no body bytes arrived for the timeout. */
        private void timedOut() {
            if (failed) {
                return;
            }
            failed = true;
            boolean http1 = ctx.request().version() != io.vertx.core.http.HttpVersion.HTTP_2;
            if (http1) {
                ctx.response().putHeader("connection", "close");
            }
            fail(ctx, errors, AiError.of(408, "request_timeout", "the request body was not received: no bytes "
                    + "arrived for " + timeoutMillis + " ms"));
            if (http1) {
                // Vert.x keeps a connection whose request has not ended; closing flushes the response first.
                ctx.request().connection().close();
            }
        }
    }

    private void parseBody(RequestContext ctx, Frontend errors, Buffer body, long limit,
                           ObjLongConsumer<ObjectNode> next) {
        if (body.length() > limit) {
            fail(ctx, errors, tooLarge(limit));
            return;
        }
        if (body.length() <= INLINE_PARSE_BYTES) {
            ObjectNode parsed;
            try {
                parsed = Wire.parseRequest(body);
            } catch (AiException e) {
                fail(ctx, errors, e.error());
                return;
            }
            next.accept(parsed, body.length());
            return;
        }
        gateway.compute().executeBlocking(() -> Wire.parseRequest(body), false).onComplete(parsed -> {
            if (ctx.response().closed()) {
                return;
            }
            if (parsed.failed()) {
                if (parsed.cause() instanceof AiException e) {
                    fail(ctx, errors, e.error());
                    return;
                }
                LOG.warn("Parsing the body of request {} failed", ctx.requestId(), parsed.cause());
                fail(ctx, errors, AiError.of(500, "the request body could not be parsed"));
                return;
            }
            next.accept(parsed.result(), body.length());
        });
    }

    /** Serves {@code body}, which the client sent as {@code bodyBytes} bytes, at {@code endpoint}. */
    private void dispatch(RequestContext ctx, Endpoint endpoint, ObjectNode body, long bodyBytes) {
        switch (endpoint) {
            case CHAT -> chat(ctx, OPENAI, body);
            case MESSAGES -> chat(ctx, ANTHROPIC, body);
            case EMBEDDINGS -> embeddings(ctx, body, bodyBytes);
            case RESPONSES -> responses(ctx, body, bodyBytes);
            case COUNT_TOKENS -> countTokens(ctx, body, bodyBytes);
            default -> throw new IllegalStateException("unexpected endpoint " + endpoint);
        }
    }

    private void embeddings(RequestContext ctx, ObjectNode body, long bodyBytes) {
        List<Target> targets = targets(ctx, OPENAI, body);
        PromptTokens input = PromptTokens.embeddingsInput(gateway.compute(), body);
        Supplier<Future<TokenEstimate>> estimate = () -> input.count()
                .map(tokens -> new TokenEstimate(model(body), tokens, 0));
        admitThen(ctx, OPENAI, estimate,
                () -> RelayExchange.embeddings(gateway, ctx, OPENAI, body, bodyBytes, input, targets));
    }

    private void responses(RequestContext ctx, ObjectNode body, long bodyBytes) {
        List<Target> targets = targets(ctx, OPENAI, body);
        PromptTokens input = PromptTokens.responsesInput(gateway.compute(), body);
        long maxOutputTokens = body.path("max_output_tokens").asLong(0);
        Supplier<Future<TokenEstimate>> estimate = () -> input.count()
                .map(tokens -> new TokenEstimate(model(body), tokens, maxOutputTokens));
        admitThen(ctx, OPENAI, estimate,
                () -> RelayExchange.responses(gateway, ctx, OPENAI, body, bodyBytes, input, targets));
    }

    /** Serves a token count. Counting consumes no tokens, so the checks see a request of zero tokens. */
    private void countTokens(RequestContext ctx, ObjectNode body, long bodyBytes) {
        List<Target> targets = targets(ctx, ANTHROPIC, body);
        admitThen(ctx, ANTHROPIC, () -> Future.succeededFuture(new TokenEstimate(model(body), 0, 0)),
                () -> RelayExchange.countTokens(gateway, ctx, ANTHROPIC, body, bodyBytes, targets));
    }

    /**
     * Runs the checks of {@link AiGateway#checkRequest} on a request whose model resolved, then runs {@code next}
     * when they admit it and the client is still connected. {@code next} may throw {@link AiException}, which
     * becomes the client's error.
     */
    private static void admitThen(RequestContext ctx, Frontend frontend, Supplier<Future<TokenEstimate>> estimate,
                                  Runnable next) {
        AiGateway.admitRequest(ctx, estimate).onComplete(admitted -> {
            if (admitted.failed()) {
                LOG.warn("A check of AI request {} failed", ctx.requestId(), admitted.cause());
                fail(ctx, frontend, AiError.of(500, "the request could not be checked"));
            } else if (admitted.result() && !ctx.response().closed()) {
                try {
                    next.run();
                } catch (AiException e) {
                    fail(ctx, frontend, e.error());
                }
            }
        });
    }

    /** Returns the body's {@code model}, which {@link #targets} has checked to be a non-blank string. */
    private static String model(ObjectNode body) {
        return body.get("model").asText();
    }

    private void chat(RequestContext ctx, Frontend frontend, ObjectNode body) {
        ChatRequest request = frontend.parse(body);
        ImageFetcher.checkSchemes(request.body());
        String beta = ctx.request().getHeader("anthropic-beta");
        if (beta != null && request.protocol() == io.portico.ai.spi.Protocol.ANTHROPIC) {
            request = request.withClientHeaders(Map.of("anthropic-beta", beta));
        }
        List<Target> targets = targets(ctx, frontend, body);
        ChatRequest parsed = request;
        PromptTokens prompt = new PromptTokens(gateway.compute(), parsed.body());
        admitThen(ctx, frontend, () -> estimate(parsed, prompt),
                () -> answer(ctx, frontend, parsed, prompt, targets));
    }

    /**
     * Serves an admitted chat request from the cache or from the providers. The request's {@code Cache-Control}
     * directives mean what they mean to the REST cache, except {@code no-store}: it sends the request to a provider,
     * and the response is not stored.
     */
    private void answer(RequestContext ctx, Frontend frontend, ChatRequest parsed, PromptTokens prompt,
                        List<Target> targets) {
        ChatCache cache = ChatCache.of(ctx, parsed);
        if (cache == null) {
            new ChatExchange(gateway, ctx, frontend, parsed, prompt, targets, null).start();
            return;
        }
        CacheControl directives = CacheControl.request(ctx.request().headers());
        if (directives.has("no-store")) {
            forward(ctx, frontend, parsed, prompt, targets, null, directives, "request");
            return;
        }
        if (directives.has("no-cache")) {
            forward(ctx, frontend, parsed, prompt, targets, cache, directives, "request");
            return;
        }
        long start = System.nanoTime();
        cache.lookup().onComplete(found -> {
            if (found.failed()) {
                // The store that just failed would most likely fail the write too.
                forward(ctx, frontend, parsed, prompt, targets, null, directives, "miss; detail=store-error");
                return;
            }
            ChatCache.Entry entry = found.result();
            long now = System.currentTimeMillis();
            String reason = entry == null ? "uri-miss" : entry.unusable(directives, now);
            if (reason != null) {
                forward(ctx, frontend, parsed, prompt, targets, cache, directives, reason);
                return;
            }
            gateway.recordCached(ctx, entry.provider(), entry.model(), (System.nanoTime() - start) / 1_000_000.0);
            MultiMap headers = ctx.response().headers();
            if (entry.dated()) {
                headers.set(HttpHeaders.AGE, Long.toString(entry.ageSeconds(now)));
                headers.add(CACHE_STATUS, "Portico; hit; ttl=" + (entry.freshUntilMillis() - now) / 1000);
            } else {
                headers.add(CACHE_STATUS, "Portico; hit");
            }
            ChatReplay.write(ctx.response(), frontend, parsed, entry);
        });
    }

    /** Returns what {@code request} may consume: its prompt's tokens and the output tokens it allows. */
    private static Future<TokenEstimate> estimate(ChatRequest request, PromptTokens prompt) {
        JsonNode body = request.body();
        long maxTokens = Math.max(body.path("max_completion_tokens").asLong(0), body.path("max_tokens").asLong(0));
        return prompt.count().map(tokens -> new TokenEstimate(request.model(), tokens, maxTokens));
    }

    /**
     * Sends a request the cache could not serve to the providers; its complete response, streamed or not, is stored
     * when {@code cache} is not null. A request with {@code only-if-cached} gets a 504 {@code not_cached} error
     * instead.
     *
     * @param forward the {@code fwd} parameter of {@code Cache-Status}, with any further parameters
     */
    private void forward(RequestContext ctx, Frontend frontend, ChatRequest request, PromptTokens prompt,
                         List<Target> targets, ChatCache cache, CacheControl directives, String forward) {
        String status = "Portico; fwd=" + forward;
        ctx.onResponseHeaders(headers -> headers.add(CACHE_STATUS, status));
        if (directives.has("only-if-cached")) {
            fail(ctx, frontend, AiError.of(504, "not_cached",
                    "the request says only-if-cached and the cache holds no answer that satisfies it"));
            return;
        }
        new ChatExchange(gateway, ctx, frontend, request, prompt, targets, cache).start();
    }

    /**
     * Resolves the body's model to targets, checking the route's allowed models.
     *
     * @throws AiException when the model is missing, unknown or not allowed on this route
     */
    private List<Target> targets(RequestContext ctx, Frontend frontend, ObjectNode body) {
        JsonNode model = body.get("model");
        if (model == null || !model.isTextual() || model.asText().isBlank()) {
            throw AiException.invalidParam("model", "'model' is required and must be a string");
        }
        String requested = model.asText();
        AiRuntime runtime = gateway.runtime();
        List<String> allowed = ctx.route().spec().ai().models();
        List<Target> targets = AiRuntime.allowedTargets(allowed, requested, runtime.resolve(requested));
        if (targets.isEmpty()) {
            throw new AiException(AiError.of(404, "model_not_found", "The model '" + requested
                    + "' does not exist or you do not have access to it."));
        }
        String consumer = ctx.identity() == null ? null : ctx.identity().consumer();
        AccessList access = runtime.modelAccess(consumer);
        if (access != null) {
            targets = AiRuntime.consumerTargets(access, requested, targets);
            if (targets.isEmpty()) {
                throw new AiException(AiError.of(403, "model_not_allowed", "Consumer '" + consumer
                        + "' is not allowed to use the model '" + requested + "'."));
            }
        }
        return targets;
    }

    /**
     * Returns the model id of a {@code /models/{id}} path with its percent-escapes decoded, since clients escape
     * characters such as {@code :} and {@code @} of fine-tuned model ids. An id with a malformed escape is kept as
     * it is and matches no model.
     */
    static String modelId(String segment) {
        if (segment.indexOf('%') < 0) {
            return segment;
        }
        try {
            return URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return segment;
        }
    }

    /** Lists the models a client may ask for on this route: virtual models, then each provider's listed models. */
    private void models(RequestContext ctx, String id, boolean anthropicClient) {
        AiRuntime runtime = gateway.runtime();
        List<String> allowed = ctx.route().spec().ai().models();
        AccessList access = runtime.modelAccess(ctx.identity() == null ? null : ctx.identity().consumer());
        Map<String, String> models = new LinkedHashMap<>();
        for (VirtualModelSpec model : runtime.models().values()) {
            if (listed(runtime, allowed, access, model.name())) {
                models.put(model.name(), "portico");
            }
        }
        for (ProviderRuntime provider : runtime.providers().values()) {
            for (String model : provider.spec().models()) {
                String name = provider.name() + "/" + model;
                if (listed(runtime, allowed, access, name)) {
                    models.put(name, provider.name());
                }
            }
        }
        Frontend frontend = anthropicClient ? ANTHROPIC : OPENAI;
        if (id != null) {
            if (!models.containsKey(id)) {
                fail(ctx, frontend, AiError.of(404, "model_not_found", "The model '" + id + "' does not exist"));
                return;
            }
            ObjectNode found = anthropicClient ? anthropicModel(runtime, id) : openAiModel(id, models.get(id));
            ctx.response().putHeader("content-type", "application/json").end(found.toString());
            return;
        }
        ObjectNode list = NODES.objectNode();
        ArrayNode data;
        if (anthropicClient) {
            data = list.putArray("data");
            models.keySet().forEach(name -> data.add(anthropicModel(runtime, name)));
            list.put("has_more", false);
            list.put("first_id", models.isEmpty() ? null : models.keySet().iterator().next());
            list.put("last_id", models.isEmpty() ? null : List.copyOf(models.keySet()).get(models.size() - 1));
        } else {
            list.put("object", "list");
            data = list.putArray("data");
            models.forEach((name, owner) -> data.add(openAiModel(name, owner)));
        }
        ctx.response().putHeader("content-type", "application/json").end(list.toString());
    }

    /**
     * Returns true when the models list shows {@code name}: the route allows it, and the consumer's access list, if
     * any, leaves at least one target to serve it.
     */
    private static boolean listed(AiRuntime runtime, List<String> allowed, AccessList access, String name) {
        List<Target> targets = runtime.resolve(name);
        if (!AiRuntime.allowed(allowed, name, targets)) {
            return false;
        }
        return access == null || !AiRuntime.consumerTargets(access, name, targets).isEmpty();
    }

    private static ObjectNode openAiModel(String id, String owner) {
        return NODES.objectNode().put("id", id).put("object", "model").put("created", 0).put("owned_by", owner);
    }

    /**
     * Returns the model object of Anthropic's Models API for {@code id}. Its token limits are the smallest that the
     * catalog gives for the model's targets, so that a request within them fits every target, and are left out when
     * the catalog has none.
     */
    private ObjectNode anthropicModel(AiRuntime runtime, String id) {
        ObjectNode model = NODES.objectNode().put("type", "model").put("id", id).put("display_name", id)
                .put("created_at", "1970-01-01T00:00:00Z").put("lifecycle", "active");
        Integer input = null;
        Integer output = null;
        for (Target target : runtime.resolve(id)) {
            ModelInfo info = gateway.catalog().find(target.provider().type().id(), target.model()).orElse(null);
            if (info != null) {
                input = smaller(input, info.contextWindow());
                output = smaller(output, info.maxOutputTokens());
            }
        }
        if (input != null) {
            model.put("max_input_tokens", input);
        }
        if (output != null) {
            model.put("max_tokens", output);
        }
        return model;
    }

    private static Integer smaller(Integer current, Integer candidate) {
        if (candidate == null) {
            return current;
        }
        return current == null ? candidate : Math.min(current, candidate);
    }

    /**
     * Returns the error of a body over {@code limit} bytes. OpenAI's error shape carries its code, which is
     * Anthropic's error type for 413 as well.
     */
    private static AiError tooLarge(long limit) {
        return AiError.of(413, "request_too_large", "the request body is larger than " + limit + " bytes; send a "
                + "smaller one, or raise the route's maxBodySize");
    }

    private static void fail(RequestContext ctx, Frontend frontend, AiError error) {
        AiGateway.recordError(ctx, error);
        if (!ctx.response().headWritten()) {
            frontend.writeError(ctx.response(), error);
        }
    }
}
