package io.portico.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

/** The meters of upstream targets stay registered while any target state of the same target uses them. */
class UpstreamMetricsTest {

    private final MeterRegistry registry = new SimpleMeterRegistry();
    private final UpstreamMetrics metrics = new UpstreamMetrics(registry);

    @Test
    void sharedMetersRemovedWithLastUser() {
        UpstreamMetrics.TargetMeters serving = metrics.target("orders", "10.0.0.1:80");
        UpstreamMetrics.TargetMeters dropped = metrics.target("orders", "10.0.0.1:80");
        serving.record(UpstreamMetrics.response(200), 1_000_000);

        dropped.remove();
        dropped.remove();
        serving.record(UpstreamMetrics.response(200), 1_000_000);

        assertThat(registry.get(UpstreamMetrics.DURATION).timer().count())
                .as("exchanges recorded through the meters that stay registered").isEqualTo(2);
        assertThat(registry.get(UpstreamMetrics.REQUESTS).tag("outcome", "2xx").counter().count()).isEqualTo(2);

        serving.remove();

        assertThat(registry.find(UpstreamMetrics.DURATION).meters()).as("duration meters after the last removal")
                .isEmpty();
        assertThat(registry.find(UpstreamMetrics.REQUESTS).meters()).as("request counters after the last removal")
                .isEmpty();
    }

    @Test
    void targetAddedAgainGetsNewMeters() {
        metrics.target("orders", "10.0.0.1:80").remove();

        UpstreamMetrics.TargetMeters again = metrics.target("orders", "10.0.0.1:80");
        again.record(UpstreamMetrics.response(503), 1_000_000);

        assertThat(registry.get(UpstreamMetrics.DURATION).timer().count()).isEqualTo(1);
        assertThat(registry.get(UpstreamMetrics.REQUESTS).tag("outcome", "5xx").counter().count()).isEqualTo(1);
    }
}
