package io.portico.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The identityHeaders node setting: every header that carries the identity has its own name. */
class IdentityHeadersSettingsTest {

    @Test
    void labelOnConsumerHeaderIsRejected() {
        assertThatThrownBy(() -> new NodeConfig.IdentityHeaders(null, null, null, null,
                Map.of("tier", "x-consumer-name")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("labels.tier")
                .hasMessageContaining("consumer")
                .hasMessageContaining("x-consumer-name");
    }

    @Test
    void labelOnRenamedHeaderIsRejected() {
        assertThatThrownBy(() -> new NodeConfig.IdentityHeaders(null, "X-Team", null, null,
                Map.of("group", "X-TEAM")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("labels.group");
    }

    @Test
    void twoLabelsOnOneHeaderAreRejected() {
        assertThatThrownBy(() -> new NodeConfig.IdentityHeaders(null, null, null, null,
                Map.of("tier", "X-Label", "plan", "x-label")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("labels.plan")
                .hasMessageContaining("labels.tier");
    }

    @Test
    void distinctHeadersAreAccepted() {
        NodeConfig.IdentityHeaders headers = new NodeConfig.IdentityHeaders(null, null, null, null,
                Map.of("tier", "X-Consumer-Tier"));

        assertThat(headers.labels()).containsEntry("tier", "X-Consumer-Tier");
    }
}
