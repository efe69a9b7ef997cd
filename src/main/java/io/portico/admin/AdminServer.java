package io.portico.admin;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.metrics.MetricsServer;
import io.portico.metrics.NodeMetrics;
import io.portico.net.Authority;
import io.portico.node.NodeConfig;
import io.portico.problem.Problem;
import io.portico.problem.ProblemType;
import io.portico.store.AccountStore;
import io.portico.store.ConfigStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API: configuration CRUD, declarative export, diff and apply, the audit log, admin users and tokens,
 * status and the OpenAPI document under {@value #BASE_PATH}, and the metrics at {@code /metrics}, which all
 * require authentication and deny what the caller's role does not allow, and the health probes
 * {@code /health/live} and {@code /health/ready}, which need no credentials and tell only the status and, for
 * readiness, the configuration versions and why the node is not ready.
 *
 * <p>Store calls run on worker threads. A write returns only after this node reloaded its configuration
 * snapshot, so a client that gets the response can rely on the change being live on this node.
 */
public final class AdminServer {

    /** Path prefix of every authenticated admin route. */
    public static final String BASE_PATH = "/admin/v1";
    /** Largest accepted request body. */
    public static final long MAX_BODY_BYTES = 10L * 1024 * 1024;

    private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);

    private final Vertx vertx;
    private final NodeConfig.AdminListener listener;
    private final Readiness ready;
    private final Router router;
    private final String openApi;
    private HttpServer server;

    /**
     * Creates the server; nothing listens until {@link #start()}.
     *
     * @param token the admin token, a platform admin's credential, resolved by {@link AdminToken}
     * @param accounts the admin users and their personal tokens
     * @param ready whether this node is ready to serve traffic, for {@code /health/ready}
     */
    public AdminServer(Vertx vertx, NodeConfig.AdminListener listener, String token, ConfigStore store,
                       AccountStore accounts, SnapshotSource snapshots, Readiness ready) {
        this(vertx, listener, token, store, accounts, snapshots, ready, DataPlane.NONE);
    }

    /**
     * Creates the server with the live state of this node's data plane, for the traffic routes: service health,
     * circuit breakers and the response cache.
     */
    public AdminServer(Vertx vertx, NodeConfig.AdminListener listener, String token, ConfigStore store,
                       AccountStore accounts, SnapshotSource snapshots, Readiness ready, DataPlane dataPlane) {
        this(vertx, listener, token, store, accounts, snapshots, ready, dataPlane, null);
    }

    /**
     * Creates the server with the data plane's live state and the node's metrics, which it serves at
     * {@code GET /metrics} to platform admins and viewers of no team; no {@code /metrics} route when
     * {@code metrics} is null.
     */
    public AdminServer(Vertx vertx, NodeConfig.AdminListener listener, String token, ConfigStore store,
                       AccountStore accounts, SnapshotSource snapshots, Readiness ready, DataPlane dataPlane,
                       NodeMetrics metrics) {
        this.vertx = requireNonNull(vertx, "vertx");
        this.listener = requireNonNull(listener, "listener");
        this.ready = requireNonNull(ready, "ready");
        requireNonNull(store, "store");
        requireNonNull(accounts, "accounts");
        requireNonNull(snapshots, "snapshots");
        this.router = Router.router(vertx);
        UsersApi users = new UsersApi(vertx, accounts, snapshots);
        ResourceApi resources = new ResourceApi(vertx, store, snapshots);
        AuthenticationHandler auth = new AuthenticationHandler(vertx, requireNonNull(token, "token"), accounts);
        if (metrics != null) {
            mountMetrics(auth, metrics);
        }
        buildRouter(auth, resources, new CredentialApi(vertx, store, resources), new SubscriptionApi(resources, store),
                new ConfigApi(vertx, store, snapshots),
                new TrafficApi(requireNonNull(dataPlane, "dataPlane"), snapshots), new AuditApi(vertx, store), users,
                new MeApi(vertx, accounts, users));
        this.openApi = OpenApiDocument.withAccess(OpenApiDocument.build(metrics != null), router).toString();
    }

    private void buildRouter(AuthenticationHandler auth, ResourceApi resources, CredentialApi credentials,
                             SubscriptionApi subscriptions, ConfigApi config, TrafficApi traffic, AuditApi audit,
                             UsersApi users, MeApi me) {
        // HEAD gets the status and headers of GET without the body, which Vert.x leaves out for HEAD requests, for
        // load balancers whose health checks send HEAD.
        for (HttpMethod method : List.of(HttpMethod.GET, HttpMethod.HEAD)) {
            router.route(method, "/health/live").handler(ctx -> health(ctx, true, Map.of()));
            router.route(method, "/health/ready").handler(ctx -> health(ctx, ready.ready(), ready.details()));
        }
        router.route(BASE_PATH + "/*").handler(new RequestIds());
        // Before authentication, so that a forged request gets no Basic challenge that could make a browser ask
        // for credentials and send the request again with them.
        router.route(BASE_PATH + "/*").handler(new CrossOriginProtection());
        router.route(BASE_PATH + "/*").handler(auth);
        router.route(BASE_PATH + "/*").handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES));
        AdminRoutes routes = new AdminRoutes(router);
        routes.get(BASE_PATH + "/openapi.json", Access.AUTHENTICATED,
                ctx -> Exchange.send(ctx, 200, "application/json", this.openApi));
        config.mount(routes, BASE_PATH);
        credentials.mount(routes, BASE_PATH);
        traffic.mount(routes, BASE_PATH);
        routes.get(BASE_PATH + "/audit", Access.AUDIT_READERS, ctx -> audit.list(ctx, auditTeam(ctx)));
        routes.get(BASE_PATH + "/audit/export", Access.AUDIT_READERS, ctx -> audit.export(ctx, auditTeam(ctx)));
        users.mount(routes, BASE_PATH);
        me.mount(routes, BASE_PATH);
        subscriptions.mount(routes, BASE_PATH);
        resources.mount(routes, BASE_PATH);
        AdminFailureHandler failures = new AdminFailureHandler();
        router.route().failureHandler(failures);
        router.errorHandler(404, failures);
        router.errorHandler(405, failures);
    }

    /**
     * Serves the metrics at {@code GET /metrics}. They cover every team's routes, services and consumers, so only
     * callers who may read the whole configuration may scrape them.
     */
    private void mountMetrics(AuthenticationHandler auth, NodeMetrics metrics) {
        router.route(MetricsServer.PATH).handler(new RequestIds());
        router.route(MetricsServer.PATH).handler(auth);
        router.route(MetricsServer.PATH).handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES));
        new AdminRoutes(router).get(MetricsServer.PATH, Access.WHOLE_CONFIG_READERS,
                ctx -> MetricsServer.respond(metrics, ctx.request()));
    }

    /** Returns the team whose audit entries alone the caller may read, or null for every entry. */
    private static String auditTeam(RoutingContext ctx) {
        Principal principal = Principal.of(ctx);
        return Tenancy.seesAllTeams(principal) ? null : principal.team();
    }

    private static void health(RoutingContext ctx, boolean up, Map<String, Object> details) {
        ObjectNode body = JsonNodeFactory.instance.objectNode().put("status", up ? "UP" : "DOWN");
        details.forEach((name, value) -> {
            if (value instanceof Number number) {
                body.put(name, number.longValue());
            } else {
                body.put(name, String.valueOf(value));
            }
        });
        Exchange.sendJson(ctx, up ? 200 : 503, body);
    }

    /**
     * Starts listening on the configured host and port; port 0 picks a free port.
     *
     * @return a future completed with the bound port
     */
    public Future<Integer> start() {
        if (server != null) {
            return Future.failedFuture(new IllegalStateException("the admin server is already started"));
        }
        // HTTP/1.1 only: admin clients need nothing more. NOTE: with h2c upgrade on, a JDK 17 HttpClient request
        // sometimes never completed against Vert.x 5.0.7 in this project's tests.
        HttpServerOptions options = new HttpServerOptions().setHost(listener.host()).setPort(listener.port())
                .setHttp2ClearTextEnabled(false);
        server = vertx.createHttpServer(options).requestHandler(this::handle);
        return server.listen().map(bound -> {
            LOG.info("Admin API listening on http://{}:{}", listener.host(), bound.actualPort());
            return bound.actualPort();
        }).onFailure(cause -> server = null).recover(cause -> Future.failedFuture(new IllegalStateException(
                "the admin API listener cannot bind " + listener.host() + ":" + listener.port() + " ("
                + cause.getMessage() + "); free the port or choose another admin.host or admin.port", cause)));
    }

    /**
     * Passes {@code request} to the router unless its Host header is invalid. The router parses Host before any
     * route runs, and Vert.x 5.0.7 throws on some invalid values, such as one with a percent sign, which would leave
     * the request unanswered; see {@link Authority#isValid}.
     */
    private void handle(HttpServerRequest request) {
        for (String host : request.headers().getAll(HttpHeaders.HOST)) {
            if (!Authority.isValid(host)) {
                new Problem(ProblemType.BAD_REQUEST, "the Host header is not a valid host and port")
                        .send(request.response(), null);
                return;
            }
        }
        router.handle(request);
    }

    /** Stops listening; requests in flight are cut. */
    public Future<Void> stop() {
        if (server == null) {
            return Future.succeededFuture();
        }
        HttpServer stopping = server;
        server = null;
        return stopping.close();
    }

    /** Returns the router, for tests that walk the routes it serves. */
    Router router() {
        return router;
    }
}
