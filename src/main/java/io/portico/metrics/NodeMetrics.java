package io.portico.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The metrics of one node: a Prometheus registry with the JVM, process and Netty allocator meters, and the
 * gateway's own meter groups. Meters that report live state, such as circuit breakers, are read from their sources
 * by the {@link #onScrape} callbacks at each scrape rather than kept up to date on the request path.
 */
public final class NodeMetrics implements AutoCloseable {

    /** The Prometheus text format, version 0.0.4, which every scraper reads. */
    public static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    /** The OpenMetrics text format, version 1.0.0, sent when the {@code Accept} header requests it. */
    public static final String OPENMETRICS_TEXT = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    private static final Logger LOG = LoggerFactory.getLogger(NodeMetrics.class);

    private final PrometheusMeterRegistry registry;
    private final JvmGcMetrics gc;
    private final RequestMetrics requests;
    private final UpstreamMetrics upstreams;
    private final AiMetrics ai;
    private final SnapshotMeters snapshots;
    private final List<Consumer<SnapshotMeters>> scrapeSources = new CopyOnWriteArrayList<>();

    /**
     * Creates the registry and binds the JVM and process meters.
     *
     * @param consumerLabels whether {@code portico_requests_total} carries a {@code consumer} tag
     */
    public NodeMetrics(boolean consumerLabels) {
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        this.gc = new JvmGcMetrics();
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        new NettyAllocatorMetrics(PooledByteBufAllocator.DEFAULT).bindTo(registry);
        this.requests = new RequestMetrics(registry, consumerLabels);
        this.upstreams = new UpstreamMetrics(registry);
        this.ai = new AiMetrics(registry);
        this.snapshots = new SnapshotMeters(registry);
    }

    /** Returns the registry every meter of the node is registered in. */
    public MeterRegistry registry() {
        return registry;
    }

    /** Returns the meters of client requests, by route. */
    public RequestMetrics requests() {
        return requests;
    }

    /** Returns the meters of requests to upstream targets. */
    public UpstreamMetrics upstreams() {
        return upstreams;
    }

    /** Returns the meters of AI provider calls: tokens, cost, outcomes and latency. */
    public AiMetrics ai() {
        return ai;
    }

    /**
     * Registers {@code source}, which writes the meters of some live state into the given {@link SnapshotMeters}
     * at each scrape. A meter that no source writes any more is removed.
     */
    public void onScrape(Consumer<SnapshotMeters> source) {
        scrapeSources.add(source);
    }

    /** Returns the content type of the response to a scrape whose {@code Accept} header is {@code accept}. */
    public static String contentType(String accept) {
        boolean openMetrics = accept != null
                && accept.toLowerCase(Locale.ROOT).contains("application/openmetrics-text");
        return openMetrics ? OPENMETRICS_TEXT : PROMETHEUS_TEXT;
    }

    /**
     * Reads the live state from every scrape source, then writes every meter in {@code contentType}, one of
     * {@link #PROMETHEUS_TEXT} and {@link #OPENMETRICS_TEXT}. Reads memory only, so it may run on an event loop.
     */
    public String scrape(String contentType) {
        synchronized (snapshots) {
            snapshots.begin();
            boolean complete = true;
            for (Consumer<SnapshotMeters> source : scrapeSources) {
                try {
                    source.accept(snapshots);
                } catch (RuntimeException e) {
                    complete = false;
                    LOG.warn("Reading live state for the metrics failed; meters of that state keep their last values",
                            e);
                }
            }
            snapshots.end(complete);
        }
        return registry.scrape(contentType);
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}
