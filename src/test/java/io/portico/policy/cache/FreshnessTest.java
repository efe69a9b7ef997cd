package io.portico.policy.cache;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.portico.cache.CacheControl;
import io.vertx.core.MultiMap;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The storing and lifetime rules of RFC 9111, and the parsing of Cache-Control, in memory. */
class FreshnessTest {

    private static final long NOW = 1_700_000_000_000L;
    private static final CacheSettings SETTINGS = CacheSettings.of(JsonNodeFactory.instance.objectNode());

    private static Freshness.Verdict judge(int status, String... headers) {
        return judge(CacheControl.NONE, false, status, headers);
    }

    private static Freshness.Verdict judge(CacheControl request, boolean authorized, int status, String... headers) {
        MultiMap map = MultiMap.caseInsensitiveMultiMap();
        for (int i = 0; i + 1 < headers.length; i += 2) {
            map.add(headers[i], headers[i + 1]);
        }
        return Freshness.judge(SETTINGS, request, authorized, status, map, NOW);
    }

    @Test
    void parsesQuotedAndRepeatedDirectives() {
        CacheControl directives = CacheControl.parse(List.of("max-age=\"60\", private=\"a, b\"", "MAX-AGE=5, x"));

        assertThat(directives.seconds("max-age")).isEqualTo(60);
        assertThat(directives.has("private")).isTrue();
        assertThat(directives.has("x")).isTrue();
        assertThat(directives.seconds("x")).isEqualTo(-1);
        assertThat(CacheControl.parse(List.of("max-age=-1")).seconds("max-age")).isEqualTo(-1);
        assertThat(CacheControl.parse(List.of("max-age=99999999999999999999")).seconds("max-age"))
                .isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void sharedMaxAgeWinsOverMaxAge() {
        Freshness.Verdict verdict = judge(200, "cache-control", "max-age=10, s-maxage=30");

        assertThat(verdict.storable()).isTrue();
        assertThat(verdict.lifetimeMillis()).isEqualTo(30_000);
    }

    @Test
    void expiresCountsFromDate() {
        Freshness.Verdict verdict = judge(200, "date", Freshness.format(NOW - 5_000),
                "expires", Freshness.format(NOW + 55_000));

        assertThat(verdict.lifetimeMillis()).isEqualTo(60_000);
        assertThat(verdict.initialAgeSeconds()).isEqualTo(5);
        assertThat(verdict.remainingMillis()).isEqualTo(55_000);
    }

    @Test
    void invalidFreshnessDirectiveIsStale() {
        CacheSettings withDefault = CacheSettings.of(JsonNodeFactory.instance.objectNode().put("defaultTtl", "1m"));
        for (String value : new String[] {"max-age=abc", "max-age=-5", "max-age", "max-age=1.5",
                "s-maxage=soon, max-age=60", "s-maxage=-1, public"}) {
            MultiMap headers = MultiMap.caseInsensitiveMultiMap().add("cache-control", value);

            Freshness.Verdict verdict = Freshness.judge(withDefault, CacheControl.NONE, false, 200, headers, NOW);

            assertThat(verdict.reason()).as(value).isEqualTo("stale");
        }
    }

    @Test
    void invalidExpiresIsStale() {
        assertThat(judge(200, "expires", "0").reason()).isEqualTo("stale");
    }

    @Test
    void ageHeaderShortensFreshness() {
        Freshness.Verdict verdict = judge(200, "cache-control", "max-age=60", "age", "50");

        assertThat(verdict.remainingMillis()).isEqualTo(10_000);
        assertThat(judge(200, "cache-control", "max-age=60", "age", "60").reason()).isEqualTo("stale");
    }

    @Test
    void lastModifiedGivesHeuristicLifetime() {
        Freshness.Verdict verdict = judge(200, "date", Freshness.format(NOW),
                "last-modified", Freshness.format(NOW - 100_000));

        assertThat(verdict.lifetimeMillis()).isEqualTo(10_000);
    }

    @Test
    void rejectsWithReason() {
        assertThat(judge(200).reason()).isEqualTo("no-lifetime");
        assertThat(judge(302).reason()).isEqualTo("status");
        assertThat(judge(206, "cache-control", "max-age=60").reason()).isEqualTo("status");
        assertThat(judge(200, "cache-control", "max-age=60, private").reason()).isEqualTo("private");
        assertThat(judge(200, "cache-control", "no-store").reason()).isEqualTo("no-store");
        assertThat(judge(200, "cache-control", "max-age=60, no-cache").reason()).isEqualTo("no-cache");
        assertThat(judge(200, "cache-control", "max-age=60", "vary", "*").reason()).isEqualTo("vary");
        assertThat(judge(200, "cache-control", "max-age=60", "set-cookie", "a=b").reason()).isEqualTo("set-cookie");
        assertThat(judge(CacheControl.parse(List.of("no-store")), false, 200, "cache-control", "max-age=60")
                .reason()).isEqualTo("request-no-store");
    }

    @Test
    void explicitLifetimeMakesOtherStatusesStorable() {
        assertThat(judge(302, "cache-control", "max-age=60").storable()).isTrue();
        assertThat(judge(404, "cache-control", "max-age=60").storable()).isTrue();
    }

    @Test
    void authorizationNeedsExplicitPermission() {
        assertThat(judge(CacheControl.NONE, true, 200, "cache-control", "max-age=60").reason())
                .isEqualTo("authorization");
        assertThat(judge(CacheControl.NONE, true, 200, "cache-control", "public, max-age=60").storable()).isTrue();
        assertThat(judge(CacheControl.NONE, true, 200, "cache-control", "s-maxage=60").storable()).isTrue();
        assertThat(judge(CacheControl.NONE, true, 200, "cache-control", "max-age=60, must-revalidate").storable())
                .isTrue();
    }

    @Test
    void maxTtlCapsLifetime() {
        Freshness.Verdict verdict = judge(200, "cache-control", "max-age=999999999");

        assertThat(verdict.lifetimeMillis()).isEqualTo(24 * 3_600_000L);
    }

    @Test
    void storedResponseRoundTrips() {
        StoredResponse stored = StoredResponse.response(NOW, NOW + 60_000, 3, 200,
                List.of(java.util.Map.entry("Content-Type", "text/plain"), java.util.Map.entry("ETag", "\"é\"")),
                io.vertx.core.buffer.Buffer.buffer("body"));

        StoredResponse decoded = StoredResponse.decode(stored.encode());

        assertThat(decoded.status()).isEqualTo(200);
        assertThat(decoded.header("etag")).isEqualTo("\"é\"");
        assertThat(decoded.body().toString()).isEqualTo("body");
        assertThat(decoded.ageSeconds(NOW + 10_000)).isEqualTo(13);
        List<StoredResponse.Variant> variants = List.of(new StoredResponse.Variant(" accept=text%2Fhtml", NOW),
                new StoredResponse.Variant(" accept=", NOW + 5_000));
        StoredResponse marker = StoredResponse.decode(StoredResponse.marker(List.of("accept"), -7, variants).encode());
        assertThat(marker.varyNames()).containsExactly("accept");
        assertThat(marker.generation()).isEqualTo(-7);
        assertThat(marker.freshUntilMillis()).isEqualTo(NOW + 5_000);
        assertThat(marker.variants()).isEqualTo(variants);
        // A marker of the format before variants were listed decodes with none.
        StoredResponse unlisted = StoredResponse.decode(io.vertx.core.buffer.Buffer.buffer().appendByte((byte) 'G')
                .appendLong(9).appendLong(NOW).appendInt(1).appendInt(6).appendString("accept"));
        assertThat(unlisted.varyNames()).containsExactly("accept");
        assertThat(unlisted.generation()).isEqualTo(9);
        assertThat(unlisted.variants()).isEmpty();
        // A marker of the format without a generation decodes as absent.
        assertThat(StoredResponse.decode(io.vertx.core.buffer.Buffer.buffer().appendByte((byte) 'V').appendInt(1)
                .appendInt(6).appendString("accept"))).isNull();
        assertThat(StoredResponse.decode(io.vertx.core.buffer.Buffer.buffer("R\0\0"))).isNull();
    }
}
