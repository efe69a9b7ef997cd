package io.portico.oauth;

import at.favre.lib.crypto.bcrypt.BCrypt;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.portico.config.CredentialSecrets;
import io.portico.config.CredentialSpec;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Checks the secret a client presents against its {@code oauth-client} credential. The stored
 * {@code clientSecretHash} may be a bcrypt hash ({@code $2a$}, {@code $2b$} or {@code $2y$}), verified on the
 * worker pool {@value CredentialSecrets#PASSWORD_CHECK_POOL} because it is slow by design, or the SHA-256 of the
 * secret in hex, compared at once. A credential that still carries its {@code clientSecret} in clear is compared
 * in constant time. Successful bcrypt checks are
 * remembered for a few minutes, keyed by a SHA-256 over the client id, the secret and the hash, so a client that
 * fetches tokens often costs one bcrypt check per period.
 */
final class ClientSecrets {

    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-fA-F]{64}");
    private static final Duration REMEMBER = Duration.ofMinutes(5);
    private static final int REMEMBERED_MAX = 10_000;

    private final WorkerExecutor workers;
    private final Cache<String, Boolean> verified = Caffeine.newBuilder()
            .expireAfterWrite(REMEMBER)
            .maximumSize(REMEMBERED_MAX)
            .build();

    ClientSecrets(Vertx vertx) {
        this.workers = vertx.createSharedWorkerExecutor(CredentialSecrets.PASSWORD_CHECK_POOL,
                CredentialSecrets.passwordCheckThreads());
    }

    /**
     * Checks {@code presented} against a bcrypt hash that no secret matches, and completes with false, also when the
     * check itself fails. A client id that names no credential thus takes about as long as a wrong secret of a client
     * whose secret Portico hashed with bcrypt at cost {@value CredentialSecrets#BCRYPT_COST}.
     */
    Future<Boolean> verifyUnknownClient(String presented) {
        return workers.executeBlocking(() -> {
            // Only the time the check takes matters, because no secret matches the hash.
            bcryptMatches(presented, CredentialSecrets.unknownPasswordHash());
            return false;
        }, false).otherwise(false);
    }

    /** Completes with true when {@code presented} is the secret of {@code credential}; never fails. */
    Future<Boolean> verify(String presented, CredentialSpec credential) {
        String hash = credential.clientSecretHash();
        if (hash == null) {
            String secret = credential.clientSecret();
            return Future.succeededFuture(secret != null && MessageDigest.isEqual(sha256(presented), sha256(secret)));
        }
        if (SHA256_HEX.matcher(hash).matches()) {
            return Future.succeededFuture(MessageDigest.isEqual(sha256(presented), HexFormat.of().parseHex(hash)));
        }
        if (!hash.startsWith("$2")) {
            return Future.succeededFuture(false);
        }
        String key = HexFormat.of().formatHex(sha256(credential.clientId() + '\0' + presented + '\0' + hash));
        if (verified.getIfPresent(key) != null) {
            return Future.succeededFuture(true);
        }
        return workers.executeBlocking(() -> bcryptMatches(presented, hash), false).map(matches -> {
            if (matches) {
                verified.put(key, Boolean.TRUE);
            }
            return matches;
        }).otherwise(false);
    }

    private static boolean bcryptMatches(String presented, String hash) {
        try {
            return BCrypt.verifyer().verify(presented.toCharArray(), hash).verified;
        } catch (IllegalArgumentException e) {
            // bcrypt reads at most 72 bytes, and the library rejects longer secrets rather than truncating them.
            return false;
        }
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available in this JVM", e);
        }
    }
}
