package io.portico.oauth.keys;

import static java.util.Objects.requireNonNull;

import io.portico.config.ConfigSnapshot;
import io.portico.config.Resource;
import io.portico.config.ResourceKinds;
import io.portico.config.RouteSpec;
import io.portico.config.RouteSpec.OAuthRoute;
import io.portico.config.SigningKeySpec;
import io.portico.oauth.SigningKeyGenerator;
import io.portico.store.Change;
import io.portico.store.ConfigStore;
import io.portico.store.ConflictException;
import io.portico.store.StoreException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the authorization server's signing keys current in the store, for every issuer and algorithm that an
 * {@code oauth} route uses:
 *
 * <ul>
 *   <li>When no key of the issuer and algorithm signs, it creates one that signs at once.</li>
 *   <li>{@code keyPublication} before the current key has signed for {@code keyRotation}, it creates the successor,
 *       published at once but signing only from then on, and marks the current key retired from that instant and
 *       removable once the longest {@code tokenTtl} plus the maximum clock skew has passed.</li>
 *   <li>It deletes keys whose removal time has passed.</li>
 *   <li>It retires at once each key without an issuer, created before keys were kept per issuer, once a route uses
 *       its algorithm. The key stays published for every issuer until the tokens it signed have expired.</li>
 * </ul>
 *
 * <p>When several routes of one issuer use one algorithm, the shortest rotation and the longest publication and
 * token lifetime apply. Routes of other issuers never change these keys.
 *
 * <p>Every node runs a manager. Updates and deletes expect the revisions that were read, and new key ids derive
 * from the store version read, so when two nodes act on the same read, one commit fails with a conflict and
 * changes nothing.
 */
public final class SigningKeyManager {

    private static final Logger LOG = LoggerFactory.getLogger(SigningKeyManager.class);
    /** How often the manager looks for work in the node's current snapshot; reading it costs no store access. */
    private static final Duration CHECK_INTERVAL = Duration.ofSeconds(5);
    /** The largest clock skew a {@code jwt} policy accepts, added to how long a retired key stays published. */
    static final Duration MAX_CLOCK_SKEW = Duration.ofMinutes(5);

    private final Vertx vertx;
    private final ConfigStore store;
    private final Supplier<ConfigSnapshot> snapshots;
    private final Supplier<Future<?>> refresh;
    private final Clock clock;
    private final AtomicBoolean running = new AtomicBoolean();
    private volatile boolean storeFailing;
    private long timer = -1;

    /**
     * @param snapshots the snapshot the node serves, checked for work before the store is read
     * @param refresh reloads the node's snapshot after a commit, so the new keys are served at once
     */
    public SigningKeyManager(Vertx vertx, ConfigStore store, Supplier<ConfigSnapshot> snapshots,
                             Supplier<Future<?>> refresh, Clock clock) {
        this.vertx = requireNonNull(vertx, "vertx");
        this.store = requireNonNull(store, "store");
        this.snapshots = requireNonNull(snapshots, "snapshots");
        this.refresh = requireNonNull(refresh, "refresh");
        this.clock = requireNonNull(clock, "clock");
    }

    /** Checks at once, then every few seconds. */
    public void start() {
        check();
        timer = vertx.setPeriodic(CHECK_INTERVAL.toMillis(), id -> check());
    }

    public void stop() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    /**
     * Commits the changes the current snapshot calls for, on a worker thread; does nothing while a check is
     * running. Call it after each new snapshot so that a new {@code oauth} route gets its key without delay.
     */
    public void check() {
        ConfigSnapshot snapshot = snapshots.get();
        if (actions(snapshotKeys(snapshot), snapshot, clock.instant()).isEmpty()
                || !running.compareAndSet(false, true)) {
            return;
        }
        vertx.executeBlocking(this::commitFromStore, false)
                .onComplete(done -> running.set(false))
                .onSuccess(committed -> {
                    if (committed) {
                        refresh.get();
                    }
                });
    }

    /** Reads the keys from the store, so the plan uses fresh revisions, and commits it; true when it wrote. */
    private boolean commitFromStore() {
        try {
            // The version is read before the keys, so two nodes that see no key choose the same new key id.
            long version = store.version();
            List<Resource> stored = store.list(ResourceKinds.SIGNING_KEYS.name());
            Instant now = clock.instant();
            List<Change> changes = changes(actions(stored, snapshots.get(), now), now, version);
            if (!changes.isEmpty()) {
                store.commit(changes);
                describe(changes);
            }
            if (storeFailing) {
                storeFailing = false;
                LOG.info("Signing key management reaches the configuration store again");
            }
            return !changes.isEmpty();
        } catch (ConflictException e) {
            LOG.debug("Another node changed the signing keys at the same time: {}", e.getMessage());
            return false;
        } catch (StoreException e) {
            if (!storeFailing) {
                storeFailing = true;
                LOG.warn("Signing keys cannot be created or rotated while the configuration store fails; tokens are "
                        + "signed with the current keys meanwhile: {}", e.getMessage());
            }
            return false;
        }
    }

    private static void describe(List<Change> changes) {
        for (Change change : changes) {
            switch (change.operation()) {
                case CREATE -> LOG.info("Created signing key {} ({}) of issuer {}, signing from {}", change.name(),
                        change.spec().path("algorithm").asText(), change.spec().path("issuer").asText(),
                        change.spec().path("activeFrom").asText());
                case UPDATE -> LOG.info("Retired signing key {} from {}; it stays published until {}", change.name(),
                        change.spec().path("retiredAt").asText(), change.spec().path("removeAfter").asText());
                case DELETE -> LOG.info("Deleted signing key {}, which is no longer published", change.name());
                default -> throw new IllegalStateException("unexpected operation " + change.operation());
            }
        }
    }

    private static List<Resource> snapshotKeys(ConfigSnapshot snapshot) {
        return snapshot.resources().stream()
                .filter(resource -> resource.kind().equals(ResourceKinds.SIGNING_KEYS.name()))
                .toList();
    }

    /** An issuer and an algorithm, which together own one set of signing keys. */
    record KeyOwner(String issuer, String algorithm) implements Comparable<KeyOwner> {

        @Override
        public int compareTo(KeyOwner other) {
            return Comparator.comparing(KeyOwner::issuer).thenComparing(KeyOwner::algorithm).compare(this, other);
        }
    }

    /** The key settings that the {@code oauth} routes of one issuer and algorithm call for together. */
    record Settings(Duration rotation, Duration publication, Duration retention) {
    }

    /**
     * One step the keys need: create the first key of an issuer and algorithm, rotate its current key, retire a
     * key without an issuer, or delete a key that is no longer published.
     *
     * @param issuer the issuer of the successor; null when no successor is created
     * @param current the key to retire or delete; null when creating the first key
     * @param successorFrom when the successor starts signing, and the current key stops; null when deleting
     */
    record Action(String issuer, String algorithm, StoredKey current, Instant successorFrom, Duration retention) {
    }

    /**
     * Returns the steps that the keys in {@code stored} need at {@code now}, given the {@code oauth} routes of
     * {@code snapshot}. Cheap: it generates no key.
     */
    static List<Action> actions(List<Resource> stored, ConfigSnapshot snapshot, Instant now) {
        List<StoredKey> keys = new ArrayList<>();
        for (Resource resource : stored) {
            try {
                keys.add(new StoredKey(ResourceKinds.SIGNING_KEYS.parse(resource.spec()), resource.revision()));
            } catch (RuntimeException e) {
                LOG.debug("Skipping the invalid signing key {}: {}", resource.name(), e.getMessage());
            }
        }
        List<Action> actions = new ArrayList<>();
        for (StoredKey key : keys) {
            if (key.spec().removeAfter() != null && !now.isBefore(key.spec().removeAfter())) {
                actions.add(new Action(null, key.spec().algorithm(), key, null, null));
            }
        }
        Map<KeyOwner, Settings> settings = settings(snapshot);
        settings.forEach((owner, wanted) -> {
            List<StoredKey> owned = keys.stream().filter(key -> owner.issuer().equals(key.spec().issuer())
                    && key.spec().algorithm().equals(owner.algorithm())).toList();
            Action action = actionFor(owner, wanted, owned, now);
            if (action != null) {
                actions.add(action);
            }
        });
        retireKeysWithoutIssuer(keys, settings, now, actions);
        return actions;
    }

    private static void retireKeysWithoutIssuer(List<StoredKey> keys, Map<KeyOwner, Settings> settings, Instant now,
                                                List<Action> actions) {
        for (StoredKey key : keys) {
            SigningKeySpec spec = key.spec();
            if (spec.issuer() != null || spec.retiredAt() != null) {
                continue;
            }
            settings.entrySet().stream()
                    .filter(entry -> entry.getKey().algorithm().equals(spec.algorithm()))
                    .map(entry -> entry.getValue().retention())
                    .max(Comparator.naturalOrder())
                    .ifPresent(retention -> actions.add(new Action(null, spec.algorithm(), key,
                            later(now, spec.activeFrom()), retention)));
        }
    }

    private static Action actionFor(KeyOwner owner, Settings settings, List<StoredKey> keys, Instant now) {
        Optional<StoredKey> current = keys.stream().filter(key -> key.spec().signsAt(now))
                .max(Comparator.comparing(key -> key.spec().activeFrom()));
        if (current.isEmpty()) {
            return new Action(owner.issuer(), owner.algorithm(), null, now, settings.retention());
        }
        SigningKeySpec signing = current.get().spec();
        boolean successorExists = keys.stream().anyMatch(key -> key.spec().activeFrom().isAfter(signing.activeFrom()));
        Instant rotateAt = signing.activeFrom().plus(settings.rotation());
        if (successorExists || now.isBefore(rotateAt.minus(settings.publication()))) {
            return null;
        }
        return new Action(owner.issuer(), owner.algorithm(), current.get(),
                later(rotateAt, now.plus(settings.publication())), settings.retention());
    }

    /**
     * Returns the store changes that carry out {@code actions}, generating the new keys.
     *
     * @param storeVersion the store version read before the keys, from which new key ids are made
     */
    static List<Change> changes(List<Action> actions, Instant now, long storeVersion) {
        List<Change> changes = new ArrayList<>();
        for (Action action : actions) {
            String kind = ResourceKinds.SIGNING_KEYS.name();
            if (action.successorFrom() == null) {
                changes.add(Change.delete(kind, action.current().spec().name(), action.current().revision()));
                continue;
            }
            if (action.current() != null) {
                SigningKeySpec signing = action.current().spec();
                SigningKeySpec retired = new SigningKeySpec(signing.name(), signing.algorithm(), signing.publicKey(),
                        signing.privateKey(), signing.createdAt(), signing.activeFrom(), action.successorFrom(),
                        action.successorFrom().plus(action.retention()), signing.issuer());
                changes.add(Change.update(kind, retired.name(), ResourceKinds.SIGNING_KEYS.toJson(retired),
                        action.current().revision()));
            }
            if (action.issuer() == null) {
                continue;
            }
            String keyId = SigningKeyGenerator.keyId(action.algorithm(), action.issuer(), now, storeVersion);
            changes.add(create(SigningKeyGenerator.generate(action.algorithm(), action.issuer(), keyId, now,
                    action.successorFrom())));
        }
        return changes;
    }

    private static Change create(SigningKeySpec spec) {
        return Change.create(ResourceKinds.SIGNING_KEYS.name(), spec.name(), ResourceKinds.SIGNING_KEYS.toJson(spec));
    }

    private static Instant later(Instant first, Instant second) {
        return first.isAfter(second) ? first : second;
    }

    private static Map<KeyOwner, Settings> settings(ConfigSnapshot snapshot) {
        Map<KeyOwner, Settings> byOwner = new TreeMap<>();
        for (RouteSpec route : snapshot.routes().values()) {
            OAuthRoute oauth = route.oauth();
            if (oauth == null) {
                continue;
            }
            Settings wanted = new Settings(oauth.keyRotation(), oauth.keyPublication(),
                    oauth.tokenTtl().plus(MAX_CLOCK_SKEW));
            byOwner.merge(new KeyOwner(oauth.issuer(), oauth.algorithm()), wanted, SigningKeyManager::combine);
        }
        return byOwner;
    }

    /**
     * Combines the settings of two routes of one issuer. Configuration writes reject routes whose combined
     * publication is not shorter than their combined rotation, but a store written before that check may still
     * contain such routes. Their successors are published for half the rotation, so that each key signs for a
     * while before its successor is created.
     */
    private static Settings combine(Settings first, Settings second) {
        Duration rotation = min(first.rotation(), second.rotation());
        Duration publication = max(first.publication(), second.publication());
        if (publication.compareTo(rotation) >= 0) {
            publication = rotation.dividedBy(2);
        }
        return new Settings(rotation, publication, max(first.retention(), second.retention()));
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    private record StoredKey(SigningKeySpec spec, long revision) {
    }
}
