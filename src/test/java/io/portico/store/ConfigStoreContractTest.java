package io.portico.store;

import static io.portico.store.TestSpecs.json;
import static io.portico.store.TestSpecs.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Resource;
import io.portico.config.ValidationException;
import io.portico.quota.CounterId;
import io.portico.quota.CounterStore;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link ConfigStore} database must show. Subclasses run it on a real database, and each test
 * starts from an empty, freshly migrated one.
 */
abstract class ConfigStoreContractTest {

    private static final String SERVICES = "services";
    private static final String ROUTES = "routes";

    protected JdbcConfigStore store;

    /** Opens a store on this test's database. A second call opens the same database again. */
    protected abstract JdbcConfigStore openStore() throws Exception;

    @BeforeEach
    void openFreshStore() throws Exception {
        store = openStore();
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    @Test
    void emptyStoreHasVersionZero() {
        assertThat(store.version()).isZero();
        assertThat(store.read().version()).isZero();
        assertThat(store.read().resources()).isEmpty();
        assertThat(store.list(SERVICES)).isEmpty();
        assertThat(store.get(SERVICES, "api")).isEmpty();
    }

    @Test
    void createStoresSpecWithNewRevision() {
        Instant before = Instant.now().truncatedTo(ChronoUnit.MICROS);
        List<Resource> written = store.commit(List.of(Change.create(SERVICES, "api", service("api", 8080))));
        Instant after = Instant.now();

        assertThat(written).hasSize(1);
        assertThat(written.get(0).revision()).isEqualTo(1);
        assertThat(store.version()).isEqualTo(1);
        Resource stored = store.get(SERVICES, "api").orElseThrow();
        assertThat(stored.kind()).isEqualTo(SERVICES);
        assertThat(stored.name()).isEqualTo("api");
        assertThat(stored.spec()).isEqualTo(service("api", 8080));
        assertThat(stored.revision()).isEqualTo(1);
        assertThat(stored.updatedAt()).isBetween(before, after);
        assertThat(stored).isEqualTo(written.get(0));
    }

    @Test
    void specRoundTripsNestedJson() {
        ObjectNode spec = json("{\"text\": \"caf\\u00e9 \\u2603 \\\"quoted\\\"\", \"list\": [1, 2.5, null, true],"
                + " \"nested\": {\"empty\": {}, \"big\": 12345678901234}}");
        store.commit(List.of(Change.create("things", "one", spec)));

        assertThat(store.get("things", "one").orElseThrow().spec()).isEqualTo(spec);
    }

    @Test
    void updateReplacesSpecAndRevision() {
        store.commit(List.of(Change.create(SERVICES, "api", service("api", 8080))));
        store.commit(List.of(Change.create(SERVICES, "other", service("other", 8081))));

        List<Resource> written = store.commit(List.of(Change.update(SERVICES, "api", service("api", 9090), 1L)));

        assertThat(written.get(0).revision()).isEqualTo(3);
        Resource stored = store.get(SERVICES, "api").orElseThrow();
        assertThat(stored.spec()).isEqualTo(service("api", 9090));
        assertThat(stored.revision()).isEqualTo(3);
        assertThat(store.get(SERVICES, "other").orElseThrow().revision()).isEqualTo(2);
    }

    @Test
    void unchangedUpdateKeepsRevisionAndVersion() {
        store.commit(List.of(Change.create(SERVICES, "api", service("api", 8080))));

        List<Resource> written = store.commit(List.of(Change.update(SERVICES, "api", service("api", 8080), 1L)));

        assertThat(written.get(0).revision()).isEqualTo(1);
        assertThat(written.get(0)).isEqualTo(store.get(SERVICES, "api").orElseThrow());
        assertThat(store.version()).isEqualTo(1);
        assertThat(store.audit(AuditQuery.all(10))).hasSize(1);
    }

    @Test
    void unchangedUpdateInBatchIsLeftOut() {
        store.commit(List.of(Change.create(SERVICES, "api", service("api", 8080))));
        store.commit(List.of(Change.create(SERVICES, "other", service("other", 8081))));

        List<Resource> written = store.commit(List.of(
                Change.update(SERVICES, "api", service("api", 8080), null),
                Change.update(SERVICES, "other", service("other", 9090), null)));

        assertThat(written).extracting(Resource::revision).containsExactly(1L, 3L);
        assertThat(store.version()).isEqualTo(3);
        assertThat(store.audit(AuditQuery.all(10))).extracting(AuditEntry::name)
                .containsExactly("other", "other", "api");
    }

    @Test
    void unchangedUpdateWithStaleRevisionConflicts() {
        store.commit(List.of(Change.create(SERVICES, "api", service("api", 8080))));
        store.commit(List.of(Change.update(SERVICES, "api", service("api", 8081), 1L)));

        assertThatThrownBy(() -> store.commit(List.of(Change.update(SERVICES, "api", service("api", 8081), 1L))))
                .isInstanceOf(ConflictException.class);
        assertThat(store.version()).isEqualTo(2);
    }

    @Test
    void updateWithoutExpectedRevisionOverwrites() {
        store.commit(List.of(Change.create(SERVICES, "api", service("api", 8080))));

        store.commit(List.of(Change.update(SERVICES, "api", service("api", 9090), null)));

        assertThat(store.get(SERVICES, "api").orElseThrow().spec()).isEqualTo(service("api", 9090));
    }

    @Test
    void deleteRemovesAndReturnsOldResource() {
        List<Resource> created = store.commit(List.of(Change.create(SERVICES, "api", service("api", 8080))));

        List<Resource> deleted = store.commit(List.of(Change.delete(SERVICES, "api", 1L)));

        assertThat(deleted).containsExactly(created.get(0));
        assertThat(store.get(SERVICES, "api")).isEmpty();
        assertThat(store.version()).isEqualTo(2);
    }

    @Test
    void createOfExistingConflicts() {
        store.commit(List.of(Change.create(SERVICES, "api", service("api", 8080))));

        assertThatThrownBy(() -> store.commit(List.of(Change.create(SERVICES, "api", service("api", 9090)))))
                .isInstanceOfSatisfying(ConflictException.class,
                        e -> assertThat(e.revisionMismatch()).isFalse())
                .hasMessageContaining("services/api");
        assertThat(store.version()).isEqualTo(1);
        assertThat(store.get(SERVICES, "api").orElseThrow().spec()).isEqualTo(service("api", 8080));
    }

    @Test
    void updateWithStaleRevisionConflicts() {
        store.commit(List.of(Change.create(SERVICES, "api", service("api", 8080))));
        store.commit(List.of(Change.update(SERVICES, "api", service("api", 8081), 1L)));

        assertThatThrownBy(() -> store.commit(List.of(Change.update(SERVICES, "api", service("api", 9090), 1L))))
                .isInstanceOfSatisfying(ConflictException.class,
                        e -> assertThat(e.revisionMismatch()).isTrue())
                .hasMessageContaining("revision 2")
                .hasMessageContaining("revision 1");
        assertThat(store.get(SERVICES, "api").orElseThrow().spec()).isEqualTo(service("api", 8081));
        assertThat(store.version()).isEqualTo(2);
    }

    @Test
    void deleteWithStaleRevisionConflicts() {
        store.commit(List.of(Change.create(SERVICES, "api", service("api", 8080))));

        assertThatThrownBy(() -> store.commit(List.of(Change.delete(SERVICES, "api", 7L))))
                .isInstanceOfSatisfying(ConflictException.class,
                        e -> assertThat(e.revisionMismatch()).isTrue());
        assertThat(store.get(SERVICES, "api")).isPresent();
    }

    @Test
    void updateOfMissingIsNotFound() {
        assertThatThrownBy(() -> store.commit(List.of(Change.update(SERVICES, "api", service("api", 1), null))))
                .isInstanceOf(NotFoundException.class)
                .hasMessageContaining("services/api");
        assertThat(store.version()).isZero();
    }

    @Test
    void deleteOfMissingIsNotFound() {
        assertThatThrownBy(() -> store.commit(List.of(Change.delete(SERVICES, "api", null))))
                .isInstanceOf(NotFoundException.class);
        assertThat(store.version()).isZero();
    }

    @Test
    void batchGetsOneVersionAndKeepsOrder() {
        store.commit(List.of(Change.create(SERVICES, "old", service("old", 1))));

        List<Resource> written = store.commit(List.of(
                Change.create(ROUTES, "r", json("{\"service\": \"api\"}")),
                Change.create(SERVICES, "api", service("api", 8080)),
                Change.delete(SERVICES, "old", 1L)));

        assertThat(written).extracting(Resource::name).containsExactly("r", "api", "old");
        assertThat(written).extracting(Resource::revision).containsExactly(2L, 2L, 1L);
        assertThat(store.version()).isEqualTo(2);
        assertThat(store.read().resources()).extracting(Resource::name).containsExactly("r", "api");
    }

    @Test
    void failedBatchWritesNothing() {
        store.commit(List.of(Change.create(SERVICES, "kept", service("kept", 1))));

        List<Change> batch = List.of(
                Change.create(SERVICES, "new", service("new", 2)),
                Change.update(SERVICES, "kept", service("kept", 3), 1L),
                Change.delete(SERVICES, "kept", null),
                Change.update(SERVICES, "missing", service("missing", 4), null));

        assertThatThrownBy(() -> store.commit(batch)).isInstanceOf(NotFoundException.class);
        assertThat(store.version()).isEqualTo(1);
        assertThat(store.get(SERVICES, "new")).isEmpty();
        Resource kept = store.get(SERVICES, "kept").orElseThrow();
        assertThat(kept.spec()).isEqualTo(service("kept", 1));
        assertThat(kept.revision()).isEqualTo(1);
    }

    @Test
    void conflictLateInBatchWritesNothing() {
        store.commit(List.of(Change.create(SERVICES, "a", service("a", 1)),
                Change.create(SERVICES, "b", service("b", 2))));

        List<Change> batch = List.of(
                Change.delete(SERVICES, "a", null),
                Change.create(SERVICES, "b", service("b", 3)));

        assertThatThrownBy(() -> store.commit(batch)).isInstanceOf(ConflictException.class);
        assertThat(store.list(SERVICES)).extracting(Resource::name).containsExactly("a", "b");
        assertThat(store.version()).isEqualTo(1);
    }

    @Test
    void batchSeesItsOwnEarlierChanges() {
        List<Resource> written = store.commit(List.of(
                Change.create(SERVICES, "api", service("api", 1)),
                Change.update(SERVICES, "api", service("api", 2), 1L)));

        assertThat(written).extracting(Resource::revision).containsExactly(1L, 1L);
        assertThat(store.get(SERVICES, "api").orElseThrow().spec()).isEqualTo(service("api", 2));
    }

    @Test
    void listFiltersKindAndSortsByName() {
        store.commit(List.of(
                Change.create(SERVICES, "b", service("b", 1)),
                Change.create(SERVICES, "a", service("a", 1)),
                Change.create(SERVICES, "B", service("B", 1)),
                Change.create(ROUTES, "a", json("{}"))));

        assertThat(store.list(SERVICES)).extracting(Resource::name).containsExactly("B", "a", "b");
        assertThat(store.list(ROUTES)).extracting(Resource::name).containsExactly("a");
        assertThat(store.read().resources()).extracting(r -> r.kind() + "/" + r.name())
                .containsExactly("routes/a", "services/B", "services/a", "services/b");
    }

    @Test
    void emptyCommitKeepsVersion() {
        assertThat(store.commit(List.of())).isEmpty();
        assertThat(store.version()).isZero();
    }

    @Test
    void versionIncrementsByOnePerCommit() {
        for (int i = 1; i <= 5; i++) {
            store.commit(List.of(Change.create(SERVICES, "s" + i, service("s" + i, i))));
            assertThat(store.version()).isEqualTo(i);
        }
        assertThat(store.read().version()).isEqualTo(5);
    }

    @Test
    void overlongNameIsRejectedBeforeWriting() {
        String name = "n".repeat(129);

        assertThatThrownBy(() -> store.commit(List.of(
                Change.create(SERVICES, "fine", service("fine", 1)),
                Change.create(SERVICES, name, service("x", 1)))))
                .isInstanceOfSatisfying(ValidationException.class,
                        e -> assertThat(e.errors().get(0).field()).isEqualTo("name"));
        assertThat(store.version()).isZero();
    }

    @Test
    void overlongKindIsRejected() {
        assertThatThrownBy(() -> store.commit(List.of(Change.create("k".repeat(65), "a", json("{}")))))
                .isInstanceOfSatisfying(ValidationException.class,
                        e -> assertThat(e.errors().get(0).field()).isEqualTo("kind"));
    }

    @Test
    void oversizedSpecIsRejected() {
        ObjectNode spec = json("{}").put("blob", "x".repeat(1_000_000));

        assertThatThrownBy(() -> store.commit(List.of(Change.create("things", "big", spec))))
                .isInstanceOfSatisfying(ValidationException.class,
                        e -> assertThat(e.errors().get(0).field()).isEqualTo("spec"));
    }

    @Test
    void largestSpecFits() {
        String prefix = "{\"blob\":\"";
        int length = Rows.MAX_SPEC_LENGTH - prefix.length() - 2;
        ObjectNode spec = json("{}").put("blob", "x".repeat(length));

        store.commit(List.of(Change.create("things", "big", spec)));

        assertThat(store.get("things", "big").orElseThrow().spec()).isEqualTo(spec);
    }

    @Test
    void reopenKeepsResourcesAndVersion() throws Exception {
        store.commit(List.of(Change.create(SERVICES, "api", service("api", 8080))));
        store.commit(List.of(Change.update(SERVICES, "api", service("api", 8081), 1L)));
        store.close();

        store = openStore();

        assertThat(store.version()).isEqualTo(2);
        assertThat(store.get(SERVICES, "api").orElseThrow().spec()).isEqualTo(service("api", 8081));
        assertThat(store.commit(List.of(Change.delete(SERVICES, "api", 2L))).get(0).revision()).isEqualTo(2);
        assertThat(store.version()).isEqualTo(3);
    }

    @Test
    void closedStoreThrowsStoreException() {
        store.close();

        assertThatThrownBy(() -> store.version()).isInstanceOf(StoreException.class)
                .hasMessageContaining("reading the store version failed");
    }

    @Test
    void concurrentCommitsGetDistinctVersions() throws Exception {
        int threads = 4;
        int commitsPerThread = 25;
        List<Callable<List<Long>>> writers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            writers.add(() -> {
                List<Long> versions = new ArrayList<>();
                for (int i = 0; i < commitsPerThread; i++) {
                    String name = "s-" + thread + "-" + i;
                    versions.add(store.commit(List.of(Change.create(SERVICES, name, service(name, 1))))
                            .get(0).revision());
                }
                return versions;
            });
        }

        List<Long> versions = runAll(writers).stream().flatMap(List::stream).sorted().toList();

        int total = threads * commitsPerThread;
        assertThat(versions).containsExactlyElementsOf(LongStream.rangeClosed(1, total).boxed().toList());
        assertThat(store.version()).isEqualTo(total);
        assertThat(store.list(SERVICES)).hasSize(total);
    }

    @Test
    void countersOfLongEndedPeriodsPurged() {
        Instant now = Instant.parse("2026-12-05T10:00:00Z");
        CounterId expired = dayCounter("expired", now.minus(500, ChronoUnit.DAYS));
        CounterId recent = dayCounter("recent", now.minus(300, ChronoUnit.DAYS));
        CounterStore counters = store.counters();
        counters.addAndRead(Map.of(expired, 5L), expired.start());
        counters.addAndRead(Map.of(recent, 5L), recent.start());

        counters.addAndRead(Map.of(dayCounter("current", now), 1L), now);

        // A flush at a period's own time reads that period back, so the totals show whether its row survived.
        assertThat(counters.addAndRead(Map.of(expired, 2L), expired.start())).containsEntry(expired, 2L);
        assertThat(counters.addAndRead(Map.of(recent, 2L), recent.start())).containsEntry(recent, 7L);
    }

    private static CounterId dayCounter(String subject, Instant start) {
        Instant day = start.truncatedTo(ChronoUnit.DAYS);
        return new CounterId("quota", "route:test", subject, day, day.plus(1, ChronoUnit.DAYS));
    }

    @Test
    void concurrentIncrementsLoseNoUpdate() throws Exception {
        store.commit(List.of(Change.create("counters", "c", json("{\"n\": 0}"))));
        int threads = 4;
        int incrementsPerThread = 15;
        List<Callable<Integer>> writers = Collections.nCopies(threads, () -> {
            int conflicts = 0;
            int done = 0;
            while (done < incrementsPerThread) {
                Resource counter = store.get("counters", "c").orElseThrow();
                ObjectNode next = json("{}").put("n", counter.spec().get("n").asInt() + 1);
                try {
                    store.commit(List.of(Change.update("counters", "c", next, counter.revision())));
                    done++;
                } catch (ConflictException e) {
                    assertThat(e.revisionMismatch()).isTrue();
                    conflicts++;
                    assertThat(conflicts).as("conflicts of one writer").isLessThan(10_000);
                }
            }
            return conflicts;
        });

        runAll(writers);

        int total = threads * incrementsPerThread;
        assertThat(store.get("counters", "c").orElseThrow().spec().get("n").asInt()).isEqualTo(total);
        assertThat(store.version()).isEqualTo(1 + total);
    }

    @Test
    void deletesAuditEntriesBeforeCutoff() throws Exception {
        store.commit(List.of(Change.create(SERVICES, "old", service("old", 8080))));
        Thread.sleep(5);
        Instant cutoff = Instant.now();
        Thread.sleep(5);
        store.commit(List.of(Change.create(SERVICES, "new", service("new", 8080))));

        int deleted = store.deleteAuditBefore(cutoff);

        assertThat(deleted).isEqualTo(1);
        List<AuditEntry> remaining = store.audit(AuditQuery.all(10));
        assertThat(remaining).extracting(AuditEntry::name).containsExactly("new");
        assertThat(store.deleteAuditBefore(cutoff)).isZero();
        assertThat(store.get(SERVICES, "old")).as("resources stay").isPresent();
    }

    @Test
    void readIsConsistentDuringCommits() throws Exception {
        store.commit(List.of(Change.create("pairs", "a", json("{\"n\": 0}")),
                Change.create("pairs", "b", json("{\"n\": 0}"))));
        int commits = 60;
        AtomicBoolean writing = new AtomicBoolean(true);
        Callable<Integer> writer = () -> {
            try {
                for (int i = 1; i <= commits; i++) {
                    ObjectNode spec = json("{}").put("n", i);
                    store.commit(List.of(Change.update("pairs", "a", spec, null),
                            Change.create("items", "i" + i, spec),
                            Change.update("pairs", "b", spec, null)));
                }
                return commits;
            } finally {
                writing.set(false);
            }
        };
        Callable<Integer> reader = () -> {
            int reads = 0;
            while (writing.get() || reads == 0) {
                checkConsistent(store.read());
                reads++;
            }
            return reads;
        };

        List<Integer> counts = runAll(List.of(writer, reader, reader));

        assertThat(counts.get(0)).isEqualTo(commits);
        checkConsistent(store.read());
        assertThat(store.version()).isEqualTo(1 + commits);
    }

    /** Every commit after the first writes pairs a and b and adds one item, all at the commit's version. */
    private static void checkConsistent(ConfigStore.StoreContents contents) {
        Map<String, Resource> byName = contents.resources().stream()
                .collect(Collectors.toMap(r -> r.kind() + "/" + r.name(), Function.identity()));
        Resource a = byName.get("pairs/a");
        Resource b = byName.get("pairs/b");
        long items = contents.resources().stream().filter(r -> r.kind().equals("items")).count();
        assertThat(a.revision()).as("revision of a at version %d", contents.version()).isEqualTo(contents.version());
        assertThat(b.revision()).as("revision of b at version %d", contents.version()).isEqualTo(contents.version());
        assertThat(b.spec()).isEqualTo(a.spec());
        assertThat(items).as("items at version %d", contents.version()).isEqualTo(contents.version() - 1);
    }

    private static <T> List<T> runAll(List<Callable<T>> tasks) throws Exception {
        ExecutorService executor = Executors.newFixedThreadPool(tasks.size());
        try {
            List<T> results = new ArrayList<>();
            for (Future<T> future : executor.invokeAll(tasks, 60, TimeUnit.SECONDS)) {
                results.add(future.get());
            }
            return results;
        } finally {
            executor.shutdownNow();
        }
    }
}
