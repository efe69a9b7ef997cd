package io.portico.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.portico.config.ValidationException;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The identityHeaders and requestIdHeader node settings: every header that carries the identity or the request id
 * has its own name, and none is a header that Portico sets or removes for another reason.
 */
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
    void labelOnUnderscoreSpellingIsRejected() {
        assertThatThrownBy(() -> new NodeConfig.IdentityHeaders(null, null, null, null,
                Map.of("tier", "X_Consumer_Name")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("labels.tier")
                .hasMessageContaining("X_Consumer_Name");
    }

    @Test
    void twoLabelsOnOneHeaderAreRejected() {
        assertThatThrownBy(() -> new NodeConfig.IdentityHeaders(null, null, null, null,
                Map.of("tier", "X-Label", "plan", "x-label")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("labels.plan")
                .hasMessageContaining("labels.tier");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Content-Length", "transfer-encoding", "Connection", "Host", "X-Forwarded-For",
        "forwarded", "Upgrade", "X_Forwarded_For", "Content_Length", "Expect"})
    void identityHeaderThatPorticoSetsIsRejected(String name) {
        assertThatThrownBy(() -> new NodeConfig.IdentityHeaders(name, null, null, null, Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("consumer")
                .hasMessageContaining(name);
        assertThatThrownBy(() -> new NodeConfig.IdentityHeaders(null, null, null, null, Map.of("tier", name)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("labels.tier")
                .hasMessageContaining(name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"Content-Length", "Host", "X-Forwarded-Host", "x-consumer-name", "X-Bad Name"})
    void invalidRequestIdHeaderIsRejected(String name) {
        assertThatThrownBy(() -> NodeConfigLoader.load(null, Map.of(), Map.of("requestIdHeader", name)))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("requestIdHeader")
                .hasMessageContaining(name);
    }

    @Test
    void requestIdOnIdentityHeaderIsRejected() {
        assertThatThrownBy(() -> NodeConfigLoader.load(null, Map.of(), Map.of("requestIdHeader", "X-Trace",
                "identityHeaders.team", "x-trace")))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("identityHeaders.team");
    }

    @Test
    void requestIdOnUnderscoreSpellingIsRejected() {
        assertThatThrownBy(() -> NodeConfigLoader.load(null, Map.of(), Map.of("requestIdHeader", "X_Trace",
                "identityHeaders.team", "x-trace")))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("identityHeaders.team");
    }

    @Test
    void distinctHeadersAreAccepted() {
        NodeConfig.IdentityHeaders headers = new NodeConfig.IdentityHeaders(null, null, null, null,
                Map.of("tier", "X-Consumer-Tier"));

        assertThat(headers.labels()).containsEntry("tier", "X-Consumer-Tier");
    }
}
