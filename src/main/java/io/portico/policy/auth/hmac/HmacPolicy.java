package io.portico.policy.auth.hmac;

import io.portico.config.CredentialSecrets;
import io.portico.pipeline.AuthenticationPolicy;
import io.portico.pipeline.PolicyChain;
import io.portico.pipeline.RequestContext;
import io.portico.policy.auth.AuthOptions;
import io.portico.policy.auth.CredentialIndex;
import io.portico.policy.auth.Unauthorized;
import io.portico.policy.auth.bearer.BearerRequests;
import io.portico.problem.ProblemType;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.Map;

/**
 * Authenticates a request by an HMAC-SHA256 signature over its method, path, query, date, nonce and body digest,
 * as {@link HmacSignature} defines. The date must be within the clock skew of the gateway's clock, and a nonce,
 * when sent, must not have been used with the same access key within twice the skew, on any node that shares the
 * node's Redis (see {@link Nonces}).
 *
 * <p>To check the body digest the policy reads the whole body, at most the route's {@code maxBodySize} (or the
 * policy's own limit when the route sets none), and hands it to the backend. A larger body is rejected with 413
 * as soon as its declared length or the bytes read exceed the limit.
 */
final class HmacPolicy implements AuthenticationPolicy {

    private static final CharSequence X_DATE = HttpHeaders.createOptimized("X-Date");
    private static final byte[] EMPTY_SHA256 = CredentialSecrets.sha256(new byte[0]);

    private final CredentialIndex index;
    private final AuthOptions options;
    private final long skewMillis;
    private final boolean requireNonce;
    private final long maxBodySize;
    private final Nonces nonces;
    private final String challenge;

    HmacPolicy(CredentialIndex index, AuthOptions options, Duration skew, boolean requireNonce, long maxBodySize,
               Nonces nonces) {
        this.index = index;
        this.options = options;
        this.skewMillis = skew.toMillis();
        this.requireNonce = requireNonce;
        this.maxBodySize = maxBodySize;
        this.nonces = nonces;
        this.challenge = Unauthorized.challenge(HmacSignature.SCHEME, options.realm()) + ", headers=\"x-date\"";
    }

    @Override
    public String challenge() {
        return challenge;
    }

    @Override
    public void handle(RequestContext ctx, PolicyChain chain) {
        if (ctx.identity() != null) {
            chain.proceed(ctx);
            return;
        }
        HttpServerRequest request = ctx.request();
        String authorization = request.getHeader(HttpHeaders.AUTHORIZATION);
        String prefix = HmacSignature.SCHEME + " ";
        if (authorization == null || !authorization.regionMatches(true, 0, prefix, 0, prefix.length())) {
            options.noCredential(ctx, chain, challenge, "sign the request with Authorization: "
                    + HmacSignature.SCHEME);
            return;
        }
        Map<String, String> parameters = HmacSignature.parameters(authorization.substring(prefix.length()));
        if (parameters == null) {
            Unauthorized.malformed(ctx, challenge, "the " + HmacSignature.SCHEME + " authorization is malformed;"
                    + " send name=\"value\" parameters separated by commas, each name once");
            return;
        }
        Signed signed = signed(ctx, parameters);
        if (signed == null) {
            return;
        }
        CredentialIndex.Entry entry = index.byAccessKey(signed.accessKey());
        if (entry == null) {
            Unauthorized.invalid(ctx, challenge, "unknown access key");
            return;
        }
        readBody(ctx, body -> verify(ctx, chain, signed, entry, body));
    }

    /** Reads the signed parts of the request; null after rejecting it when one is missing or invalid. */
    private Signed signed(RequestContext ctx, Map<String, String> parameters) {
        String accessKey = parameters.get("accesskey");
        String signature = parameters.get("signature");
        String nonce = parameters.get("nonce");
        byte[] signatureBytes = decode(signature);

        if (accessKey == null || accessKey.isEmpty() || signatureBytes == null) {
            Unauthorized.malformed(ctx, challenge, "the " + HmacSignature.SCHEME
                    + " authorization needs accessKey and signature (standard base64)");
            return null;
        }
        if (requireNonce && (nonce == null || nonce.isEmpty())) {
            Unauthorized.malformed(ctx, challenge, "this route needs a nonce in the signature");
            return null;
        }

        HttpServerRequest request = ctx.request();
        String date = request.getHeader(X_DATE);
        if (date == null) {
            date = request.getHeader(HttpHeaders.DATE);
        }
        Instant signedAt = date == null ? null : parseDate(date);
        if (signedAt == null) {
            Unauthorized.malformed(ctx, challenge, "the signed request needs an X-Date or Date header with an"
                    + " HTTP date such as Tue, 15 Nov 1994 08:12:31 GMT");
            return null;
        }

        if (Math.abs(System.currentTimeMillis() - signedAt.toEpochMilli()) > skewMillis) {
            Unauthorized.malformed(ctx, challenge, "the signed date is more than " + skewMillis / 1000
                    + " seconds away from the gateway's clock");
            return null;
        }
        return new Signed(accessKey, signatureBytes, nonce, date);
    }

    /** Calls {@code next} with the SHA-256 of the whole body, after reading at most {@link #maxBodySize} bytes. */
    private void readBody(RequestContext ctx, java.util.function.Consumer<byte[]> next) {
        HttpServerRequest request = ctx.request();
        if (ctx.noBody() || !hasBody(request)) {
            next.accept(EMPTY_SHA256);
            return;
        }
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length != null && parseLength(length) > maxBodySize) {
            tooLarge(ctx);
            return;
        }
        Buffer body = Buffer.buffer();
        boolean[] failed = new boolean[1];
        ctx.continueIfExpected();
        request.handler(data -> {
            if (failed[0]) {
                return;
            }
            if (body.length() + (long) data.length() > maxBodySize) {
                failed[0] = true;
                tooLarge(ctx);
                return;
            }
            body.appendBuffer(data);
        });
        request.exceptionHandler(cause -> {
            if (!failed[0]) {
                failed[0] = true;
                ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
                ctx.fail(ProblemType.BAD_REQUEST, "reading the signed request body failed");
            }
        });
        request.endHandler(end -> {
            request.handler(null);
            if (!failed[0]) {
                ctx.bufferedBody(body);
                next.accept(CredentialSecrets.sha256(body.getBytes()));
            }
        });
        request.resume();
    }

    private void tooLarge(RequestContext ctx) {
        ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
        ctx.fail(ProblemType.BODY_TOO_LARGE, "the request body exceeds " + maxBodySize + " bytes, the most a"
                + " signed request may carry on this route");
    }

    private void verify(RequestContext ctx, PolicyChain chain, Signed signed, CredentialIndex.Entry entry,
                        byte[] bodySha256) {
        HttpServerRequest request = ctx.request();
        String stringToSign = HmacSignature.stringToSign(request.method().name(), rawPath(request),
                request.query(), signed.date(), signed.nonce(), bodySha256);
        byte[] expected = HmacSignature.sign(entry.credential().secretKey(), stringToSign);
        if (!MessageDigest.isEqual(expected, signed.signature())) {
            Unauthorized.invalid(ctx, challenge, "wrong signature for " + entry.credential().name());
            return;
        }
        if (signed.nonce() == null) {
            admit(ctx, chain, entry);
            return;
        }
        BearerRequests.await(ctx, nonces.record(signed.accessKey(), signed.nonce()), recorded -> {
            if (ctx.response().closed()) {
                return;
            }
            switch (recorded.result()) {
                case FIRST -> admit(ctx, chain, entry);
                case REPLAYED -> Unauthorized.invalid(ctx, challenge, "nonce already used with "
                        + entry.credential().name());
                case UNAVAILABLE -> {
                    ctx.response().putHeader(HttpHeaders.RETRY_AFTER, "1");
                    ctx.fail(ProblemType.AUTHENTICATION_UNAVAILABLE, "the signature's nonce cannot be checked"
                            + " because Redis is unavailable; retry later");
                }
            }
        });
    }

    private void admit(RequestContext ctx, PolicyChain chain, CredentialIndex.Entry entry) {
        options.admit(ctx, chain, entry, challenge, admitted -> {
            admitted.request().headers().remove(HttpHeaders.AUTHORIZATION);
            admitted.credentialHeaderRemoved(HttpHeaders.AUTHORIZATION);
        });
    }

    /** Returns the path as the client sent it, without the query. */
    private static String rawPath(HttpServerRequest request) {
        String uri = request.uri();
        int query = uri.indexOf('?');
        return query < 0 ? uri : uri.substring(0, query);
    }

    private static boolean hasBody(HttpServerRequest request) {
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length != null) {
            return parseLength(length) != 0;
        }
        if (request.getHeader(HttpHeaders.TRANSFER_ENCODING) != null) {
            return true;
        }
        return request.version() == HttpVersion.HTTP_2 && !request.isEnded();
    }

    /** Returns the declared length, or {@link Long#MAX_VALUE} when it is not a number, so the request is refused. */
    private static long parseLength(String length) {
        try {
            return Long.parseLong(length.trim());
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }

    private static Instant parseDate(String date) {
        try {
            return ZonedDateTime.parse(date.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        } catch (DateTimeParseException e) {
            try {
                return Instant.parse(date.trim());
            } catch (DateTimeParseException notIso) {
                return null;
            }
        }
    }

    private static byte[] decode(String signature) {
        if (signature == null) {
            return null;
        }
        try {
            return Base64.getDecoder().decode(signature);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** The parts of the authorization that the signature covers or names. */
    private record Signed(String accessKey, byte[] signature, String nonce, String date) {
    }
}
