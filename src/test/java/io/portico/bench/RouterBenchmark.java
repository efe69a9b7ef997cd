package io.portico.bench;

import io.portico.config.RouteSpec;
import io.portico.gateway.routing.RequestView;
import io.portico.gateway.routing.RouteMatch;
import io.portico.gateway.routing.Router;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
 * Measures {@link Router#match} among 10 and among 10,000 routes, for each kind of path and host. The two
 * route counts should give close numbers.
 *
 * <p>Surefire does not run benchmarks. To run this one after {@code mvn -q -B -o test-compile}:
 * <pre>
 * mvn -q -B -o dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test.classpath
 * java -cp target/test-classes:target/classes:$(cat target/test.classpath) org.openjdk.jmh.Main RouterBenchmark
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RouterBenchmark {

    @Param({"10", "10000"})
    private int routeCount;

    private Router router;
    private final Request exact = new Request(null, "/exact/3");
    private final Request prefix = new Request(null, "/prefix/7/items/12");
    private final Request template = new Request(null, "/tpl/4/pets/42");
    private final Request host = new Request("h5.example.com", "/common/x");
    private final Request wildcard = new Request("a.t6.example.net", "/x");
    private final Request miss = new Request("nowhere.example.org", "/nothing/here");

    /** Compiles {@code routeCount} routes, split evenly between exact, prefix, template, host and wildcard. */
    @Setup
    public void compileRoutes() {
        List<RouteSpec> routes = new ArrayList<>();
        for (int i = 0; i < routeCount / 5; i++) {
            routes.add(route("exact-" + i, List.of(), "=/exact/" + i));
            routes.add(route("prefix-" + i, List.of(), "/prefix/" + i));
            routes.add(route("template-" + i, List.of(), "/tpl/" + i + "/pets/{id}"));
            routes.add(route("host-" + i, List.of("h" + i + ".example.com"), "/common"));
            routes.add(route("wildcard-" + i, List.of("*.t" + i + ".example.net"), "/"));
        }
        router = Router.compile(routes);
    }

    private static RouteSpec route(String name, List<String> hosts, String path) {
        return new RouteSpec(name, hosts, List.of(path), List.of(), Map.of(), Map.of(), null, "backend", null,
                null, null, null, null, null, null, null, null, null);
    }

    @Benchmark
    public RouteMatch exactPath() {
        return router.match(exact);
    }

    @Benchmark
    public RouteMatch prefixPath() {
        return router.match(prefix);
    }

    @Benchmark
    public RouteMatch templatePath() {
        return router.match(template);
    }

    @Benchmark
    public RouteMatch exactHost() {
        return router.match(host);
    }

    @Benchmark
    public RouteMatch wildcardHost() {
        return router.match(wildcard);
    }

    @Benchmark
    public RouteMatch noMatch() {
        return router.match(miss);
    }

    /** A GET request without headers or query parameters. */
    private record Request(String host, String path) implements RequestView {

        @Override
        public String method() {
            return "GET";
        }

        @Override
        public String header(String name) {
            return null;
        }

        @Override
        public String queryParameter(String name) {
            return null;
        }
    }
}
