package io.portico.gateway.upstream;

import io.portico.config.ServiceSpec;
import io.portico.testing.Conditions;
import io.portico.testing.ContextRequests;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/** Real servers, service specs and proxy-like exchanges for the upstream tests. */
final class UpstreamTestSupport {

    static final Duration WAIT = Duration.ofSeconds(10);

    private UpstreamTestSupport() {
    }

    /** Blocks the test thread until {@code future} completes and returns its result or throws its failure. */
    static <T> T await(Future<T> future) throws ExecutionException {
        try {
            return future.toCompletionStage().toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("future not completed within " + WAIT, e);
        }
    }

    /** Blocks until {@code future} succeeds, failing the test when it fails. */
    static <T> T succeeded(Future<T> future) {
        try {
            return await(future);
        } catch (ExecutionException e) {
            throw new AssertionError("future failed: " + e.getCause(), e.getCause());
        }
    }

    /** Starts a plain HTTP server on 127.0.0.1 and an ephemeral port. */
    static HttpServer startServer(Vertx vertx, Handler<HttpServerRequest> handler) {
        return startServer(vertx, new HttpServerOptions(), handler);
    }

    /** Starts a server with {@code options} on 127.0.0.1 and an ephemeral port. */
    static HttpServer startServer(Vertx vertx, HttpServerOptions options, Handler<HttpServerRequest> handler) {
        return succeeded(vertx.createHttpServer(options).requestHandler(handler).listen(0, "127.0.0.1"));
    }

    /** Returns a handler that responds to every request with {@code status} and body "ok". */
    static Handler<HttpServerRequest> respond(int status) {
        return request -> request.response().setStatusCode(status).end("ok");
    }

    /** Returns the target for {@code server} with {@code weight}. */
    static ServiceSpec.Target target(HttpServer server, int weight) {
        return new ServiceSpec.Target("127.0.0.1", server.actualPort(), weight);
    }

    /** Polls {@code condition} until it holds; see {@link Conditions#eventually}. */
    static void eventually(String description, BooleanSupplier condition) {
        Conditions.eventually(description, condition);
    }

    /**
     * Runs one exchange with {@code target} the way the proxy does: start, GET {@code uri} through the group's
     * client on a context of {@code vertx}, read the body, end with the outcome. Returns the outcome.
     */
    static Outcome exchange(Vertx vertx, UpstreamGroup group, TargetState target, String uri) {
        target.onRequestStart();
        long start = System.nanoTime();
        Outcome outcome;
        try {
            HttpClientResponse response = await(send(vertx, group, target, uri));
            outcome = Outcome.response(response.statusCode());
        } catch (ExecutionException e) {
            outcome = Outcome.of(e.getCause());
        }
        target.onRequestEnd(System.nanoTime() - start, outcome);
        return outcome;
    }

    /**
     * Sends GET {@code uri} to {@code target} through the group's client on a context of {@code vertx}, as the proxy
     * does, and reads the whole body. The callbacks are nested because a chained
     * {@code compose(send).compose(body)} can attach the body handler after the response ended and then never
     * complete. A client that takes no new requests fails the returned future with an
     * {@link IllegalStateException}.
     */
    static Future<HttpClientResponse> send(Vertx vertx, UpstreamGroup group, TargetState target, String uri) {
        return ContextRequests.start(vertx, () -> group.client()
                .request(group.requestOptions(target).setMethod(HttpMethod.GET).setURI(uri))
                .compose(request -> request.send()
                        .compose(response -> response.body().map(body -> response))));
    }

    /** Returns a builder for a service named {@code name}. */
    static SpecBuilder service(String name) {
        return new SpecBuilder(name);
    }

    /** Builds {@link ServiceSpec}s for tests; unset parts take the configuration defaults. */
    static final class SpecBuilder {
        private final String name;
        private String protocol;
        private final List<ServiceSpec.Target> targets = new ArrayList<>();
        private String algorithm;
        private String hashOn;
        private ServiceSpec.Active active;
        private ServiceSpec.Passive passive;
        private ServiceSpec.Timeouts timeouts;
        private ServiceSpec.Retries retries;
        private ServiceSpec.UpstreamTls tls;
        private ServiceSpec.Pool pool;

        private SpecBuilder(String name) {
            this.name = name;
        }

        SpecBuilder target(String host, int port, int weight) {
            targets.add(new ServiceSpec.Target(host, port, weight));
            return this;
        }

        SpecBuilder target(HttpServer server) {
            return target(server, 100);
        }

        SpecBuilder target(HttpServer server, int weight) {
            targets.add(UpstreamTestSupport.target(server, weight));
            return this;
        }

        SpecBuilder algorithm(String value) {
            this.algorithm = value;
            return this;
        }

        SpecBuilder hashOn(String value) {
            this.hashOn = value;
            return this;
        }

        SpecBuilder active(ServiceSpec.Active value) {
            this.active = value;
            return this;
        }

        SpecBuilder passive(ServiceSpec.Passive value) {
            this.passive = value;
            return this;
        }

        SpecBuilder timeouts(ServiceSpec.Timeouts value) {
            this.timeouts = value;
            return this;
        }

        SpecBuilder retries(ServiceSpec.Retries value) {
            this.retries = value;
            return this;
        }

        SpecBuilder https(ServiceSpec.UpstreamTls value) {
            this.protocol = "https";
            this.tls = value;
            return this;
        }

        SpecBuilder pool(ServiceSpec.Pool value) {
            this.pool = value;
            return this;
        }

        ServiceSpec build() {
            ServiceSpec.LoadBalancing balancing = new ServiceSpec.LoadBalancing(algorithm, hashOn);
            ServiceSpec.HealthCheck health = new ServiceSpec.HealthCheck(active, passive);
            return new ServiceSpec(name, protocol, targets, balancing, health, timeouts, retries, tls, pool, null);
        }
    }
}
