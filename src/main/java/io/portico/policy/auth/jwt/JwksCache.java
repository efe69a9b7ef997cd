package io.portico.policy.auth.jwt;

import io.portico.jose.KeySet;
import io.portico.net.PublicAddressResolver;
import io.portico.net.UrlRedaction;
import io.portico.pipeline.NodeResource;
import io.portico.policy.auth.bearer.HttpCalls;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A key set fetched from a URL with the Vert.x HTTP client, shared by every {@code jwt} policy of the node that
 * names the same URL and settings, across configuration snapshots. Safe to use from any event loop.
 *
 * <ul>
 *   <li>The first request waits for the first fetch; requests arriving meanwhile wait for the same fetch, which
 *       the fetch timeout bounds.</li>
 *   <li>A request that finds the key set older than the refresh interval starts a refresh in the background and
 *       is served with the keys it has.</li>
 *   <li>A token with an unknown key id may start a refresh, but at most one fetch starts per minimum refresh
 *       interval, so random key ids cannot make Portico fetch once per request.</li>
 *   <li>A failed fetch keeps the last key set that was fetched successfully.</li>
 * </ul>
 *
 * <p>The node closes the cache, and its HTTP client, once no configuration that serves names its URL and settings.
 */
final class JwksCache implements NodeResource {

    private static final Logger LOG = LoggerFactory.getLogger(JwksCache.class);
    /** Largest key set document read; real ones are a few kilobytes. */
    private static final int MAX_BODY_BYTES = 512 * 1024;

    private final Vertx vertx;
    private final JwtSettings.Jwks settings;
    /** The key set URL without query or user information, for logs and messages. */
    private final String loggedUrl;
    private final HttpClient client;
    private final PublicAddressResolver addresses;
    private final AtomicReference<Future<KeySet>> inFlight = new AtomicReference<>();
    private volatile KeySet keys;
    private volatile long fetchedAtNanos;
    /** When the last fetch started; 0 before the first. Volatile reads only, so the hot path takes no lock. */
    private volatile long lastAttemptNanos;
    private volatile boolean failing;
    /** Whether the symmetric keys of this key set were reported, so that each refresh does not repeat it. */
    private volatile boolean symmetricKeysReported;
    /** The invalid keys of the last fetched key set, by reason, so that a WARN is logged only when they change. */
    private volatile Map<String, Integer> reportedInvalidKeys = Map.of();

    /**
     * @param addresses the check of the key set host's addresses before each fetch, or null to fetch from any
     *     address
     */
    JwksCache(Vertx vertx, JwtSettings.Jwks settings, PublicAddressResolver addresses) {
        this.vertx = vertx;
        this.settings = settings;
        this.loggedUrl = UrlRedaction.forLog(settings.url());
        this.addresses = addresses;
        HttpClientOptions options = new HttpClientOptions()
                .setConnectTimeout((int) settings.timeout().toMillis())
                .setIdleTimeout(60)
                .setKeepAlive(true);
        this.client = vertx.createHttpClient(options, new PoolOptions().setHttp1MaxSize(2));
    }

    /** Returns the key set of the last successful fetch, or null before the first; never starts a fetch. */
    KeySet loaded() {
        return keys;
    }

    /**
     * Returns the current key set. Before the first successful fetch, the returned future completes when a fetch
     * ends, and fails when it fails; later it is already complete.
     */
    Future<KeySet> current() {
        KeySet current = keys;
        if (current == null) {
            Future<KeySet> running = inFlight.get();
            if (running != null) {
                return running;
            }
            if (lastAttemptNanos != 0 && !intervalPassed(settings.minRefreshInterval().toNanos())) {
                return Future.failedFuture("the key set at " + loggedUrl + " could not be fetched");
            }
            return fetch();
        }
        if (System.nanoTime() - fetchedAtNanos >= settings.refreshInterval().toNanos()
                && intervalPassed(settings.minRefreshInterval().toNanos())) {
            fetch();
        }
        return Future.succeededFuture(current);
    }

    /**
     * Returns the key set after a refresh for a key id it lacks: a fetch in flight is joined, a new one starts
     * when the minimum refresh interval has passed, and otherwise the current keys are returned at once.
     */
    Future<KeySet> refreshForUnknownKey() {
        Future<KeySet> running = inFlight.get();
        if (running != null) {
            return running;
        }
        if (!intervalPassed(settings.minRefreshInterval().toNanos())) {
            return current();
        }
        return fetch();
    }

    private boolean intervalPassed(long intervalNanos) {
        long last = lastAttemptNanos;
        return last == 0 || System.nanoTime() - last >= intervalNanos;
    }

    /** Starts a fetch unless one is in flight, and returns the fetch that runs. */
    private Future<KeySet> fetch() {
        Promise<KeySet> promise = Promise.promise();
        if (!inFlight.compareAndSet(null, promise.future())) {
            Future<KeySet> running = inFlight.get();
            return running != null ? running : current();
        }
        lastAttemptNanos = System.nanoTime();
        download().onComplete(result -> {
            if (result.succeeded()) {
                reportSymmetricKeys(result.result());
                reportInvalidKeys(result.result());
                keys = result.result();
                fetchedAtNanos = System.nanoTime();
                if (failing) {
                    failing = false;
                    LOG.info("Fetched the key set at {} again: {} keys", loggedUrl, result.result().keys().size());
                }
                inFlight.set(null);
                promise.complete(result.result());
                return;
            }
            failing = true;
            KeySet previous = keys;
            LOG.warn("Fetching the key set at {} failed ({}); {}", loggedUrl, result.cause().getMessage(),
                    previous == null ? "tokens cannot be verified until a fetch succeeds"
                            : "the previous key set stays in use");
            inFlight.set(null);
            if (previous == null) {
                promise.fail(result.cause());
            } else {
                promise.complete(previous);
            }
        });
        return promise.future();
    }

    /** Closes the HTTP client; a fetch in flight fails. */
    @Override
    public void close() {
        client.close();
    }

    private void reportSymmetricKeys(KeySet fetched) {
        if (fetched.symmetricSkipped() > 0 && !symmetricKeysReported) {
            symmetricKeysReported = true;
            LOG.warn("The key set at {} contains {} symmetric keys (kty oct), which are ignored: anyone who can read"
                    + " the key set could sign tokens with them. Give HMAC keys in the jwt policy's keys instead",
                    loggedUrl, fetched.symmetricSkipped());
        }
    }

    private void reportInvalidKeys(KeySet fetched) {
        Map<String, Integer> invalid = fetched.invalid();
        if (invalid.equals(reportedInvalidKeys)) {
            return;
        }
        reportedInvalidKeys = invalid;
        if (!invalid.isEmpty()) {
            int count = invalid.values().stream().mapToInt(Integer::intValue).sum();
            LOG.warn("The key set at {} contains {} invalid keys, which are skipped ({}); the {} usable keys stay in"
                    + " use. Check the key set that the identity provider publishes", loggedUrl, count,
                    KeySet.describe(invalid), fetched.keys().size());
        }
    }

    private Future<KeySet> download() {
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET)
                .setAbsoluteURI(settings.url().toString())
                .putHeader("accept", "application/jwk-set+json, application/json");
        return HttpCalls.send(vertx, client, options, null, settings.timeout(), MAX_BODY_BYTES,
                addresses).compose(body -> {
            try {
                return Future.succeededFuture(KeySet.parse(body.toString(StandardCharsets.UTF_8)));
            } catch (ParseException e) {
                return Future.failedFuture("the response is not a JWK set: " + e.getMessage());
            }
        });
    }
}
