package io.portico.policy.cache;

import io.portico.cache.CacheStore;
import io.portico.policy.cache.StoredResponse.Variant;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Writes and removes the entries of one primary key so that no {@code Vary} variant outlives the marker that leads
 * to it. A response without {@code Vary} is stored at the primary key. A response with {@code Vary} is stored under
 * a variant key, and the marker at the primary key names the headers, a generation and every variant written under
 * it.
 *
 * <p>The variants of a marker are removed when a response for the key names other {@code Vary} headers or none
 * (the new marker gets a new generation), and when an unsafe request removes the key. A marker lists at most
 * {@value #MAX_VARIANTS} variants: storing one more removes the listed variant whose freshness ends first. A purge
 * by key prefix needs no list, since every variant key starts with its primary key.
 *
 * <p>On one node, the writes and removals for one primary key run in turn, each after the previous one's store
 * operations have completed, so that a marker read by one write already lists the variant of the write before it.
 *
 * <p>NOTE: across nodes, a marker is read and then written, which is not atomic. When two nodes store variants of
 * one key at the same moment, the marker written last may lack the other node's variant. That variant is then not
 * removed with the marker and stays in the store, unreachable, until its freshness ends.
 */
final class Variants {

    /** The maximum number of variants one marker lists, which bounds the marker's size and the work to remove them. */
    static final int MAX_VARIANTS = 64;

    /** The last pending write or removal per primary key and store. An entry is removed when its work ends. */
    private static final ConcurrentHashMap<Turn, Future<Void>> LAST = new ConcurrentHashMap<>();

    private Variants() {
    }

    /**
     * Stores {@code response} for the request under primary key {@code key}: at the key itself when
     * {@code varyNames} is empty, else as the variant that the forwarded request's values of {@code varyNames}
     * select. Each failure of the store goes to {@code failed}.
     *
     * @return a future that succeeds once every store operation of the write has completed, successfully or not
     */
    static Future<Void> store(CacheStore store, String key, StoredResponse response, List<String> varyNames,
                              ForwardedRequest forwarded, Consumer<Throwable> failed) {
        // The selection is computed now because the request headers must not be read after the exchange ends.
        String selection = varyNames.isEmpty() ? null : CacheKeys.selection(varyNames, forwarded.headers());
        return inTurn(store, key, () -> write(store, key, response, varyNames, selection, failed), failed);
    }

    private static Future<Void> write(CacheStore store, String key, StoredResponse response, List<String> varyNames,
                                      String selection, Consumer<Throwable> failed) {
        return store.get(key).transform(found -> {
            if (found.failed()) {
                failed.accept(found.cause());
                return Future.succeededFuture();
            }
            List<Future<Void>> writes = new ArrayList<>();
            StoredResponse previous = found.result() == null ? null : StoredResponse.decode(found.result());
            long now = System.currentTimeMillis();
            Duration ttl = Duration.ofMillis(response.freshUntilMillis() - now);
            if (varyNames.isEmpty()) {
                removeVariants(store, key, previous, writes);
                writes.add(store.put(key, response.encode(), ttl));
                return allOf(writes, failed);
            }
            long generation;
            List<Variant> listed = new ArrayList<>();
            if (previous != null && previous.isMarker() && previous.varyNames().equals(varyNames)) {
                generation = previous.generation();
                for (Variant variant : previous.variants()) {
                    if (variant.freshUntilMillis() > now && !variant.selection().equals(selection)) {
                        listed.add(variant);
                    }
                }
            } else {
                removeVariants(store, key, previous, writes);
                generation = ThreadLocalRandom.current().nextLong();
            }
            while (listed.size() >= MAX_VARIANTS) {
                Variant first = listed.stream().min(Comparator.comparingLong(Variant::freshUntilMillis)).orElseThrow();
                listed.remove(first);
                writes.add(store.remove(CacheKeys.variant(key, generation, first.selection())));
            }
            listed.add(new Variant(selection, response.freshUntilMillis()));
            StoredResponse marker = StoredResponse.marker(varyNames, generation, listed);
            writes.add(store.put(key, marker.encode(), Duration.ofMillis(marker.freshUntilMillis() - now)));
            writes.add(store.put(CacheKeys.variant(key, generation, selection), response.encode(), ttl));
            return allOf(writes, failed);
        });
    }

    /**
     * Removes the entry at primary key {@code key} and, when it is a marker, every variant it lists. When the entry
     * cannot be read, the key is still removed, which leaves its variants unreachable until they expire.
     */
    static void remove(CacheStore store, String key, Consumer<Throwable> failed) {
        inTurn(store, key, () -> store.get(key).transform(found -> {
            List<Future<Void>> removals = new ArrayList<>();
            if (found.failed()) {
                failed.accept(found.cause());
            } else if (found.result() != null) {
                removeVariants(store, key, StoredResponse.decode(found.result()), removals);
            }
            removals.add(store.remove(key));
            return allOf(removals, failed);
        }), failed);
    }

    private static void removeVariants(CacheStore store, String key, StoredResponse previous,
                                       List<Future<Void>> removals) {
        if (previous == null || !previous.isMarker()) {
            return;
        }
        for (Variant variant : previous.variants()) {
            removals.add(store.remove(CacheKeys.variant(key, previous.generation(), variant.selection())));
        }
    }

    /** Completes when every operation of {@code operations} has completed, each failure going to {@code failed}. */
    private static Future<Void> allOf(List<Future<Void>> operations, Consumer<Throwable> failed) {
        for (Future<Void> operation : operations) {
            operation.onFailure(failed::accept);
        }
        return Future.join(operations).<Void>mapEmpty().otherwiseEmpty();
    }

    /**
     * Runs {@code work} once the previous work on {@code key} of {@code store} has completed. An exception that
     * {@code work} throws goes to {@code failed}. Returns a future that succeeds once {@code work} has completed.
     */
    private static Future<Void> inTurn(CacheStore store, String key, Supplier<Future<Void>> work,
                                       Consumer<Throwable> failed) {
        Turn turn = new Turn(store, key);
        Promise<Void> done = Promise.promise();
        Future<Void> finished = done.future();
        Future<Void> previous = LAST.put(turn, finished);
        Future<Void> start = previous == null ? Future.succeededFuture() : previous;
        start.onComplete(ignored -> {
            Future<Void> running;
            try {
                running = work.get();
            } catch (RuntimeException e) {
                failed.accept(e);
                running = Future.succeededFuture();
            }
            running.onComplete(ended -> {
                LAST.remove(turn, finished);
                done.complete();
            });
        });
        return finished;
    }

    /** A primary key of one store, which compares stores by identity. */
    private record Turn(CacheStore store, String key) {
    }
}
