package io.portico.ai.provider;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import io.portico.net.UrlRedaction;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * OAuth access tokens of one service account: exchanges a signed JWT assertion at the token endpoint with the
 * {@code urn:ietf:params:oauth:grant-type:jwt-bearer} grant, keeps the token until {@link #REFRESH_MARGIN} before
 * it expires, and lets concurrent callers share one exchange. Safe to call from any thread. Neither the token nor
 * the key is ever logged or put into an error message.
 *
 * <p>An exchange ends within {@link #EXCHANGE_TIMEOUT_MILLIS} of its start, however slowly the endpoint sends, and
 * the next call after a failure starts a new one. The messages of failed exchanges name the token endpoint, the
 * account's {@code client_email} and the endpoint's reason with the assertion and any token removed. They are meant
 * for the node's log, not for AI clients.
 */
public final class GoogleAccessTokens {

    /** How long before its expiry a token is replaced. */
    public static final Duration REFRESH_MARGIN = Duration.ofMinutes(5);
    /** The maximum duration of one exchange, from its start to the end of the token response, in milliseconds. */
    public static final long EXCHANGE_TIMEOUT_MILLIS = 30_000;
    static final String JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    /** The text that replaces the assertion and tokens in the reason of a failed exchange. */
    static final String MASK = "[redacted]";
    /** The shortest token that is removed from a reason. */
    private static final int MIN_SECRET_LENGTH = 8;
    private static final Logger LOG = LoggerFactory.getLogger(GoogleAccessTokens.class);
    private static final long DEFAULT_LIFETIME_SECONDS = 3600;
    /** Largest token response read, in bytes. A grant is a few hundred bytes, and an error not much more. */
    static final long MAX_RESPONSE_BYTES = 64 * 1024;

    /** A failed exchange whose message Portico wrote itself, so it needs no further description. */
    private static final class ExchangeFailedException extends IllegalStateException {
        ExchangeFailedException(String message) {
            super(message);
        }
    }

    private final GoogleServiceAccount account;
    private final String tokenUrl;
    private final Vertx vertx;
    private final HttpClient client;
    private final Clock clock;
    private final long exchangeTimeoutMillis;
    private String token;
    private Instant refreshAt = Instant.MIN;
    private Future<String> pending;

    /**
     * Creates the token source of {@code account}.
     *
     * @param tokenUrl the token endpoint; the account's {@code token_uri} when null
     * @param vertx the Vert.x instance whose timer ends an exchange after {@link #EXCHANGE_TIMEOUT_MILLIS}
     */
    public GoogleAccessTokens(GoogleServiceAccount account, String tokenUrl, Vertx vertx, HttpClient client,
                              Clock clock) {
        this(account, tokenUrl, vertx, client, clock, EXCHANGE_TIMEOUT_MILLIS);
    }

    GoogleAccessTokens(GoogleServiceAccount account, String tokenUrl, Vertx vertx, HttpClient client, Clock clock,
                       long exchangeTimeoutMillis) {
        this.account = requireNonNull(account, "account");
        this.tokenUrl = tokenUrl != null ? tokenUrl : account.tokenUri();
        this.vertx = requireNonNull(vertx, "vertx");
        this.client = requireNonNull(client, "client");
        this.clock = requireNonNull(clock, "clock");
        this.exchangeTimeoutMillis = exchangeTimeoutMillis;
    }

    /**
     * Returns a valid access token: the cached one, the exchange already in flight, or a new exchange. The future
     * completes on the thread that receives the token endpoint's response, or on the exchange's timer.
     *
     * @param connectTimeoutMillis the connect timeout of a new exchange; an exchange in flight keeps its own
     */
    public synchronized Future<String> token(long connectTimeoutMillis) {
        if (token != null && clock.instant().isBefore(refreshAt)) {
            return Future.succeededFuture(token);
        }
        if (pending == null) {
            Future<String> exchange = exchange(connectTimeoutMillis);
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

    private synchronized String cachedToken() {
        return token;
    }

    private Future<String> exchange(long connectTimeoutMillis) {
        Instant now = clock.instant();
        String assertion;
        try {
            assertion = account.assertion(tokenUrl, GoogleServiceAccount.CLOUD_PLATFORM_SCOPE, now);
        } catch (IllegalStateException e) {
            return Future.failedFuture(e);
        }
        String form = "grant_type=" + URLEncoder.encode(JWT_BEARER, StandardCharsets.UTF_8)
                + "&assertion=" + assertion;
        RequestOptions options = new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setAbsoluteURI(tokenUrl)
                .setConnectTimeout(connectTimeoutMillis)
                .putHeader("content-type", "application/x-www-form-urlencoded")
                .putHeader("accept", "application/json");
        LOG.debug("Exchanging an assertion of {} for an access token at {}", account.clientEmail(), tokenUrl);
        Promise<String> result = Promise.promise();
        AtomicReference<HttpClientRequest> opened = new AtomicReference<>();
        // An idle timeout would let an endpoint that sends a byte now and then hold the exchange indefinitely, so a
        // timer ends the whole exchange instead.
        long timer = vertx.setTimer(exchangeTimeoutMillis, id -> {
            if (result.tryFail(new ExchangeFailedException("the token endpoint " + UrlRedaction.forLog(tokenUrl)
                    + " did not complete the exchange for " + account.clientEmail() + " within "
                    + exchangeTimeoutMillis + " ms"))) {
                HttpClientRequest request = opened.get();
                if (request != null) {
                    request.reset();
                }
            }
        });
        // The body is requested in a callback on send's own future, which runs as the response head arrives. With
        // Vert.x 5.0 a later stage of the outer chain can run after the response has already ended.
        client.request(options).compose(request -> {
            opened.set(request);
            if (result.future().isComplete()) {
                request.reset();
                return Future.<String>failedFuture(result.future().cause());
            }
            return request.send(Buffer.buffer(form))
                    .compose(response -> BoundedBodies.collect(response, MAX_RESPONSE_BYTES, false)
                            .map(body -> read(response, body, now, assertion)));
        }).onComplete(done -> {
            vertx.cancelTimer(timer);
            if (done.succeeded()) {
                result.tryComplete(done.result());
            } else if (done.cause() instanceof ExchangeFailedException) {
                result.tryFail(done.cause());
            } else {
                result.tryFail(new ExchangeFailedException("the token exchange at " + UrlRedaction.forLog(tokenUrl)
                        + " for " + account.clientEmail() + " failed: " + describe(done.cause())));
            }
        });
        return result.future();
    }

    private static String describe(Throwable cause) {
        return cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName();
    }

    private String read(HttpClientResponse response, Buffer body, Instant issuedAt, String assertion) {
        JsonNode json = Wire.parse(body);
        String accessToken = Wire.text(json, "access_token");
        if (response.statusCode() != 200) {
            String reason = Wire.text(json, "error_description");
            if (reason == null) {
                reason = Wire.text(json, "error");
            }
            throw new ExchangeFailedException("the token endpoint " + UrlRedaction.forLog(tokenUrl)
                    + " rejected the assertion of " + account.clientEmail() + " with status " + response.statusCode()
                    + (reason == null ? "" : ": " + redact(reason, assertion, accessToken)));
        }
        if (accessToken == null || accessToken.isEmpty()) {
            throw new ExchangeFailedException("the token endpoint " + UrlRedaction.forLog(tokenUrl)
                    + " returned status 200 without an access_token for " + account.clientEmail());
        }
        long lifetime = Wire.number(json, "expires_in");
        store(accessToken, lifetime > 0 ? lifetime : DEFAULT_LIFETIME_SECONDS, issuedAt);
        return accessToken;
    }

    /**
     * Returns the token endpoint's {@code reason} with the assertion, its signature and any access token replaced by
     * {@link #MASK}. An endpoint or proxy that echoes its input would otherwise put the signed assertion into the
     * message, and the assertion is a bearer credential: anyone may exchange it for an access token until it expires.
     */
    private String redact(String reason, String assertion, String accessToken) {
        String redacted = reason.replace(assertion, MASK);
        // The header and claims are public, so the signature alone, echoed beside the claims, rebuilds the assertion.
        String signature = assertion.substring(assertion.lastIndexOf('.') + 1);
        if (!signature.isEmpty()) {
            redacted = redacted.replace(signature, MASK);
        }
        for (String secret : new String[] {accessToken, cachedToken()}) {
            // A value this short is no usable token, and replacing it everywhere would garble the reason.
            if (secret != null && secret.length() >= MIN_SECRET_LENGTH) {
                redacted = redacted.replace(secret, MASK);
            }
        }
        return redacted;
    }
}
