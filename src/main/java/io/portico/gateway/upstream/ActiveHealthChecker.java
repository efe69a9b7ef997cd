package io.portico.gateway.upstream;

import static java.util.Objects.requireNonNull;

import io.portico.config.ServiceSpec;
import io.vertx.core.AsyncResult;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Probes every target of one group with {@code GET path} each {@code interval} and feeds the results to
 * {@link TargetState#onActiveCheck}.
 *
 * <p>The probes use a client of their own, with one connection per target but the group's protocol, TLS and
 * connect timeout, so they neither queue behind nor take connections from proxied traffic. A probe whose TLS
 * connection fails reports the reason as proxied requests do, through {@link TargetState#onTlsFailure}, and
 * in the detail of its failure. A probe succeeds
 * when a response with a status in {@code healthyStatuses} (200-399 when absent) arrives, body included, within
 * {@code timeout}, which bounds both the wait for a connection and the silence while waiting for the response.
 * A target whose previous probe is still running is skipped for that round.
 *
 * <p>The first round comes at most one {@code interval} after {@link #start}: when the round of the checker it
 * replaces was due, or after a random delay for a new service. The checkers that one configuration version starts
 * thus probe at different times rather than in one burst from the event loop that installs them.
 */
final class ActiveHealthChecker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ActiveHealthChecker.class);

    private final Vertx vertx;
    private final UpstreamGroup group;
    private final ServiceSpec.Active spec;
    private final HttpClientAgent client;
    private final long intervalMillis;
    private final Set<TargetState> running = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;
    private volatile long timerId = -1;
    /** When the next round is due, by {@link System#nanoTime}, once {@link #start} has run. */
    private volatile long nextRoundNanos;

    ActiveHealthChecker(Vertx vertx, UpstreamGroup group, HttpClientAgent client) {
        this.vertx = requireNonNull(vertx, "vertx");
        this.group = requireNonNull(group, "group");
        this.spec = requireNonNull(group.spec().healthCheck().active(), "group.spec().healthCheck().active()");
        this.client = requireNonNull(client, "client");
        this.intervalMillis = Math.max(1, spec.interval().toMillis());
    }

    /**
     * Claims the group's targets and starts probing: a first round within one {@code interval}, then one each
     * {@code interval}.
     *
     * @param replaced the started checker of the service's previous group, or null for a new service. Its schedule is
     *     kept, so a configuration change neither delays nor advances the next round.
     */
    void start(ActiveHealthChecker replaced) {
        group.targets().forEach(target -> target.claimActiveChecks(this));
        long firstDelay = firstRoundDelayMillis(replaced);
        nextRoundNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(firstDelay);
        timerId = vertx.setPeriodic(firstDelay, intervalMillis, id -> probeAll());
        LOG.debug("Active health checks of service '{}' started: GET {} every {} ms, first in {} ms", group.name(),
                spec.path(), intervalMillis, firstDelay);
    }

    /**
     * Returns the delay of the first round, from 1 ms to one interval: the time until the round of {@code replaced}
     * was due, or a uniformly random delay when there is no checker to replace.
     */
    private long firstRoundDelayMillis(ActiveHealthChecker replaced) {
        if (replaced == null) {
            return 1 + ThreadLocalRandom.current().nextLong(intervalMillis);
        }
        long dueMillis = TimeUnit.NANOSECONDS.toMillis(replaced.nextRoundNanos - System.nanoTime());
        return Math.min(intervalMillis, Math.max(1, dueMillis));
    }

    /** Stops probing and closes the probe client; results of running probes are ignored. */
    @Override
    public void close() {
        closed = true;
        vertx.cancelTimer(timerId);
        client.close();
    }

    private void probeAll() {
        if (closed) {
            return;
        }
        nextRoundNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(intervalMillis);
        List<TargetState> targets = group.targets();
        for (TargetState target : targets) {
            if (running.add(target)) {
                probe(target);
            }
        }
    }

    private void probe(TargetState target) {
        RequestOptions options = group.requestOptions(target)
                .setMethod(HttpMethod.GET)
                .setURI(spec.path())
                .setConnectTimeout(spec.timeout().toMillis())
                .setIdleTimeout(spec.timeout().toMillis())
                .putHeader("User-Agent", "portico-health-check");
        client.request(options)
                .compose(request -> request.send()
                        .compose(response -> response.body().map(body -> response)))
                .onComplete(result -> {
                    running.remove(target);
                    if (!closed) {
                        record(target, result);
                    }
                });
    }

    private void record(TargetState target, AsyncResult<HttpClientResponse> result) {
        if (result.failed()) {
            Throwable cause = result.cause();
            TlsFailure tls = tlsFailure(cause);
            if (tls != null) {
                target.onTlsFailure(tls);
                target.onActiveCheck(this, false, "TLS connection failed: " + tls.reason() + " (" + tls.detail() + ")",
                        spec);
                return;
            }
            target.onActiveCheck(this, false, describe(cause), spec);
            return;
        }
        int status = result.result().statusCode();
        target.onActiveCheck(this, isHealthy(status), "status " + status, spec);
    }

    /** Describes a probe's failure in words, followed by the error's message, for the log. */
    private static String describe(Throwable cause) {
        String failure = switch (Outcome.of(cause).kind()) {
            case CONNECT_FAILURE -> "connecting failed";
            case TIMEOUT -> "timed out";
            case NO_CONNECTION -> "no connection became free";
            default -> "the connection failed";
        };
        return failure + ": " + cause.getMessage();
    }

    /** Returns why a probe's TLS connection failed, or null when the service speaks http or the failure is not TLS. */
    private TlsFailure tlsFailure(Throwable cause) {
        ServiceSpec service = group.spec();
        if (!service.protocol().equals("https")) {
            return null;
        }
        return TlsFailure.of(cause, service.tls() != null && service.tls().clientCertificate() != null);
    }

    private boolean isHealthy(int status) {
        List<Integer> healthy = spec.healthyStatuses();
        return healthy == null ? status >= 200 && status <= 399 : healthy.contains(status);
    }
}
