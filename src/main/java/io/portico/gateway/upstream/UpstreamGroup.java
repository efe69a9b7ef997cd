package io.portico.gateway.upstream;

import static java.util.Objects.requireNonNull;

import io.portico.circuitbreaker.CircuitBreaker;
import io.portico.config.ServiceSpec;
import io.portico.net.client.Http1Client;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.RequestOptions;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The upstream side of one service: its targets with their live state, the load balancer, the pooled HTTP client
 * and the retry budget. A group never changes. A configuration change makes {@link Upstreams} build a new group,
 * which reuses the {@link TargetState} of every target whose address stays.
 *
 * <h2>Driving one proxied request</h2>
 * <pre>{@code
 * UpstreamGroup group = upstreams.group(serviceName);        // null: unknown service, look up again to retry
 * group.retryBudget().onRequest();                            // once per client request
 * List<TargetState> tried = new ArrayList<>();
 * TargetState target = group.select(ctx, tried);              // null: no healthy target, respond with 503
 * target.onRequestStart();
 * long start = System.nanoTime();
 * group.client().request(group.requestOptions(target).setMethod(method).setURI(uri))
 *     ...                                                     // send, relay the response
 * target.onRequestEnd(latency, Outcome.response(status));    // or Outcome.of(cause), Outcome.CANCELLED
 * // On a retryable failure: tried.add(target), and if attempts remain (spec().retries().attempts()) and
 * // group.retryBudget().tryAcquireRetry(), select again and repeat.
 * }</pre>
 * Call {@link TargetState#onRequestEnd} exactly once per {@link TargetState#onRequestStart()}, when the exchange
 * is over: the response body fully relayed, or the exchange failed or was abandoned. Pass the time from sending
 * the request to receiving the response headers as the latency, so body size and streaming do not skew
 * {@code least-latency}. A connection that breaks while the body is relayed is {@link Outcome#CONNECTION_ERROR}.
 *
 * <p>Look the group up again before each retry. A configuration change may retire this group's client: its
 * in-flight requests still complete, but {@code client().request(...)} then throws
 * {@link IllegalStateException}. A target whose address stays keeps its {@link TargetState} in the new group, so
 * the list of tried targets stays valid across the change.
 */
public final class UpstreamGroup {

    private final String name;
    private final ServiceSpec spec;
    private final HttpClient client;
    private final Http1Client http1Client;
    private final List<TargetState> targets;
    private final LoadBalancer balancer;
    private final RetryBudget retryBudget;
    private final boolean ssl;
    private final String serverName;
    private final long connectionWaitMillis;
    private final long readTimeoutMillis;

    /** Creates the group, where {@code weights[i]} is the configured weight of {@code targets.get(i)}. */
    UpstreamGroup(String name, ServiceSpec spec, HttpClient client, Http1Client http1Client, List<TargetState> targets,
                  int[] weights, RetryBudget retryBudget) {
        this.name = requireNonNull(name, "name");
        this.spec = requireNonNull(spec, "spec");
        this.client = requireNonNull(client, "client");
        this.http1Client = http1Client;
        this.targets = List.copyOf(targets);
        this.retryBudget = requireNonNull(retryBudget, "retryBudget");
        this.balancer = LoadBalancer.create(spec.loadBalancing(), this.targets, weights);
        this.ssl = spec.protocol().equals("https");
        this.serverName = spec.tls() == null ? null : spec.tls().serverName();
        // A new connection spends up to the connect timeout in TCP connect and as much in the TLS handshake.
        this.connectionWaitMillis = 2 * spec.timeouts().connect().toMillis();
        this.readTimeoutMillis = spec.timeouts().read().toMillis();
    }

    /** Returns the service name. */
    public String name() {
        return name;
    }

    /** Returns the service configuration this group was built from. */
    public ServiceSpec spec() {
        return spec;
    }

    /**
     * Returns the pooled client for this service's targets: keep-alive, at most {@code pool.maxConnections}
     * connections per target, HTTP/2 when {@code pool.http2}, no decompression and no redirect following.
     */
    public HttpClient client() {
        return client;
    }

    /**
     * Returns the Netty HTTP/1.1 client for this service's targets, or null when they speak https or HTTP/2. It has
     * the same pool size, keep-alive and address rules as {@link #client()}, but keeps its pools per event loop, so
     * {@code pool.maxConnections} applies per target and event loop. Like {@link #client()}, it throws
     * {@link IllegalStateException} on a send once a configuration change retired it.
     */
    public Http1Client http1Client() {
        return http1Client;
    }

    /** Returns the targets in configuration order, duplicates of an address merged into one. */
    public List<TargetState> targets() {
        return targets;
    }

    /** Returns the retry budget of this service. */
    public RetryBudget retryBudget() {
        return retryBudget;
    }

    /**
     * Chooses the target for one attempt with the configured algorithm.
     *
     * @param ctx request attributes that {@code consistent-hash} keys on
     * @param excluded targets not to choose, typically those already tried for this request; may be null
     * @return a healthy target with a positive weight whose circuit breaker, if any, granted a permit for this
     *     attempt, or null when there is none. Call {@link TargetState#onRequestStart()} and
     *     {@link TargetState#onRequestEnd} for it, or {@link TargetState#release()} when it is not used after all.
     */
    public TargetState select(SelectionContext ctx, Collection<TargetState> excluded) {
        SelectionContext attributes = ctx == null ? SelectionContext.EMPTY : ctx;
        Collection<TargetState> skipped = excluded == null ? List.of() : excluded;
        TargetState target = balancer.select(attributes, skipped);
        while (target != null && !target.admit()) {
            // Another request took the target's last half-open probe since the balancer checked it.
            List<TargetState> more = new ArrayList<>(skipped);
            more.add(target);
            skipped = more;
            target = balancer.select(attributes, skipped);
        }
        return target;
    }

    /** Returns whether at least one target is out of rotation because its circuit breaker is open. */
    public boolean anyCircuitOpen() {
        for (TargetState target : targets) {
            if (target.circuitOpen()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Returns when the first open circuit breaker of this group lets probes through, in milliseconds since the
     * epoch, or 0 when no breaker is open.
     */
    public long circuitRetryAtMillis() {
        List<CircuitBreaker> breakers = new ArrayList<>(targets.size());
        targets.forEach(target -> breakers.add(target.circuitBreaker()));
        return CircuitBreaker.firstRetryAtMillis(breakers);
    }

    /**
     * Returns how long, in ms, a request waits for a pooled connection to a target: twice {@code timeouts.connect},
     * long enough for a new connection's TCP connect and TLS handshake.
     */
    public long connectionWaitMillis() {
        return connectionWaitMillis;
    }

    /**
     * Returns new request options aimed at {@code target}: connect to its address, over TLS for {@code https},
     * wait at most twice the connect timeout for a connection, use the read timeout as idle timeout, and do not
     * follow redirects. Set method, URI and headers on the result.
     *
     * <p>The TCP connect and the TLS handshake of a new connection are each bounded by the connect timeout, so a
     * connect failure surfaces as {@link Outcome#CONNECT_FAILURE}. The longer wait ends only when every pooled
     * connection stays busy, and surfaces as {@link Outcome#NO_CONNECTION}.
     *
     * <p>The options' host is {@code tls.serverName} when set and the target host otherwise, in brackets for an IPv6
     * address. It is the TLS SNI
     * and verification name, part of the connection pool key, and the default {@code Host} header. To send another
     * {@code Host}, call {@code HttpClientRequest.authority(...)} rather than changing the host here, which would
     * open a separate pool per value.
     */
    public RequestOptions requestOptions(TargetState target) {
        return new RequestOptions()
                .setServer(target.socketAddress())
                .setHost(serverName != null ? serverName : target.uriHost())
                .setPort(target.port())
                .setSsl(ssl)
                .setConnectTimeout(connectionWaitMillis)
                .setIdleTimeout(readTimeoutMillis)
                .setFollowRedirects(false);
    }

    @Override
    public String toString() {
        return "UpstreamGroup[" + name + ", " + targets.size() + " targets, "
                + spec.loadBalancing().algorithm() + "]";
    }
}
