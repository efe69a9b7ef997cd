package io.portico.metrics;

import static java.util.Objects.requireNonNull;

import io.portico.node.NodeConfig;
import io.portico.problem.Problem;
import io.portico.problem.ProblemType;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The optional metrics listener ({@code metrics.port}): serves {@code GET /metrics} without authentication, for
 * Prometheus servers that cannot send the admin token. Anyone who reaches the port reads route, service, provider
 * and model names, so it belongs on a loopback or internal address. Every other path gets 404.
 */
public final class MetricsServer {

    /** The path of the scrape endpoint, on this listener and on the admin listener. */
    public static final String PATH = "/metrics";

    private static final Logger LOG = LoggerFactory.getLogger(MetricsServer.class);

    private final Vertx vertx;
    private final NodeConfig.Metrics settings;
    private final NodeMetrics metrics;
    private HttpServer server;

    public MetricsServer(Vertx vertx, NodeConfig.Metrics settings, NodeMetrics metrics) {
        this.vertx = requireNonNull(vertx, "vertx");
        this.settings = requireNonNull(settings, "settings");
        this.metrics = requireNonNull(metrics, "metrics");
    }

    /**
     * Responds to {@code request} with the scrape of {@code metrics}: OpenMetrics when its {@code Accept} header
     * requests it, the Prometheus text format otherwise. A {@code HEAD} request gets the headers only.
     */
    public static void respond(NodeMetrics metrics, HttpServerRequest request) {
        String contentType = NodeMetrics.contentType(request.getHeader(HttpHeaders.ACCEPT));
        String body = metrics.scrape(contentType);
        HttpServerResponse response = request.response()
                .putHeader(HttpHeaders.CONTENT_TYPE, contentType)
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-store");
        if (request.method() == HttpMethod.HEAD) {
            int length = body.getBytes(StandardCharsets.UTF_8).length;
            response.putHeader(HttpHeaders.CONTENT_LENGTH, Integer.toString(length)).end();
        } else {
            response.end(body);
        }
    }

    /**
     * Starts listening on {@code metrics.host} and {@code metrics.port}.
     *
     * @return a future completed with the bound port
     */
    public Future<Integer> start() {
        // HTTP/1.1 only, as on the admin listener: scrapers need nothing more, and a JDK 17 HttpClient request that
        // offered the h2c upgrade sometimes never completed against Vert.x 5.0.7 in this project's tests.
        HttpServerOptions options = new HttpServerOptions().setHost(settings.host()).setPort(settings.port())
                .setHttp2ClearTextEnabled(false);
        HttpServer created = vertx.createHttpServer(options).requestHandler(this::handle);
        return created.listen().map(bound -> {
            server = created;
            LOG.info("Metrics listening on http://{}:{}{} without authentication", settings.host(),
                    bound.actualPort(), PATH);
            return bound.actualPort();
        }).recover(cause -> Future.failedFuture(new IllegalStateException("the metrics listener cannot bind "
                + settings.host() + ":" + settings.port() + " (" + cause.getMessage()
                + "); free the port or choose another metrics.port", cause)));
    }

    private void handle(HttpServerRequest request) {
        if (!request.path().equals(PATH)) {
            new Problem(ProblemType.NOT_FOUND, "this listener serves only GET " + PATH).send(request.response(), null);
        } else if (request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD) {
            request.response().putHeader(HttpHeaders.ALLOW, "GET, HEAD");
            new Problem(ProblemType.METHOD_NOT_ALLOWED, PATH + " accepts GET and HEAD").send(request.response(), null);
        } else {
            respond(metrics, request);
        }
    }

    /** Stops listening. */
    public Future<Void> stop() {
        HttpServer stopping = server;
        server = null;
        return stopping == null ? Future.succeededFuture() : stopping.close();
    }
}
