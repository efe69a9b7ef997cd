package io.portico.policy.cache;

import io.portico.cache.CacheStore;
import io.portico.policy.cache.StoredResponse.Variant;
import io.vertx.core.http.HttpServerRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

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
 * <p>NOTE: a marker is read and then written, which is not atomic. When two nodes store variants of one key at the
 * same moment, the marker written last may lack the other node's variant. That variant is then not removed with the
 * marker and stays in the store, unreachable, until its freshness ends.
 */
final class Variants {

    /** The maximum number of variants one marker lists, which bounds the marker's size and the work to remove them. */
    static final int MAX_VARIANTS = 64;

    private Variants() {
    }

    /**
     * Stores {@code response} for the request under primary key {@code key}: at the key itself when
     * {@code varyNames} is empty, else as the variant that the request's values of {@code varyNames} select. Each
     * failure of the store goes to {@code failed}.
     */
    static void store(CacheStore store, String key, StoredResponse response, List<String> varyNames,
                      HttpServerRequest request, Consumer<Throwable> failed) {
        store.get(key).onComplete(found -> {
            if (found.failed()) {
                failed.accept(found.cause());
                return;
            }
            StoredResponse previous = found.result() == null ? null : StoredResponse.decode(found.result());
            long now = System.currentTimeMillis();
            Duration ttl = Duration.ofMillis(response.freshUntilMillis() - now);
            if (varyNames.isEmpty()) {
                removeVariants(store, key, previous, failed);
                store.put(key, response.encode(), ttl).onFailure(failed::accept);
                return;
            }
            String selection = CacheKeys.selection(varyNames, request);
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
                removeVariants(store, key, previous, failed);
                generation = ThreadLocalRandom.current().nextLong();
            }
            while (listed.size() >= MAX_VARIANTS) {
                Variant first = listed.stream().min(Comparator.comparingLong(Variant::freshUntilMillis)).orElseThrow();
                listed.remove(first);
                store.remove(CacheKeys.variant(key, generation, first.selection())).onFailure(failed::accept);
            }
            listed.add(new Variant(selection, response.freshUntilMillis()));
            StoredResponse marker = StoredResponse.marker(varyNames, generation, listed);
            store.put(key, marker.encode(), Duration.ofMillis(marker.freshUntilMillis() - now))
                    .onFailure(failed::accept);
            store.put(CacheKeys.variant(key, generation, selection), response.encode(), ttl)
                    .onFailure(failed::accept);
        });
    }

    /**
     * Removes the entry at primary key {@code key} and, when it is a marker, every variant it lists. When the entry
     * cannot be read, the key is still removed, which leaves its variants unreachable until they expire.
     */
    static void remove(CacheStore store, String key, Consumer<Throwable> failed) {
        store.get(key).onComplete(found -> {
            if (found.failed()) {
                failed.accept(found.cause());
            } else if (found.result() != null) {
                removeVariants(store, key, StoredResponse.decode(found.result()), failed);
            }
            store.remove(key).onFailure(failed::accept);
        });
    }

    private static void removeVariants(CacheStore store, String key, StoredResponse previous,
                                       Consumer<Throwable> failed) {
        if (previous == null || !previous.isMarker()) {
            return;
        }
        for (Variant variant : previous.variants()) {
            store.remove(CacheKeys.variant(key, previous.generation(), variant.selection()))
                    .onFailure(failed::accept);
        }
    }
}
