package io.portico.oauth.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.ConfigSnapshot;
import io.portico.config.FieldError;
import io.portico.config.Json;
import io.portico.config.Resource;
import io.portico.config.ResourceKinds;
import io.portico.config.SigningKeySpec;
import io.portico.oauth.SigningKeyGenerator;
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
    private static final String ISSUER = "https://gw.test";
    private static final String OTHER_ISSUER = "https://other.test";

    private final InMemoryConfigStore store = new InMemoryConfigStore();

    /** Commits an oauth route that signs ES256 tokens for 5 minutes and rotates every 10 with 2 of publication. */
    private void route() {
        route("oauth", ISSUER, "10m", "2m");
    }

    private void route(String name, String issuer, String rotation, String publication) {
        store.commit(List.of(Change.create("routes", name, routeSpec(name, issuer, rotation, publication))));
    }

    private static ObjectNode routeSpec(String name, String issuer, String rotation, String publication) {
        ObjectNode spec = Json.MAPPER.createObjectNode().put("name", name);
        spec.putArray("paths").add("/" + name);
        spec.putObject("oauth").put("issuer", issuer).put("algorithm", "ES256").put("tokenTtl", "5m")
                .put("keyRotation", rotation).put("keyPublication", publication);
        return spec;
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
        assertThat(ring().signer(ISSUER, "ES256", T0)).isPresent();
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
        assertThat(ring.signer(ISSUER, "ES256", published).orElseThrow().keyId()).isEqualTo(first);
        assertThat(ring.jwks(ISSUER, published)).contains(first).contains(second);
        assertThat(ring.signer(ISSUER, "ES256", T0.plus(Duration.ofMinutes(10))).orElseThrow().keyId())
                .isEqualTo(second);
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

        assertThat(ring().jwks(ISSUER, lastTokenExpiry.minusSeconds(1))).contains(first);
        assertThat(ring().jwks(ISSUER, lastTokenExpiry)).doesNotContain(first);
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

    @Test
    void otherIssuerNeverRotatesKeys() {
        route();
        check(T0);
        String first = names().get(0);
        route("fast", OTHER_ISSUER, "1m", "10s");

        List<Change> created = check(T0.plusSeconds(1));
        check(T0.plus(Duration.ofMinutes(5)));

        assertThat(created).extracting(Change::operation).containsExactly(Change.Operation.CREATE);
        assertThat(created.get(0).spec().path("issuer").asText()).isEqualTo(OTHER_ISSUER);
        assertThat(store.get(KIND, first).orElseThrow().spec().has("retiredAt")).isFalse();
        assertThat(names()).as("the other issuer's keys rotated").hasSizeGreaterThan(2);
        Instant later = T0.plus(Duration.ofMinutes(6));
        assertThat(ring().signer(ISSUER, "ES256", later).orElseThrow().keyId()).isEqualTo(first);
        assertThat(ring().signer(OTHER_ISSUER, "ES256", later).orElseThrow().keyId()).isNotEqualTo(first);
        assertThat(ring().jwks(OTHER_ISSUER, later)).doesNotContain(first);
    }

    @Test
    void keyWithoutIssuerIsRetired() {
        SigningKeySpec shared = SigningKeyGenerator.generate("ES256", null, "es256-shared", T0, T0);
        store.commit(List.of(Change.create(KIND, shared.name(), ResourceKinds.SIGNING_KEYS.toJson(shared))));
        assertThat(ring().signer(ISSUER, "ES256", T0).orElseThrow().keyId()).isEqualTo("es256-shared");
        route();
        Instant now = T0.plusSeconds(30);

        List<Change> changes = check(now);

        assertThat(changes).extracting(Change::operation)
                .containsExactlyInAnyOrder(Change.Operation.CREATE, Change.Operation.UPDATE);
        SigningKeySpec retired = ResourceKinds.SIGNING_KEYS.parse(store.get(KIND, "es256-shared").orElseThrow()
                .spec());
        assertThat(retired.retiredAt()).isEqualTo(now);
        assertThat(retired.removeAfter()).isEqualTo(now.plus(Duration.ofMinutes(10)));
        assertThat(ring().signer(ISSUER, "ES256", now).orElseThrow().keyId()).isNotEqualTo("es256-shared");
        assertThat(ring().jwks(ISSUER, now)).contains("es256-shared");
        assertThat(check(now.plusSeconds(1))).isEmpty();
    }

    @Test
    void sharedIssuerSettingsAreValidatedTogether() {
        List<Resource> routes = List.of(
                new Resource("routes", "slow", routeSpec("slow", ISSUER, "720h", "2h"), 1, T0),
                new Resource("routes", "fast", routeSpec("fast", ISSUER, "1h", "10m"), 1, T0),
                new Resource("routes", "apart", routeSpec("apart", OTHER_ISSUER, "1h", "10m"), 1, T0));

        List<FieldError> errors = ConfigSnapshot.of(1, routes).danglingReferences();

        assertThat(errors).extracting(FieldError::field)
                .containsExactlyInAnyOrder("routes/slow.oauth.keyPublication", "routes/fast.oauth.keyPublication");
        assertThat(errors.get(0).message()).contains("PT2H").contains("PT1H");
    }
}
