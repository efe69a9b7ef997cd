package io.portico.policy.ratelimit;

import io.vertx.core.MultiMap;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Measures what the {@code rate-limit} policy does per request in local mode once the key is known: the counter
 * check of one sliding-window limit that is never reached, and the {@code RateLimit-Policy} and {@code RateLimit}
 * response fields. {@code keys} is the number of distinct keys the checks cycle through.
 *
 * <p>Surefire does not run benchmarks. With {@code -prof gc}, JMH also reports the bytes allocated per check,
 * which do not depend on the machine's load. To run it after {@code mvn -q -B -o test-compile}:
 * <pre>
 * mvn -q -B -o dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test.classpath
 * java -cp target/test-classes:target/classes:$(cat target/test.classpath) org.openjdk.jmh.Main \
 *     LocalRateLimitBenchmark -prof gc
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class LocalRateLimitBenchmark {

    @Param({"1", "10000"})
    public int keys;

    private final List<Limit> limits = List.of(new Limit("per-second", Algorithm.SLIDING_WINDOW, 1_000_000_000L,
            1, 1_000_000_000L));
    private final String namespace = "route:bench/policies/0|per-second:s1;";
    private LocalCounters counters;
    private RateLimitHeaders headers;
    private MultiMap fields;
    private String[] requestKeys;
    private int next;

    @Setup
    public void setUp() {
        counters = LocalCounters.system();
        headers = new RateLimitHeaders(limits, true, false, false);
        fields = MultiMap.caseInsensitiveMultiMap();
        requestKeys = new String[keys];
        for (int i = 0; i < keys; i++) {
            requestKeys[i] = "client-address=10.0." + (i / 256) + "." + (i % 256);
        }
    }

    /** Checks the next key and writes the response fields, as one admitted request does. */
    @Benchmark
    public MultiMap checkAndWriteFields() {
        String key = requestKeys[next];
        next = next + 1 == keys ? 0 : next + 1;
        Verdict verdict = counters.check(namespace, key, limits, 1);
        headers.setDraftFields(fields, verdict, headers.partitionKey(key));
        return fields;
    }
}
