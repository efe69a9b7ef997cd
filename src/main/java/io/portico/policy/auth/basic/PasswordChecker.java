package io.portico.policy.auth.basic;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.portico.config.CredentialSecrets;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;

/**
 * Checks passwords against bcrypt hashes on the worker pool {@value CredentialSecrets#PASSWORD_CHECK_POOL}, which
 * the OAuth token endpoint shares, never on an event loop. Remembers successful checks for a short while so that
 * steady traffic costs one slow hash per client and not one per request. One instance per node, shared by every
 * basic-auth policy and kept across configuration changes.
 *
 * <p>A remembered check is keyed by the SHA-256 of the username, the password and the stored hash together, so a
 * changed password or hash misses the cache, and the cache itself holds no password. Failed checks are not
 * remembered. NOTE: requests with wrong passwords queue on the pool, so a flood of them delays the first check of
 * new clients; clients whose check is remembered are not delayed.
 */
final class PasswordChecker implements AutoCloseable {

    /** How long a successful check is remembered. */
    static final Duration REMEMBER = Duration.ofMinutes(2);
    private static final int MAX_REMEMBERED = 10_000;

    private final WorkerExecutor workers;
    private final Cache<String, Boolean> verified = Caffeine.newBuilder()
            .maximumSize(MAX_REMEMBERED)
            .expireAfterWrite(REMEMBER)
            .executor(Runnable::run)
            .build();

    PasswordChecker(Vertx vertx) {
        this.workers = vertx.createSharedWorkerExecutor(CredentialSecrets.PASSWORD_CHECK_POOL,
                CredentialSecrets.passwordCheckThreads());
    }

    /** Returns true when a check of exactly these values succeeded within {@link #REMEMBER}; never blocks. */
    boolean remembered(String username, String password, String passwordHash) {
        return verified.getIfPresent(cacheKey(username, password, passwordHash)) != null;
    }

    /**
     * Checks {@code password} against {@code passwordHash} on the worker pool; a null hash (unknown username)
     * takes as long as a real check and fails. The future completes on the caller's context.
     */
    Future<Boolean> check(String username, String password, String passwordHash) {
        return workers.executeBlocking(() -> {
            boolean matches = CredentialSecrets.verifyPassword(password,
                    passwordHash == null ? CredentialSecrets.unknownPasswordHash() : passwordHash);
            if (matches && passwordHash != null) {
                verified.put(cacheKey(username, password, passwordHash), Boolean.TRUE);
            }
            return matches && passwordHash != null;
        }, false);
    }

    /**
     * Releases this checker's share of the worker pool, which closes once no checker uses it. The node closes only
     * a checker that a compile check created, because it keeps its own for its lifetime.
     */
    @Override
    public void close() {
        workers.close();
    }

    private static String cacheKey(String username, String password, String passwordHash) {
        // Lengths first, so that no two different triples join to the same text.
        String joined = username.length() + ":" + password.length() + ":" + username + password + passwordHash;
        return Base64.getEncoder().encodeToString(CredentialSecrets.sha256(joined.getBytes(StandardCharsets.UTF_8)));
    }
}
