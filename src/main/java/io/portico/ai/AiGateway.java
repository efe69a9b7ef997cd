package io.portico.ai;

import static java.util.Objects.requireNonNull;

import io.portico.ai.catalog.ModelCatalog;
import io.portico.ai.catalog.ModelInfo;
import io.portico.net.client.Http1Client;
import io.portico.ai.provider.ProviderType;
import io.portico.ai.spi.AdapterContext;
import io.portico.ai.spi.AiError;
import io.portico.ai.spi.ProviderAdapter;
import io.portico.ai.spi.Usage;
import io.portico.circuitbreaker.CircuitBreaker;
import io.portico.config.ConfigSnapshot;
import io.portico.metrics.AiMetrics;
import io.portico.metrics.Rejection;
import io.portico.node.NodeConfig;
import io.portico.pipeline.Backend;
import io.portico.pipeline.ProblemRenderer;
import io.portico.pipeline.RequestContext;
import io.portico.problem.ProblemType;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.PoolOptions;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The AI gateway of one node: the providers and virtual models of the current configuration, the HTTP clients that
 * reach providers, and the backend of AI routes. Usage of every request is recorded on the request and offered to
 * listeners such as analytics and budgets.
 */
public final class AiGateway {

    /**
     * Request attribute holding the last {@link UsageRecord} of an AI request: the provider call that served it, or
     * a failed attempt whose response reported usage when no call served it.
     */
    public static final String USAGE_ATTRIBUTE = "ai.usage";
    /**
     * Request attribute holding the {@link Billed} sum of the usage records of an AI request, once it has more than
     * one.
     */
    private static final String BILLED_ATTRIBUTE = "ai.usage.billed";
    /** Request attribute holding the message of the error an AI request ended with. */
    public static final String ERROR_ATTRIBUTE = "ai.error";
    /** Request attribute holding the listeners of {@link #onRequestUsage}. */
    private static final String USAGE_LISTENERS_ATTRIBUTE = "ai.usage.listeners";
    /** Request attribute holding the checks of {@link #checkRequest}. */
    private static final String REQUEST_CHECKS_ATTRIBUTE = "ai.request.checks";
    /** The error code of a request that no provider key may serve because each key's budget is spent. */
    public static final String BUDGET_EXCEEDED_CODE = "budget_exceeded";
    /** Request attribute holding the checks of {@link #checkKeys}. */
    private static final String KEY_CHECKS_ATTRIBUTE = "ai.key.checks";
    /**
     * The {@code model} tag of the meters of a provider model that neither the configuration nor the model catalog
     * lists.
     */
    public static final String OTHER_MODEL = "other";
    /** The {@code ai_error} access-log field of a request whose client left before its response ended. */
    static final String CLIENT_CLOSED = "client_closed";
    /**
     * The error code of a call whose provider credentials could not be obtained, such as a failed Vertex AI token
     * exchange.
     */
    static final String PROVIDER_AUTHORIZATION_FAILED = "provider_authorization_failed";
    /** Prefix of the response headers and trailers that report usage. */
    public static final String HEADER_PREFIX = "x-portico-";

    private static final String TRAILERS = HEADER_PREFIX + "input-tokens, " + HEADER_PREFIX + "output-tokens, "
            + HEADER_PREFIX + "cached-tokens, " + HEADER_PREFIX + "reasoning-tokens, " + HEADER_PREFIX + "cost-usd";

    /** The usage header names as AsciiStrings, whose hash codes the header maps do not compute per request. */
    private static final CharSequence PROVIDER_HEADER = HttpHeaders.createOptimized(HEADER_PREFIX + "provider");
    private static final CharSequence MODEL_HEADER = HttpHeaders.createOptimized(HEADER_PREFIX + "model");
    private static final CharSequence INPUT_TOKENS_HEADER = HttpHeaders.createOptimized(HEADER_PREFIX + "input-tokens");
    private static final CharSequence OUTPUT_TOKENS_HEADER =
            HttpHeaders.createOptimized(HEADER_PREFIX + "output-tokens");
    private static final CharSequence CACHED_TOKENS_HEADER =
            HttpHeaders.createOptimized(HEADER_PREFIX + "cached-tokens");
    private static final CharSequence REASONING_TOKENS_HEADER =
            HttpHeaders.createOptimized(HEADER_PREFIX + "reasoning-tokens");
    private static final CharSequence COST_HEADER = HttpHeaders.createOptimized(HEADER_PREFIX + "cost-usd");

    private static final Logger LOG = LoggerFactory.getLogger(AiGateway.class);
    /** The outcome of {@link #admitRequest} without checks. A completed future without a context can be shared. */
    private static final Future<Boolean> ADMITTED = Future.succeededFuture(true);
    /** The name of the worker pool of {@link #compute()}, which thread names and Vert.x metrics show. */
    private static final String COMPUTE_POOL = "portico-ai-compute";

    private final Vertx vertx;
    private final ModelCatalog catalog;
    /**
     * The client of the token exchanges that adapters make for their credentials. It sends no Accept-Encoding and
     * decompresses nothing, as {@link #imageClient} does.
     */
    private final HttpClient client;
    /**
     * The client that fetches images given by URL. It sends no Accept-Encoding and decompresses nothing, because
     * the URLs come from clients and a compressed body can expand a thousandfold before its size limit applies.
     */
    private final HttpClient imageClient;
    private final Http1Client providerClient;
    private final Function<ProviderType, ProviderAdapter> adapters;
    private final AiBackend backend;
    private final ProblemRenderer problems = new AiProblemRenderer();
    private final ImageFetcher images;
    /** The threads that parse large request bodies and count the tokens of long prompts. */
    private final WorkerExecutor compute;
    /** The default of {@code limits.bodyTimeout}. */
    private static final long DEFAULT_BODY_TIMEOUT_MILLIS = 60_000;

    private final long bodyTimeoutMillis;
    /** The largest provider response body that is not a stream, in bytes: {@code ai.maxResponseBytes}. */
    private final long maxResponseBytes;
    private final AiMetrics metrics;
    private volatile AiRuntime runtime = AiRuntime.empty();
    private volatile Consumer<UsageRecord> listener = record -> { };
    /** True once {@link #close()} has started. */
    private volatile boolean closed;

    public AiGateway(Vertx vertx, ModelCatalog catalog) {
        this(vertx, catalog, new NodeConfig.Ai(null, null, null), DEFAULT_BODY_TIMEOUT_MILLIS);
    }

    /** Creates the AI gateway without metrics. */
    public AiGateway(Vertx vertx, ModelCatalog catalog, NodeConfig.Ai settings, long bodyTimeoutMillis) {
        this(vertx, catalog, settings, bodyTimeoutMillis, AiMetrics.NONE);
    }

    /**
     * Creates the AI gateway whose provider calls {@code metrics} records.
     *
     * @param settings the node's AI settings: how images given by URL are fetched, and the provider response limit
     * @param bodyTimeoutMillis longest wait for the next bytes of a request body, in milliseconds; then 408
     */
    public AiGateway(Vertx vertx, ModelCatalog catalog, NodeConfig.Ai settings, long bodyTimeoutMillis,
                     AiMetrics metrics) {
        NodeConfig.Images images = settings.images();
        this.maxResponseBytes = settings.maxResponseBytes();
        this.vertx = requireNonNull(vertx, "vertx");
        this.metrics = requireNonNull(metrics, "metrics");
        this.bodyTimeoutMillis = bodyTimeoutMillis;
        this.catalog = requireNonNull(catalog, "catalog");
        HttpClientOptions options = new HttpClientOptions()
                .setKeepAlive(true)
                .setKeepAliveTimeout(60)
                .setTcpNoDelay(true)
                .setVerifyHost(true)
                .setDecompressionSupported(false);
        this.client = vertx.httpClientBuilder().with(options).with(new PoolOptions().setHttp1MaxSize(16)).build();
        this.providerClient = new Http1Client(vertx);
        this.adapters = AiRuntime.adapterCache(new AdapterContext(vertx, client, catalog));
        this.backend = new AiBackend(this);
        this.imageClient = vertx.httpClientBuilder()
                .with(new HttpClientOptions(options))
                .with(new PoolOptions().setHttp1MaxSize(16))
                .build();
        this.images = new ImageFetcher(vertx, imageClient, images);
        // A pool of its own, as many threads as cores since the work is CPU-bound, so that a flood of long prompts
        // queues here and leaves the shared worker pool to its other blocking tasks.
        this.compute = vertx.createSharedWorkerExecutor(COMPUTE_POOL, Runtime.getRuntime().availableProcessors());
        // Loading the tokenizer's vocabulary takes a moment; doing it now keeps it off the first request. Unordered,
        // so it does not delay the other blocking tasks of the context that creates the gateway.
        vertx.executeBlocking(() -> TokenCounter.count("warm-up"), false);
    }

    /** Switches to the providers and virtual models of {@code snapshot}. */
    public void update(ConfigSnapshot snapshot) {
        install(prepare(snapshot));
    }

    /**
     * Builds the providers and virtual models of {@code snapshot} without serving them. A provider whose
     * configuration is unchanged keeps its key states and statistics. Safe to call on a worker thread while
     * requests run.
     */
    public Update prepare(ConfigSnapshot snapshot) {
        AiRuntime base = runtime;
        return new Update(this, base, AiRuntime.build(snapshot, base, adapters));
    }

    /**
     * Serves the providers and virtual models of {@code update}. Requests in flight finish with those they started
     * with.
     *
     * @throws IllegalStateException when another update was installed since {@code update} was prepared, so its
     *     providers would take the key states of an older configuration
     */
    public void install(Update update) {
        requireNonNull(update, "update");
        if (update.owner != this) {
            throw new IllegalArgumentException("the update was prepared by another AI gateway");
        }
        if (!update.isCurrent()) {
            throw new IllegalStateException("the AI update was prepared against providers that no longer serve; "
                    + "prepare it again");
        }
        runtime = update.runtime;
        metrics.retainProviders(update.runtime.providers().keySet());
    }

    /** The providers and virtual models of one snapshot, built by {@link #prepare}. Owns no resource. */
    public static final class Update {
        private final AiGateway owner;
        private final AiRuntime base;
        private final AiRuntime runtime;

        private Update(AiGateway owner, AiRuntime base, AiRuntime runtime) {
            this.owner = owner;
            this.base = base;
            this.runtime = runtime;
        }

        /** Returns whether the providers this update was built against still serve, so it may be installed. */
        public boolean isCurrent() {
            return owner.runtime == base;
        }
    }

    /** The backend of every AI route. */
    public Backend backend() {
        return backend;
    }

    /** Writes the problems reported on AI routes in the client protocol's error shape. */
    public ProblemRenderer problems() {
        return problems;
    }

    /** Receives the usage record of every AI request that a provider served. */
    public void onUsage(Consumer<UsageRecord> listener) {
        this.listener = requireNonNull(listener, "listener");
    }

    /** Closes the connections to providers and the compute threads. */
    public Future<Void> close() {
        closed = true;
        return Future.join(List.of(providerClient.close(), client.close(), imageClient.close(), compute.close()))
                .mapEmpty();
    }

    /**
     * Cuts off the response of {@code ctx} without a status once {@link #close()} has started, after running
     * {@code clientClosed}, and returns whether it did. A node closes its AI gateway only when it stops, after the
     * listeners' drain, so a request still running then was cut off by the stop. The closing of the provider
     * clients can fail its attempt before the client's close reaches the exchange. The exchange then ends as if that
     * close had come first, with no retry, no other target, no error response and no failure for the breaker or the
     * metrics.
     */
    boolean cutOffAfterClose(RequestContext ctx, Runnable clientClosed) {
        if (!closed) {
            return false;
        }
        LOG.debug("Request {} is cut off: the node closed its provider clients at the end of a stop's drain",
                ctx.requestId());
        clientClosed.run();
        ctx.response().reset(RequestContext.RESET_INTERNAL_ERROR);
        return true;
    }

    /** Returns the circuit breaker of every provider model called so far whose provider configures one. */
    public List<ModelCircuitBreaker> circuitBreakers() {
        List<ModelCircuitBreaker> breakers = new ArrayList<>();
        for (ProviderRuntime provider : runtime.providers().values()) {
            provider.allStats().forEach((model, stats) -> {
                if (stats.breaker() != null) {
                    boolean listed = listed(new Target(provider, model, 1));
                    breakers.add(new ModelCircuitBreaker(provider.name(), model, stats.breaker(), listed));
                }
            });
        }
        breakers.sort(Comparator.comparing(ModelCircuitBreaker::provider).thenComparing(ModelCircuitBreaker::model));
        return breakers;
    }

    /**
     * The circuit breaker of one model of one provider.
     *
     * @param listed true when the configuration or the model catalog lists the model, so that its breaker has
     *     meters (see {@link #metricModel})
     */
    public record ModelCircuitBreaker(String provider, String model, CircuitBreaker breaker, boolean listed) {
    }

    AiRuntime runtime() {
        return runtime;
    }

    Vertx vertx() {
        return vertx;
    }

    /** Returns the client of every call to a provider's API. */
    Http1Client providerClient() {
        return providerClient;
    }

    ModelCatalog catalog() {
        return catalog;
    }

    /** Returns how long a request body may pause between two reads, in milliseconds. */
    long bodyTimeoutMillis() {
        return bodyTimeoutMillis;
    }

    long maxResponseBytes() {
        return maxResponseBytes;
    }

    ImageFetcher images() {
        return images;
    }

    /** Returns the threads for CPU-heavy work on large requests, which must not run on an event loop. */
    WorkerExecutor compute() {
        return compute;
    }

    /** The meters of provider calls. */
    AiMetrics metrics() {
        return metrics;
    }

    /**
     * Returns the {@code model} tag of the meters of {@code target}: its model id when the configuration lists it
     * ({@link AiRuntime#configured}) or the model catalog does, else {@link #OTHER_MODEL}. A client that names a
     * provider model directly can name anything, and each new tag value would add series to every scrape.
     */
    String metricModel(Target target) {
        return listed(target) ? target.model() : OTHER_MODEL;
    }

    /**
     * Returns true when the configuration lists the model of {@code target}, among its provider's {@code models} or
     * as a target of a virtual model, so that no client chose the model.
     */
    boolean configured(Target target) {
        return runtime.configured(target);
    }

    /** Returns true when the configuration or the model catalog lists the model of {@code target}. */
    private boolean listed(Target target) {
        return runtime.configured(target) || catalog.lists(target.provider().type().id(), target.model());
    }

    /**
     * Records the usage of a request served by {@code target} with the key labelled {@code key}, whose catalog
     * entry is {@code info} (null when the catalog does not know the model): cost, request attribute, access log
     * fields.
     */
    UsageRecord record(RequestContext ctx, Target target, String key, ModelInfo info, Usage usage,
                       double latencyMillis, double firstTokenMillis) {
        return record(ctx, target, key, info, usage, latencyMillis, firstTokenMillis, 0);
    }

    /**
     * Records a provider call as {@link #record(RequestContext, Target, String, ModelInfo, Usage, double, double)}
     * does. A {@code failedStatus} other than 0 is the error that ended the call after its provider reported or
     * produced tokens: a stream after its first event, or a failed attempt whose response reported usage. The
     * metrics count the call with that outcome.
     */
    UsageRecord record(RequestContext ctx, Target target, String key, ModelInfo info, Usage usage,
                       double latencyMillis, double firstTokenMillis, int failedStatus) {
        BigDecimal cost = info == null ? BigDecimal.ZERO
                : catalog.cost(info, usage.inputTokens(), usage.outputTokens(),
                        Math.min(usage.cachedInputTokens(), usage.inputTokens()));
        UsageRecord record = new UsageRecord(target.provider().name(), target.model(), usage, latencyMillis,
                firstTokenMillis, cost, false, key);
        String metricModel = metricModel(target);
        if (failedStatus == 0) {
            metrics.succeeded(record.provider(), metricModel, usage.inputTokens(), usage.outputTokens(),
                    usage.cachedInputTokens(), usage.reasoningTokens(), cost.doubleValue(), latencyMillis);
        } else {
            metrics.failedAfterOutput(record.provider(), metricModel, failedStatus, usage.inputTokens(),
                    usage.outputTokens(), usage.cachedInputTokens(), usage.reasoningTokens(), cost.doubleValue());
        }
        ctx.upstreamAddress(target.address());
        return publish(ctx, record);
    }

    /**
     * Names the provider model of {@code target} in the access-log line of {@code ctx}: its address as
     * {@code upstream}, {@code ai_provider} and {@code ai_model}. For a call that recorded no usage, such as one
     * that failed or that the client left before the response started.
     */
    static void logTarget(RequestContext ctx, Target target) {
        ctx.upstreamAddress(target.address());
        ctx.putLogField("ai_provider", target.provider().name());
        ctx.putLogField("ai_model", target.model());
    }

    /**
     * Records a request answered from the cache with a response that {@code provider}'s {@code model} produced
     * earlier: zero tokens and zero cost, since no provider was called. Sets the usage headers too.
     */
    UsageRecord recordCached(RequestContext ctx, String provider, String model, double latencyMillis) {
        UsageRecord record = new UsageRecord(provider, model, Usage.NONE, latencyMillis, latencyMillis,
                BigDecimal.ZERO, true, null);
        ctx.logField("ai_cache", "hit");
        MultiMap headers = ctx.response().headers();
        headers.set(HEADER_PREFIX + "provider", provider);
        headers.set(HEADER_PREFIX + "model", model);
        counts(headers, record);
        return publish(ctx, record);
    }

    /**
     * Stores {@code record} on the request, logs it and passes it to the listeners. The access-log line names the
     * provider model and the time to first token of the last record. It counts the tokens and cost of every record
     * of the request, so a failed attempt whose response reported usage adds to the call that served it.
     */
    private UsageRecord publish(RequestContext ctx, UsageRecord record) {
        UsageRecord previous = ctx.attribute(USAGE_ATTRIBUTE);
        ctx.attribute(USAGE_ATTRIBUTE, record);
        if (previous == null) {
            logUsage(ctx, record, record.usage(), record.cost());
        } else {
            Billed before = ctx.attribute(BILLED_ATTRIBUTE);
            if (before == null) {
                before = new Billed(previous.usage(), previous.cost());
            }
            Billed billed = new Billed(before.usage().plus(record.usage()), before.cost().add(record.cost()));
            ctx.attribute(BILLED_ATTRIBUTE, billed);
            logUsage(ctx, record, billed.usage(), billed.cost());
        }
        try {
            listener.accept(record);
        } catch (RuntimeException e) {
            LOG.warn("A usage listener failed for request {}", ctx.requestId(), e);
        }
        List<Consumer<UsageRecord>> requestListeners = ctx.attribute(USAGE_LISTENERS_ATTRIBUTE);
        if (requestListeners != null) {
            for (Consumer<UsageRecord> requestListener : requestListeners) {
                try {
                    requestListener.accept(record);
                } catch (RuntimeException e) {
                    LOG.warn("A usage listener of a policy failed for request {}", ctx.requestId(), e);
                }
            }
        }
        return record;
    }

    /**
     * Sets the usage fields of the access-log line, replacing those of an earlier record of the request.
     *
     * @param usage the tokens of every record of the request
     * @param cost the cost of every record of the request
     */
    private static void logUsage(RequestContext ctx, UsageRecord record, Usage usage, BigDecimal cost) {
        ctx.putLogField("ai_provider", record.provider());
        ctx.putLogField("ai_model", record.model());
        ctx.putLogField("ai_input_tokens", usage.inputTokens());
        ctx.putLogField("ai_output_tokens", usage.outputTokens());
        ctx.putLogField("ai_cached_tokens", usage.cachedInputTokens());
        ctx.putLogField("ai_reasoning_tokens", usage.reasoningTokens());
        ctx.putLogField("ai_tokens_estimated", usage.estimated());
        ctx.putLogField("ai_ttft_ms", Math.round(record.firstTokenMillis() * 1000) / 1000.0);
        ctx.putLogField("ai_cost_usd", new PlainCost(cost));
    }

    /** The tokens and cost of several usage records of one request. */
    private record Billed(Usage usage, BigDecimal cost) {
    }

    /**
     * Makes {@code listener} receive each usage record of the AI request {@code ctx} once it is known: after the
     * response of a call that was not streamed, at the end of a stream, or on a cache hit. A failed attempt whose
     * provider response reported usage, such as a Gemini response whose tool call was invalid, produces a record of
     * its own before the record of the call that serves the request. A request that ends without a provider's
     * response produces no record. Policies use it to correct estimates with the real usage.
     */
    public static void onRequestUsage(RequestContext ctx, Consumer<UsageRecord> listener) {
        requireNonNull(listener, "listener");
        List<Consumer<UsageRecord>> listeners = ctx.attribute(USAGE_LISTENERS_ATTRIBUTE);
        if (listeners == null) {
            listeners = new ArrayList<>(2);
            ctx.attribute(USAGE_LISTENERS_ATTRIBUTE, listeners);
        }
        listeners.add(listener);
    }

    /**
     * Makes the AI backend run {@code check} on the AI request {@code ctx} once its body is parsed and its model
     * resolved, before the cache or any provider serves it. Checks run on the requests that consume tokens or
     * count them: chat completions, messages, the Responses API, embeddings and token counting. Model listings and
     * rejected requests never reach them.
     */
    public static void checkRequest(RequestContext ctx, RequestCheck check) {
        requireNonNull(check, "check");
        List<RequestCheck> checks = ctx.attribute(REQUEST_CHECKS_ATTRIBUTE);
        if (checks == null) {
            checks = new ArrayList<>(2);
            ctx.attribute(REQUEST_CHECKS_ATTRIBUTE, checks);
        }
        checks.add(check);
    }

    /**
     * Makes the AI backend ask {@code check} about each provider key before the key serves the AI request
     * {@code ctx}. The key pool skips a rejected key as it skips a cooling key, so the provider's other keys,
     * then the next target of the virtual model, serve the request.
     */
    public static void checkKeys(RequestContext ctx, KeyCheck check) {
        requireNonNull(check, "check");
        List<KeyCheck> checks = ctx.attribute(KEY_CHECKS_ATTRIBUTE);
        if (checks == null) {
            checks = new ArrayList<>(1);
            ctx.attribute(KEY_CHECKS_ATTRIBUTE, checks);
        }
        checks.add(check);
    }

    /**
     * Records {@code error} as the failure of {@code ctx} for the access log, and a spent key budget also for the
     * budget rejection counter.
     */
    static void recordError(RequestContext ctx, AiError error) {
        ctx.attribute(ERROR_ATTRIBUTE, error.message());
        if (BUDGET_EXCEEDED_CODE.equals(error.code())) {
            ctx.recordFailure(ProblemType.BUDGET_EXCEEDED);
            ctx.attribute(Rejection.BUDGET_BY_ATTRIBUTE, "key");
        }
    }

    /** Returns the checks registered with {@link #checkKeys} as one check; null when there are none. */
    static KeyCheck keyCheck(RequestContext ctx) {
        List<KeyCheck> checks = ctx.attribute(KEY_CHECKS_ATTRIBUTE);
        if (checks == null) {
            return null;
        }
        return (provider, key) -> {
            for (KeyCheck check : checks) {
                AiError rejection = check.reject(provider, key);
                if (rejection != null) {
                    return rejection;
                }
            }
            return null;
        };
    }

    /**
     * Runs the checks registered with {@link #checkRequest} one after the other; completes with false when one of
     * them ended the request. The estimate, which counts the input's tokens, is computed only when a check is
     * registered, and on a worker thread when the input is long.
     */
    static Future<Boolean> admitRequest(RequestContext ctx, Supplier<Future<TokenEstimate>> estimates) {
        List<RequestCheck> checks = ctx.attribute(REQUEST_CHECKS_ATTRIBUTE);
        if (checks == null) {
            return ADMITTED;
        }
        return estimates.get().compose(estimate -> admitRequest(ctx, estimate, checks, 0));
    }

    private static Future<Boolean> admitRequest(RequestContext ctx, TokenEstimate estimate,
                                                List<RequestCheck> checks, int index) {
        if (index == checks.size()) {
            return Future.succeededFuture(true);
        }
        return checks.get(index).admit(ctx, estimate)
                .compose(admitted -> admitted ? admitRequest(ctx, estimate, checks, index + 1)
                        : Future.succeededFuture(false));
    }

    /** A cost that becomes text only when the access log line is written. */
    private record PlainCost(BigDecimal cost) {
        @Override
        public String toString() {
            return plain(cost);
        }
    }

    /** Sets the usage headers of a response: provider and model always, counts and cost once known. */
    void usageHeaders(RequestContext ctx, Target target, UsageRecord record) {
        MultiMap headers = ctx.response().headers();
        headers.set(PROVIDER_HEADER, target.provider().name());
        headers.set(MODEL_HEADER, target.model());
        if (record != null) {
            counts(headers, record);
        }
    }

    /** Names the trailers a streamed response will end with, in its {@code Trailer} header. */
    void announceTrailers(RequestContext ctx) {
        ctx.response().headers().set("trailer", TRAILERS);
    }

    /** Sends the counts and cost of a streamed response as trailers, since its headers left before they were known. */
    void usageTrailers(RequestContext ctx, UsageRecord record) {
        if (record != null && ctx.response().isChunked()) {
            counts(ctx.response().trailers(), record);
        }
    }

    private static void counts(MultiMap headers, UsageRecord record) {
        Usage usage = record.usage();
        headers.set(INPUT_TOKENS_HEADER, count(usage.inputTokens()));
        headers.set(OUTPUT_TOKENS_HEADER, count(usage.outputTokens()));
        headers.set(CACHED_TOKENS_HEADER, count(usage.cachedInputTokens()));
        headers.set(REASONING_TOKENS_HEADER, count(usage.reasoningTokens()));
        headers.set(COST_HEADER, plain(record.cost()));
    }

    /** Returns {@code tokens} as decimal text, with no new string for 0, which most cached and reasoning counts are. */
    private static String count(long tokens) {
        return tokens == 0 ? "0" : Long.toString(tokens);
    }

    /** Returns {@code cost} in plain notation with at most 8 decimals, and "0" for any zero without new numbers. */
    private static String plain(BigDecimal cost) {
        if (cost.signum() == 0) {
            return "0";
        }
        return cost.setScale(8, RoundingMode.HALF_UP).stripTrailingZeros().toPlainString();
    }
}
