package io.portico.oauth.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.ConfigSnapshot;
import io.portico.config.Json;
import io.portico.config.Resource;
import io.portico.config.ResourceKinds;
import io.portico.oauth.SigningKeyRing;
import io.portico.store.Change;
import io.portico.store.ConflictException;
import io.portico.testing.InMemoryConfigStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The signing key life cycle, step by step on a fixed clock: first key, rotation, publication and removal. */
class SigningKeyManagerTest {

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final String KIND = ResourceKinds.SIGNING_KEYS.name();

    private final InMemoryConfigStore store = new InMemoryConfigStore();

    /** Commits an oauth route that signs ES256 tokens for 5 minutes and rotates every 10 with 2 of publication. */
    private void route() {
        ObjectNode spec = Json.MAPPER.createObjectNode().put("name", "oauth");
        spec.putArray("paths").add("/oauth");
        spec.putObject("oauth").put("issuer", "https://gw.test").put("algorithm", "ES256").put("tokenTtl", "5m")
                .put("keyRotation", "10m").put("keyPublication", "2m");
        store.commit(List.of(Change.create("routes", "oauth", spec)));
    }

    private ConfigSnapshot snapshot() {
        var contents = store.read();
        return ConfigSnapshot.of(contents.version(), contents.resources());
    }

    /** Runs one check at {@code now}; returns the changes it committed. */
    private List<Change> check(Instant now) {
        long version = store.version();
        List<Change> changes = SigningKeyManager.changes(SigningKeyManager.actions(store.list(KIND), snapshot(), now),
                now, version);
        if (!changes.isEmpty()) {
            store.commit(changes);
        }
        return changes;
    }

    private SigningKeyRing ring() {
        return SigningKeyRing.of(snapshot());
    }

    private List<String> names() {
        List<String> names = new ArrayList<>();
        store.list(KIND).forEach(resource -> names.add(resource.name()));
        return names;
    }

    @Test
    void noOauthRouteNeedsNoKey() {
        assertThat(check(T0)).isEmpty();
    }

    @Test
    void firstKeySignsAtOnce() {
        route();

        List<Change> changes = check(T0);

        assertThat(changes).hasSize(1);
        assertThat(changes.get(0).operation()).isEqualTo(Change.Operation.CREATE);
        assertThat(ring().signer("ES256", T0)).isPresent();
        assertThat(check(T0.plusSeconds(60))).isEmpty();
    }

    @Test
    void rotationPublishesSuccessorBeforeItSigns() {
        route();
        check(T0);
        String first = names().get(0);

        assertThat(check(T0.plus(Duration.ofMinutes(7)))).as("too early to rotate").isEmpty();
        List<Change> rotation = check(T0.plus(Duration.ofMinutes(8)));

        assertThat(rotation).extracting(Change::operation)
                .containsExactly(Change.Operation.UPDATE, Change.Operation.CREATE);
        String second = rotation.get(1).name();
        SigningKeyRing ring = ring();
        Instant published = T0.plus(Duration.ofMinutes(9));
        assertThat(ring.signer("ES256", published).orElseThrow().keyId()).isEqualTo(first);
        assertThat(ring.jwks(published)).contains(first).contains(second);
        assertThat(ring.signer("ES256", T0.plus(Duration.ofMinutes(10))).orElseThrow().keyId()).isEqualTo(second);
        assertThat(check(T0.plus(Duration.ofMinutes(9)))).as("one successor at a time").isEmpty();
    }

    @Test
    void retiredKeyStaysPublishedUntilItsTokensExpire() {
        route();
        check(T0);
        String first = names().get(0);
        check(T0.plus(Duration.ofMinutes(8)));
        // Retired at 10m; the longest token lives 5m, plus 5m of clock skew.
        Instant lastTokenExpiry = T0.plus(Duration.ofMinutes(20));

        assertThat(ring().jwks(lastTokenExpiry.minusSeconds(1))).contains(first);
        assertThat(ring().jwks(lastTokenExpiry)).doesNotContain(first);
        List<Change> cleanup = check(lastTokenExpiry);

        assertThat(cleanup).extracting(Change::operation).contains(Change.Operation.DELETE);
        assertThat(names()).doesNotContain(first).hasSize(2);
    }

    @Test
    void concurrentRotationOnAnotherNodeConflicts() {
        route();
        check(T0);
        Instant now = T0.plus(Duration.ofMinutes(8));
        long version = store.version();
        List<Resource> read = store.list(KIND);
        List<Change> mine = SigningKeyManager.changes(SigningKeyManager.actions(read, snapshot(), now), now, version);
        List<Change> theirs = SigningKeyManager.changes(SigningKeyManager.actions(read, snapshot(), now), now,
                version);

        store.commit(theirs);

        assertThatThrownBy(() -> store.commit(mine)).isInstanceOf(ConflictException.class);
        assertThat(names()).hasSize(2);
    }

    @Test
    void concurrentFirstKeysConflict() {
        route();
        long version = store.version();
        List<Change> mine = SigningKeyManager.changes(SigningKeyManager.actions(store.list(KIND), snapshot(), T0),
                T0, version);
        List<Change> theirs = SigningKeyManager.changes(SigningKeyManager.actions(store.list(KIND), snapshot(), T0),
                T0, version);

        store.commit(theirs);

        assertThatThrownBy(() -> store.commit(mine)).isInstanceOf(ConflictException.class);
        assertThat(names()).hasSize(1);
    }

    @Test
    void lateNodeStillPublishesBeforeSigning() {
        route();
        check(T0);
        Instant late = T0.plus(Duration.ofMinutes(30));

        List<Change> rotation = check(late);

        Instant successorFrom = Instant.parse(rotation.get(1).spec().get("activeFrom").asText());
        assertThat(successorFrom).isEqualTo(late.plus(Duration.ofMinutes(2)));
    }
}
