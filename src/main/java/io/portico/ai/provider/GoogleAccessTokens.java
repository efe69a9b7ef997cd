package io.portico.ai.provider;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import io.portico.net.UrlRedaction;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * OAuth access tokens of one service account: exchanges a signed JWT assertion at the token endpoint with the
 * {@code urn:ietf:params:oauth:grant-type:jwt-bearer} grant, keeps the token until {@link #REFRESH_MARGIN} before
 * it expires, and lets concurrent callers share one exchange. Safe to call from any thread. Neither the token nor
 * the key is ever logged or put into an error message.
 */
public final class GoogleAccessTokens {

    /** How long before its expiry a token is replaced. */
    public static final Duration REFRESH_MARGIN = Duration.ofMinutes(5);
    static final String JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    private static final Logger LOG = LoggerFactory.getLogger(GoogleAccessTokens.class);
    private static final long CONNECT_TIMEOUT_MILLIS = 10_000;
    private static final long IDLE_TIMEOUT_MILLIS = 30_000;
    private static final long DEFAULT_LIFETIME_SECONDS = 3600;
    /** Largest token response read, in bytes. A grant is a few hundred bytes, and an error not much more. */
    static final long MAX_RESPONSE_BYTES = 64 * 1024;

    private final GoogleServiceAccount account;
    private final String tokenUrl;
    private final HttpClient client;
    private final Clock clock;
    private String token;
    private Instant refreshAt = Instant.MIN;
    private Future<String> pending;

    /**
     * Creates the token source of {@code account}.
     *
     * @param tokenUrl the token endpoint; the account's {@code token_uri} when null
     */
    public GoogleAccessTokens(GoogleServiceAccount account, String tokenUrl, HttpClient client, Clock clock) {
        this.account = requireNonNull(account, "account");
        this.tokenUrl = tokenUrl != null ? tokenUrl : account.tokenUri();
        this.client = requireNonNull(client, "client");
        this.clock = requireNonNull(clock, "clock");
    }

    /**
     * Returns a valid access token: the cached one, the exchange already in flight, or a new exchange. The future
     * completes on the thread that receives the token endpoint's response.
     */
    public synchronized Future<String> token() {
        if (token != null && clock.instant().isBefore(refreshAt)) {
            return Future.succeededFuture(token);
        }
        if (pending == null) {
            Future<String> exchange = exchange();
            pending = exchange;
            exchange.onComplete(done -> clearPending(exchange));
        }
        return pending;
    }

    private synchronized void clearPending(Future<String> exchange) {
        if (pending == exchange) {
            pending = null;
        }
    }

    private synchronized void store(String accessToken, long lifetimeSeconds, Instant issuedAt) {
        token = accessToken;
        refreshAt = issuedAt.plusSeconds(lifetimeSeconds).minus(REFRESH_MARGIN);
    }

    private Future<String> exchange() {
        Instant now = clock.instant();
        String form;
        try {
            form = "grant_type=" + URLEncoder.encode(JWT_BEARER, StandardCharsets.UTF_8)
                    + "&assertion=" + account.assertion(tokenUrl, GoogleServiceAccount.CLOUD_PLATFORM_SCOPE, now);
        } catch (IllegalStateException e) {
            return Future.failedFuture(e);
        }
        RequestOptions options = new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setAbsoluteURI(tokenUrl)
                .setConnectTimeout(CONNECT_TIMEOUT_MILLIS)
                .setIdleTimeout(IDLE_TIMEOUT_MILLIS)
                .putHeader("content-type", "application/x-www-form-urlencoded")
                .putHeader("accept", "application/json");
        LOG.debug("Exchanging an assertion of {} for an access token at {}", account.clientEmail(), tokenUrl);
        // The body is requested in a callback on send's own future, which runs as the response head arrives. With
        // Vert.x 5.0 a later stage of the outer chain can run after the response has already ended.
        return client.request(options).compose(request -> request.send(Buffer.buffer(form))
                .compose(response -> BoundedBodies.collect(response, MAX_RESPONSE_BYTES, false)
                        .map(body -> read(response, body, now))));
    }

    private String read(HttpClientResponse response, Buffer body, Instant issuedAt) {
        JsonNode json = Wire.parse(body);
        String accessToken = Wire.text(json, "access_token");
        if (response.statusCode() != 200 || accessToken == null || accessToken.isEmpty()) {
            String reason = Wire.text(json, "error_description");
            if (reason == null) {
                reason = Wire.text(json, "error");
            }
            throw new IllegalStateException("the token endpoint " + UrlRedaction.forLog(tokenUrl)
                    + " rejected the assertion of " + account.clientEmail() + " with status " + response.statusCode()
                    + (reason == null ? "" : ": " + reason));
        }
        long lifetime = Wire.number(json, "expires_in");
        store(accessToken, lifetime > 0 ? lifetime : DEFAULT_LIFETIME_SECONDS, issuedAt);
        return accessToken;
    }
}
