package io.portico.policy.auth.jwt;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.portico.config.ConfigSnapshot;
import io.portico.config.ConsumerSpec;
import io.portico.config.CredentialSpec;
import io.portico.jose.KeySet;
import io.portico.jose.VerificationKey;
import io.portico.pipeline.AuthenticationPolicy;
import io.portico.pipeline.Identity;
import io.portico.pipeline.PolicyChain;
import io.portico.pipeline.RequestContext;
import io.portico.policy.auth.bearer.BearerRequests;
import io.portico.policy.auth.bearer.Challenges;
import io.portico.policy.auth.bearer.Scopes;
import io.portico.policy.auth.bearer.TokenSource;
import io.vertx.core.AsyncResult;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code jwt} policy: accepts a request whose bearer token is a JWS signed by a trusted key with an accepted
 * algorithm, whose time claims hold within the clock skew, and whose issuer, audience and scopes match the
 * configuration; then sets the identity of the consumer the token maps to. Key URLs and keys in token headers
 * ({@code jku}, {@code x5u}, {@code jwk}, {@code x5c}) are ignored: only configured keys verify tokens.
 */
final class JwtPolicy implements AuthenticationPolicy {

    private static final Logger LOG = LoggerFactory.getLogger(JwtPolicy.class);
    /** Maximum token length, in characters, so that no request makes the policy parse a huge document. */
    private static final int MAX_TOKEN_LENGTH = 16 * 1024;
    /** Tokens whose signature this policy instance verified, at most, per route and configuration snapshot. */
    private static final int VERIFIED_TOKENS = 10_000;
    /** How long a verified signature is remembered; the claims are checked again on every request regardless. */
    private static final Duration VERIFIED_TOKEN_LIFETIME = Duration.ofMinutes(5);

    private final String route;
    private final JwtSettings settings;
    private final Set<JWSAlgorithm> algorithms;
    private final KeySet sharedKeys;
    private final JwksCache jwks;
    private final JwtCredentials index;
    private final ConfigSnapshot snapshot;
    private final Clock clock;
    /**
     * Tokens whose signature verified, by their exact text. An RS256 check cost about twice a whole proxied request
     * in bench/auth-overhead.sh, and clients send the same token many times. Only the signature result is reused:
     * time claims, the consumer and scopes are checked on every request, and an entry verified with a fetched key
     * set counts only while that key set is still the current one.
     */
    private final Cache<TokenText, Verified> verified = Caffeine.newBuilder()
            .maximumSize(VERIFIED_TOKENS)
            .expireAfterWrite(VERIFIED_TOKEN_LIFETIME)
            // Maintenance runs on the event loop, in small batches, instead of waking a pool thread.
            .executor(Runnable::run)
            .build();

    JwtPolicy(String route, JwtSettings settings, Set<JWSAlgorithm> algorithms, KeySet sharedKeys, JwksCache jwks,
              JwtCredentials index, ConfigSnapshot snapshot, Clock clock) {
        this.route = route;
        this.settings = settings;
        this.algorithms = Set.copyOf(algorithms);
        this.sharedKeys = sharedKeys;
        this.jwks = jwks;
        this.index = index;
        this.snapshot = snapshot;
        this.clock = clock;
    }

    /** A token being checked, with what was learnt about it so far. */
    private record Candidate(TokenSource.Token token, SignedJWT jwt, JWTClaimsSet claims, CredentialSpec credential) {
    }

    /**
     * A token whose signature verified.
     *
     * @param fetchedKeys the fetched key set that verified it, or null when a configured key did
     */
    private record Verified(SignedJWT jwt, JWTClaimsSet claims, CredentialSpec credential, KeySet fetchedKeys) {
    }

    /**
     * A token's text as a cache key whose hash code reads only the last {@value #HASHED_CHARACTERS} characters,
     * which lie in the signature. On Java 17, String.hashCode reads every character one after another, which
     * took about 0.8 µs for an RS256 token of 550 characters on a 2-core Xeon virtual machine, against under
     * 0.1 µs for the last 32. Only tokens whose signature verified enter the cache, and their signatures are
     * unpredictable without the key, so an attacker cannot fill the cache with colliding entries.
     */
    private record TokenText(String text) {

        private static final int HASHED_CHARACTERS = 32;

        @Override
        public int hashCode() {
            int hash = text.length();
            for (int i = Math.max(0, text.length() - HASHED_CHARACTERS); i < text.length(); i++) {
                hash = 31 * hash + text.charAt(i);
            }
            return hash;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof TokenText token && text.equals(token.text);
        }
    }

    /** Thrown to reject a token; the message is logged at DEBUG and never sent. */
    private static final class Rejected extends RuntimeException {
        Rejected(String reason) {
            super(reason, null, false, false);
        }
    }

    @Override
    public String challenge() {
        return Challenges.MISSING;
    }

    @Override
    public void handle(RequestContext ctx, PolicyChain chain) {
        TokenSource.Token token = BearerRequests.tokenOrHandle(ctx, chain, settings.tokenSource(),
                settings.optional());
        if (token == null) {
            return;
        }
        Verified known = verified.getIfPresent(new TokenText(token.value()));
        if (known != null && stillTrusted(known)) {
            finish(ctx, chain, new Candidate(token, known.jwt(), known.claims(), known.credential()), true);
            return;
        }
        Candidate candidate;
        try {
            candidate = candidate(token);
        } catch (Rejected e) {
            reject(ctx, e.getMessage());
            return;
        }
        KeySet own = candidate.credential() == null ? null : index.ownKeys(candidate.credential());
        if (own != null) {
            boolean valid = verifies(candidate.jwt(), own);
            remember(candidate, valid, null);
            finish(ctx, chain, candidate, valid);
        } else if (verifies(candidate.jwt(), sharedKeys)) {
            remember(candidate, true, null);
            finish(ctx, chain, candidate, true);
        } else if (jwks == null) {
            finish(ctx, chain, candidate, false);
        } else {
            verifyWithKeySet(ctx, chain, candidate);
        }
    }

    /** Parses the token and reads its claims, rejecting what no key needs to look at. */
    private Candidate candidate(TokenSource.Token token) {
        if (token.value().length() > MAX_TOKEN_LENGTH) {
            throw new Rejected("the token is longer than " + MAX_TOKEN_LENGTH + " characters");
        }
        SignedJWT jwt;
        JWTClaimsSet claims;
        try {
            // Unsigned ("alg": "none") and encrypted tokens do not parse as a signed JWT.
            jwt = SignedJWT.parse(token.value());
            claims = jwt.getJWTClaimsSet();
        } catch (ParseException e) {
            throw new Rejected("the token is not a signed JWT: " + e.getMessage());
        }
        JWSAlgorithm algorithm = jwt.getHeader().getAlgorithm();
        if (!algorithms.contains(algorithm)) {
            throw new Rejected("the algorithm " + algorithm + " is not accepted");
        }
        CredentialSpec credential = settings.consumerClaim() == null && !index.isLocalIssuer(claims.getIssuer())
                ? index.find(claims.getIssuer(), claims.getSubject()) : null;
        return new Candidate(token, jwt, claims, credential);
    }

    /** Returns true while the key set that verified {@code known} is still current, so a removed key stops counting. */
    private boolean stillTrusted(Verified known) {
        if (known.fetchedKeys() == null) {
            return true;
        }
        // Starts the periodic refresh when it is due, as a request that verifies the signature would.
        jwks.current();
        return jwks.loaded() == known.fetchedKeys();
    }

    private void remember(Candidate candidate, boolean valid, KeySet fetchedKeys) {
        if (valid) {
            verified.put(new TokenText(candidate.token().value()),
                    new Verified(candidate.jwt(), candidate.claims(), candidate.credential(), fetchedKeys));
        }
    }

    private static boolean verifies(SignedJWT jwt, KeySet keys) {
        for (VerificationKey key : keys.candidates(jwt.getHeader().getAlgorithm(), jwt.getHeader().getKeyID())) {
            if (key.verify(jwt)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Verifies with the fetched key set, refreshing it when the token's key id is unknown (or the token names none
     * and no key verifies it).
     */
    private void verifyWithKeySet(RequestContext ctx, PolicyChain chain, Candidate candidate) {
        BearerRequests.await(ctx, jwks.current(), result -> afterKeySet(ctx, chain, candidate, result, false));
    }

    private void afterKeySet(RequestContext ctx, PolicyChain chain, Candidate candidate, AsyncResult<KeySet> result,
                             boolean refreshed) {
        if (result.failed()) {
            LOG.debug("Request {} on route {}: no key set to verify the token: {}", ctx.requestId(), route,
                    result.cause().getMessage());
            ctx.resumeBody();
            Challenges.unavailable(ctx, "the signing keys could not be fetched");
            return;
        }
        SignedJWT jwt = candidate.jwt();
        if (verifies(jwt, result.result())) {
            remember(candidate, true, result.result());
            finish(ctx, chain, candidate, true);
            return;
        }
        String keyId = jwt.getHeader().getKeyID();
        if (refreshed || keyId != null && result.result().hasKeyId(keyId)) {
            finish(ctx, chain, candidate, false);
            return;
        }
        BearerRequests.await(ctx, jwks.refreshForUnknownKey(), next -> afterKeySet(ctx, chain, candidate, next,
                true));
    }

    private void finish(RequestContext ctx, PolicyChain chain, Candidate candidate, boolean verified) {
        Identity identity;
        try {
            if (!verified) {
                throw new Rejected("no trusted key verifies the signature");
            }
            checkClaims(candidate.claims(), clock.instant());
            identity = identity(candidate);
        } catch (Rejected e) {
            ctx.resumeBody();
            reject(ctx, e.getMessage());
            return;
        }
        List<String> missing = Scopes.missing(candidate.claims().getClaims(), settings.scopes());
        if (!missing.isEmpty()) {
            LOG.debug("Request {} on route {}: the token lacks the scopes {}", ctx.requestId(), route, missing);
            ctx.resumeBody();
            Challenges.insufficientScope(ctx, settings.scopes());
            return;
        }
        ctx.identity(identity);
        if (!settings.keepCredential()) {
            settings.tokenSource().remove(ctx);
        }
        chain.proceed(ctx);
    }

    private void checkClaims(JWTClaimsSet claims, Instant now) {
        long skew = settings.clockSkew().toMillis();
        long millis = now.toEpochMilli();
        Date expires = claims.getExpirationTime();
        if (expires == null && settings.requireExpiration()) {
            throw new Rejected("the token has no exp claim");
        }
        if (expires != null && millis - skew >= expires.getTime()) {
            throw new Rejected("the token expired at " + expires.toInstant());
        }

        Date notBefore = claims.getNotBeforeTime();
        if (notBefore != null && millis + skew < notBefore.getTime()) {
            throw new Rejected("the token is not valid before " + notBefore.toInstant());
        }
        Date issued = claims.getIssueTime();
        if (issued != null && millis + skew < issued.getTime()) {
            throw new Rejected("the token was issued in the future, at " + issued.toInstant());
        }

        if (settings.maxTokenAge() != null) {
            if (issued == null) {
                throw new Rejected("the token has no iat claim, which maxTokenAge requires");
            }
            if (millis - skew > issued.getTime() + settings.maxTokenAge().toMillis()) {
                throw new Rejected("the token was issued at " + issued.toInstant() + ", longer ago than maxTokenAge");
            }
        }

        if (!settings.issuers().isEmpty() && !settings.issuers().contains(claims.getIssuer())) {
            throw new Rejected("the issuer '" + claims.getIssuer() + "' is not accepted");
        }
        if (!settings.audiences().isEmpty() && (claims.getAudience() == null
                || claims.getAudience().stream().noneMatch(settings.audiences()::contains))) {
            throw new Rejected("the audience " + claims.getAudience() + " is not accepted");
        }
    }

    /** Maps the verified token to a consumer, as the configuration specifies. */
    private Identity identity(Candidate candidate) {
        JWTClaimsSet claims = candidate.claims();
        Map<String, Object> selected = selectedClaims(claims);
        if (settings.consumerClaim() != null) {
            Object value = claims.getClaim(settings.consumerClaim());
            if (!(value instanceof String name) || name.isEmpty()) {
                throw new Rejected("the claim " + settings.consumerClaim() + " is not a string");
            }
            ConsumerSpec consumer = snapshot.consumers().get(name);
            if (consumer == null && settings.allowUnknownConsumer()) {
                return new Identity(name, null, null, "jwt", Map.of(), selected);
            }
            return identity(consumer, null, selected);
        }
        Instant now = clock.instant();
        if (index.isLocalIssuer(claims.getIssuer())) {
            CredentialSpec client = index.oauthClient(claimText(claims, "client_id"));
            if (client == null || !client.consumer().equals(claims.getSubject()) || !client.validAt(now)) {
                throw new Rejected("the oauth-client credential of the token is missing, disabled or expired");
            }
            return identity(snapshot.consumers().get(client.consumer()), client.name(), selected);
        }
        CredentialSpec credential = candidate.credential();
        if (credential == null) {
            throw new Rejected("no jwt credential matches the issuer and subject");
        }
        if (!credential.validAt(now)) {
            throw new Rejected("the credential " + credential.name() + " is disabled or expired");
        }
        return identity(snapshot.consumers().get(credential.consumer()), credential.name(), selected);
    }

    private static Identity identity(ConsumerSpec consumer, String credential, Map<String, Object> claims) {
        if (consumer == null || consumer.disabled()) {
            throw new Rejected("the consumer is unknown or disabled");
        }
        return new Identity(consumer.name(), consumer.team(), credential, "jwt", consumer.labels(), claims);
    }

    private Map<String, Object> selectedClaims(JWTClaimsSet claims) {
        if (settings.claims().isEmpty()) {
            return Map.of();
        }
        Map<String, Object> selected = new LinkedHashMap<>();
        for (String name : settings.claims()) {
            Object value = claims.getClaim(name);
            if (value instanceof Date date) {
                selected.put(name, date.getTime() / 1000);
            } else if (value != null) {
                selected.put(name, value);
            }
        }
        return Map.copyOf(selected);
    }

    private static String claimText(JWTClaimsSet claims, String name) {
        Object value = claims.getClaim(name);
        return value instanceof String text ? text : null;
    }

    private void reject(RequestContext ctx, String reason) {
        LOG.debug("Request {} on route {}: rejected the bearer token: {}", ctx.requestId(), route, reason);
        Challenges.invalid(ctx);
    }
}
