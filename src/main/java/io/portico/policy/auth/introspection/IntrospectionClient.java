package io.portico.policy.auth.introspection;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.portico.net.PublicAddressResolver;
import io.portico.net.UrlRedaction;
import io.portico.pipeline.NodeResource;
import io.portico.policy.auth.bearer.HttpCalls;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks an authorization server about tokens (RFC 7662) and caches the results, shared by the policies of one
 * node that name the same endpoint and client. Results are kept by the SHA-256 of the token, never the token: an
 * active one until the token's {@code exp} or {@code cacheTtl}, whichever comes first, an inactive one for
 * {@code negativeCacheTtl}. Concurrent requests with the same token share one call. Failed calls are not kept.
 * The node closes the client once no configuration that serves names its endpoint and settings.
 */
final class IntrospectionClient implements NodeResource {

    private static final Logger LOG = LoggerFactory.getLogger(IntrospectionClient.class);
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final int MAX_BODY_BYTES = 256 * 1024;

    private final Vertx vertx;
    private final IntrospectionSettings settings;
    /** The endpoint URL without query or user information, for logs. */
    private final String loggedUrl;
    private final HttpClient client;
    private final PublicAddressResolver addresses;
    private final Cache<String, Introspection> cache;
    private final Map<String, Future<Introspection>> inFlight = new ConcurrentHashMap<>();
    private final String authorization;
    private volatile boolean failing;

    /**
     * @param addresses the check of the endpoint host's addresses before each call, or null to call any address
     */
    IntrospectionClient(Vertx vertx, IntrospectionSettings settings, PublicAddressResolver addresses) {
        this.vertx = vertx;
        this.settings = settings;
        this.loggedUrl = UrlRedaction.forLog(settings.url());
        this.addresses = addresses;
        this.client = vertx.createHttpClient(new HttpClientOptions()
                .setConnectTimeout((int) settings.timeout().toMillis())
                .setIdleTimeout(60)
                .setKeepAlive(true), new PoolOptions().setHttp1MaxSize(16));
        this.cache = Caffeine.newBuilder()
                .maximumSize(settings.cacheSize())
                .expireAfter(new ResultExpiry(settings.cacheTtl(), settings.negativeCacheTtl()))
                // Maintenance runs on the event loop, in small batches, instead of waking a pool thread.
                .executor(Runnable::run)
                .build();
        // RFC 6749 section 2.3.1: the client id and secret are form-encoded before they are joined for Basic.
        this.authorization = "Basic " + Base64.getEncoder().encodeToString((form(settings.clientId()) + ":"
                + form(settings.clientSecret())).getBytes(StandardCharsets.UTF_8));
    }

    /** Keeps an active result until the token expires or {@code cacheTtl} passes, an inactive one shortly. */
    private record ResultExpiry(Duration positive, Duration negative) implements Expiry<String, Introspection> {

        @Override
        public long expireAfterCreate(String key, Introspection value, long currentTime) {
            if (!value.active()) {
                return negative.toNanos();
            }
            long ttl = positive.toNanos();
            if (value.expiresAt() != null) {
                long untilExpiry = Duration.between(Instant.now(), value.expiresAt()).toNanos();
                ttl = Math.min(ttl, Math.max(0, untilExpiry));
            }
            return ttl;
        }

        @Override
        public long expireAfterUpdate(String key, Introspection value, long currentTime, long currentDuration) {
            return expireAfterCreate(key, value, currentTime);
        }

        @Override
        public long expireAfterRead(String key, Introspection value, long currentTime, long currentDuration) {
            return currentDuration;
        }
    }

    /** Returns the remembered result for {@code token}, or null when the server must be asked. */
    Introspection cached(String token) {
        return cache.getIfPresent(key(token));
    }

    /** Asks the server about {@code token}, joining a call already in flight for the same token. */
    Future<Introspection> introspect(String token) {
        String key = key(token);
        Promise<Introspection> promise = Promise.promise();
        Future<Introspection> running = inFlight.putIfAbsent(key, promise.future());
        if (running != null) {
            return running;
        }
        call(token).onComplete(result -> {
            if (result.succeeded()) {
                cache.put(key, result.result());
                if (failing) {
                    failing = false;
                    LOG.info("The introspection endpoint {} answers again", loggedUrl);
                }
            } else if (!failing) {
                failing = true;
                LOG.warn("Token introspection at {} failed ({}); requests that need it get 503 until it answers",
                        loggedUrl, result.cause().getMessage());
            }
            inFlight.remove(key);
            promise.handle(result);
        });
        return promise.future();
    }

    /** Closes the HTTP client and forgets the cached results; a call in flight fails. */
    @Override
    public void close() {
        client.close();
        cache.invalidateAll();
    }

    private Future<Introspection> call(String token) {
        StringBuilder form = new StringBuilder("token=").append(form(token)).append("&token_type_hint=access_token");
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST)
                .setAbsoluteURI(settings.url().toString())
                .putHeader("content-type", "application/x-www-form-urlencoded")
                .putHeader("accept", "application/json");
        if (settings.basicAuthentication()) {
            options.putHeader("authorization", authorization);
        } else {
            form.append("&client_id=").append(form(settings.clientId()))
                    .append("&client_secret=").append(form(settings.clientSecret()));
        }
        return HttpCalls.send(vertx, client, options, form.toString(), settings.timeout(), MAX_BODY_BYTES,
                addresses)
                .compose(body -> {
                    try {
                        return Future.succeededFuture(parse(body));
                    } catch (IOException | IllegalArgumentException e) {
                        return Future.failedFuture("the response is not an introspection result");
                    }
                });
    }

    private static Introspection parse(Buffer body) throws IOException {
        Map<String, Object> claims = MAPPER.readValue(body.getBytes(), new TypeReference<Map<String, Object>>() { });
        if (!(claims.get("active") instanceof Boolean active)) {
            throw new IllegalArgumentException("active is missing");
        }
        if (!active) {
            return Introspection.INACTIVE;
        }
        Instant expiresAt = claims.get("exp") instanceof Number exp ? Instant.ofEpochSecond(exp.longValue()) : null;
        return new Introspection(true, Map.copyOf(withoutNulls(claims)), expiresAt);
    }

    private static Map<String, Object> withoutNulls(Map<String, Object> claims) {
        claims.values().removeIf(java.util.Objects::isNull);
        return claims;
    }

    private static String form(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static String key(String token) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available in this JVM", e);
        }
    }
}
