package io.portico.policy.auth.hmac;

import static java.util.Objects.requireNonNull;

import io.portico.config.CredentialSecrets;
import io.portico.redis.RedisClient;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;

/**
 * Records the nonces of accepted signatures. With the node's Redis, each nonce is stored there with
 * {@code SET key 1 NX PX remember} in one round trip, so a replay sent to any node that shares the Redis is
 * rejected. Without Redis, the node's {@link NonceCache} remembers them, and a replay to another node passes.
 *
 * <p>While Redis is unavailable or replies with an error, a nonce is either recorded in the node's cache, or the
 * request is rejected, as {@code onRedisFailure} sets. {@link RedisClient} logs the outage once, so nothing is
 * logged here per request.
 */
final class Nonces {

    /** The outcome of recording a nonce. */
    enum Use {
        /** The nonce was not recorded before: the request passes. */
        FIRST,
        /** The nonce was recorded before: the request is a replay. */
        REPLAYED,
        /** Redis could not record it and {@code onRedisFailure} is {@code reject}. */
        UNAVAILABLE
    }

    private static final Future<Use> FIRST = Future.succeededFuture(Use.FIRST);
    private static final Future<Use> REPLAYED = Future.succeededFuture(Use.REPLAYED);
    private static final Future<Use> UNAVAILABLE = Future.succeededFuture(Use.UNAVAILABLE);

    private final NonceCache local;
    private final RedisClient redis;
    private final String rememberMillis;
    private final boolean rejectWithoutRedis;

    /**
     * @param redis the node's Redis client, or null when the node settings configure none
     * @param remember how long a nonce is remembered in Redis; the local cache has its own duration
     * @param rejectWithoutRedis reject requests while Redis fails, instead of recording in the local cache
     */
    Nonces(NonceCache local, RedisClient redis, Duration remember, boolean rejectWithoutRedis) {
        this.local = requireNonNull(local, "local");
        this.redis = redis;
        this.rememberMillis = Long.toString(remember.toMillis());
        this.rejectWithoutRedis = rejectWithoutRedis;
        if (redis != null) {
            redis.warnIfEvicting();
        }
    }

    /** Records {@code nonce} for {@code accessKey}; the future never fails. */
    Future<Use> record(String accessKey, String nonce) {
        if (redis == null) {
            return recordLocally(accessKey, nonce);
        }
        Request set = Request.cmd(Command.SET).arg(redisKey(accessKey, nonce)).arg("1").arg("NX").arg("PX")
                .arg(rememberMillis);
        return redis.send(set).transform(result -> {
            if (result.succeeded()) {
                // SET NX replies OK when it stored the key and nil when the key already existed.
                return result.result() == null ? REPLAYED : FIRST;
            }
            return rejectWithoutRedis ? UNAVAILABLE : recordLocally(accessKey, nonce);
        });
    }

    private Future<Use> recordLocally(String accessKey, String nonce) {
        return local.firstUse(accessKey, nonce) ? FIRST : REPLAYED;
    }

    /**
     * Returns the key of a nonce: a SHA-256 over the access key and the nonce, so that a long nonce makes no long
     * key and the length prefix keeps ({@code ab}, {@code c}) apart from ({@code a}, {@code bc}).
     */
    private String redisKey(String accessKey, String nonce) {
        byte[] digest = CredentialSecrets.sha256((accessKey.length() + ":" + accessKey + nonce)
                .getBytes(StandardCharsets.UTF_8));
        return redis.keyPrefix() + "hmac-nonce:" + Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    }
}
