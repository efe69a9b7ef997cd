package io.portico.ai.provider;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.spi.AdapterContext;
import io.portico.ai.spi.AiError;
import io.portico.ai.spi.CallTarget;
import io.portico.ai.spi.ChatRequest;
import io.portico.ai.spi.Framing;
import io.portico.ai.spi.Protocol;
import io.portico.ai.spi.ProviderAdapter;
import io.portico.ai.spi.ProviderCall;
import io.portico.ai.spi.StreamFrame;
import io.portico.ai.spi.StreamTranslator;
import io.portico.ai.spi.Usage;
import io.portico.config.ProviderSpec;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;

/**
 * Vertex AI: Gemini models at {@code projects/{project}/locations/{region}/publishers/google/models/{model}} with
 * {@code :generateContent} and {@code :streamGenerateContent?alt=sse}, translated as for the Gemini API (see
 * {@link GeminiRequests}); Anthropic models (ids starting with {@code claude}) at
 * {@code publishers/anthropic/models/{model}} with {@code :rawPredict} and {@code :streamRawPredict}, sent as an
 * Anthropic Messages body without {@code model} and with {@code "anthropic_version": "vertex-2023-10-16"}: the
 * client's body for Anthropic clients, whose responses are relayed as they are, and a translation by
 * {@link AnthropicRequests} for OpenAI clients; text embedding models with {@code :predict}.
 *
 * <p>The base URL is {@code https://{region}-aiplatform.googleapis.com/v1}, or
 * {@code https://aiplatform.googleapis.com/v1} for the {@code global} location, unless {@code baseUrl} is set.
 * Calls carry an OAuth access token: a configured {@code key} is sent as a ready bearer token; otherwise a token is
 * obtained for the {@code serviceAccount} key in {@link #authorize} and cached, see {@link GoogleAccessTokens}.
 */
public final class VertexAdapter implements ProviderAdapter {

    /** The {@code anthropic_version} Vertex AI requires in Anthropic request bodies. */
    public static final String ANTHROPIC_VERSION = "vertex-2023-10-16";

    /** How long a token source stays cached without a call, which is longer than the one-hour life of a token. */
    static final Duration TOKEN_SOURCE_IDLE = Duration.ofHours(2);

    private final AdapterContext context;
    private final Clock clock;
    private final AnthropicAdapter anthropic = new AnthropicAdapter();
    /**
     * Token sources by service account key and token URL, so providers that share an account share tokens. A source
     * unused for {@link #TOKEN_SOURCE_IDLE}, such as one of a replaced key or a deleted provider, leaves the cache
     * together with the private key it holds.
     */
    private final Cache<String, GoogleAccessTokens> tokens;

    public VertexAdapter(AdapterContext context) {
        this(context, Clock.systemUTC(), Ticker.systemTicker());
    }

    /** Creates an adapter whose token expiry and token source idleness both follow {@code clock}. */
    VertexAdapter(AdapterContext context, Clock clock) {
        this(context, clock, () -> clock.millis() * 1_000_000L);
    }

    private VertexAdapter(AdapterContext context, Clock clock, Ticker ticker) {
        this.context = requireNonNull(context, "context");
        this.clock = requireNonNull(clock, "clock");
        this.tokens = Caffeine.newBuilder().expireAfterAccess(TOKEN_SOURCE_IDLE).executor(Runnable::run)
                .ticker(ticker).build();
    }

    /** Returns the number of token sources held, after removing those idle for {@link #TOKEN_SOURCE_IDLE}. */
    long tokenSources() {
        tokens.cleanUp();
        return tokens.estimatedSize();
    }

    /** Returns the default base URL for a location. */
    public static String defaultBaseUrl(String region) {
        return "global".equals(region) ? "https://aiplatform.googleapis.com/v1"
                : "https://" + region + "-aiplatform.googleapis.com/v1";
    }

    @Override
    public Framing framing() {
        return Framing.SSE;
    }

    /** Returns {@link Protocol#ANTHROPIC} for Claude models, whose API on Vertex AI is Anthropic's Messages API. */
    @Override
    public Protocol nativeProtocol(String model) {
        return isAnthropic(model) ? Protocol.ANTHROPIC : null;
    }

    @Override
    public ProviderCall chat(ChatRequest request, CallTarget target) {
        if (isAnthropic(target.model())) {
            return rawPredict(request, target, AnthropicRequests.fromOpenAi(request.body(), target));
        }
        ObjectNode body = GeminiRequests.fromOpenAi(request.body(), GeminiRequests.Service.VERTEX, target);
        String operation = request.stream() ? ":streamGenerateContent?alt=sse" : ":generateContent";
        return call(target, modelPath(target, "google") + operation, body);
    }

    /**
     * Builds the call of an Anthropic client's request to a Claude model: the client's body with {@code model}
     * removed and {@code anthropic_version} added, and the client's {@code anthropic-beta} header.
     */
    @Override
    public ProviderCall nativeChat(ChatRequest request, CallTarget target) {
        ObjectNode body = AnthropicRequests.withoutForeignThinking(request.original().deepCopy());
        AnthropicRequests.withValidToolIds(body);
        ProviderCall call = rawPredict(request, target, body);
        request.clientHeaders().forEach(call.headers()::set);
        return call;
    }

    private static ProviderCall rawPredict(ChatRequest request, CallTarget target, ObjectNode anthropicBody) {
        anthropicBody.remove("model");
        anthropicBody.put("anthropic_version", ANTHROPIC_VERSION);
        String operation = request.stream() ? ":streamRawPredict" : ":rawPredict";
        return call(target, modelPath(target, "anthropic") + operation, anthropicBody);
    }

    @Override
    public Usage nativeUsage(JsonNode body) {
        return anthropic.nativeUsage(body);
    }

    @Override
    public Usage nativeStreamUsage(StreamFrame frame) {
        return anthropic.nativeStreamUsage(frame);
    }

    @Override
    public String nativeStreamOutput(StreamFrame frame) {
        return anthropic.nativeStreamOutput(frame);
    }

    @Override
    public ObjectNode chatResponse(JsonNode body, ChatRequest request, CallTarget target) {
        if (isAnthropic(target.model())) {
            return anthropic.chatResponse(body, request, target);
        }
        return GeminiResponses.chatCompletion(body, target.model());
    }

    @Override
    public Usage chatUsage(JsonNode body, CallTarget target) {
        return isAnthropic(target.model()) ? anthropic.chatUsage(body, target) : null;
    }

    @Override
    public StreamTranslator chatStream(ChatRequest request, CallTarget target) {
        if (isAnthropic(target.model())) {
            return anthropic.chatStream(request, target);
        }
        return GeminiResponses.streamTranslator(target.model());
    }

    @Override
    public boolean supportsEmbeddings() {
        return true;
    }

    @Override
    public ProviderCall embeddings(ObjectNode request, CallTarget target) {
        return call(target, modelPath(target, "google") + ":predict", GeminiEmbeddings.predictRequest(request));
    }

    @Override
    public ObjectNode embeddingsResponse(JsonNode body, ObjectNode request, CallTarget target) {
        return GeminiEmbeddings.fromPredict(body, request, target.model());
    }

    /**
     * Adds the service account's access token to a call that has no {@code authorization} header yet. The
     * returned future completes on the caller's Vert.x context, whichever thread received the token.
     */
    @Override
    public Future<ProviderCall> authorize(ProviderCall call, CallTarget target) {
        if (call.headers().contains("authorization")) {
            return Future.succeededFuture(call);
        }
        ProviderSpec provider = target.provider();
        if (provider.serviceAccount() == null) {
            return Future.failedFuture(new IllegalStateException("provider '" + provider.name()
                    + "' has neither a key nor a serviceAccount"));
        }
        GoogleAccessTokens source;
        try {
            source = tokens.get(provider.serviceAccount() + "\n" + provider.tokenUrl(),
                    key -> new GoogleAccessTokens(GoogleServiceAccount.parse(provider.serviceAccount()),
                            provider.tokenUrl(), context.vertx(), context.client(), clock));
        } catch (IllegalArgumentException e) {
            return Future.failedFuture(new IllegalStateException("the serviceAccount of provider '" + provider.name()
                    + "' " + e.getMessage()));
        }
        Future<ProviderCall> authorized = source.token(provider.timeouts().connect().toMillis()).map(token -> {
            call.headers().set("authorization", "Bearer " + token);
            return call;
        });
        return onCallerContext(authorized);
    }

    private static <T> Future<T> onCallerContext(Future<T> future) {
        Context caller = Vertx.currentContext();
        if (caller == null || future.isComplete()) {
            return future;
        }
        Promise<T> promise = Promise.promise();
        future.onComplete(result -> caller.runOnContext(ignored -> promise.handle(result)));
        return promise.future();
    }

    @Override
    public AiError error(int status, MultiMap headers, Buffer body) {
        return GeminiResponses.error(status, headers, body);
    }

    static boolean isAnthropic(String model) {
        return model.startsWith("claude");
    }

    private static String modelPath(CallTarget target, String publisher) {
        ProviderSpec provider = target.provider();
        return "projects/" + segment(provider.project()) + "/locations/" + segment(provider.region())
                + "/publishers/" + publisher + "/models/" + segment(target.model());
    }

    /** Encodes a path segment, keeping the {@code @} of versioned model ids such as {@code claude-x@20250101}. */
    private static String segment(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20").replace("%40", "@");
    }

    private static ProviderCall call(CallTarget target, String path, ObjectNode body) {
        ProviderSpec provider = target.provider();
        String baseUrl = provider.baseUrl() != null ? target.baseUrl() : defaultBaseUrl(provider.region());
        ProviderCall call = ProviderCall.postJson(Wire.join(baseUrl, path), Wire.json(body));
        if (target.key() != null) {
            call.headers().set("authorization", "Bearer " + target.key());
        }
        provider.headers().forEach(call.headers()::set);
        return call;
    }
}
