package io.portico.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.portico.config.FieldError;
import io.portico.config.ValidationException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trusted proxy settings of a node, from the settings file and the environment. */
class ClientAddressSettingsTest {

    @Test
    void defaultsTrustNoProxy() {
        NodeConfig.ClientAddress settings = NodeConfig.defaults().clientAddress();

        assertThat(settings.trustedProxies()).isEmpty();
        assertThat(settings.header()).isEqualTo("X-Forwarded-For");
        assertThat(settings.usesForwarded()).isFalse();
    }

    @Test
    void environmentListIsCommaSeparated() {
        NodeConfig node = NodeConfigLoader.load(null, Map.of("PORTICO_TRUSTED_PROXIES", "10.0.0.0/8, fd00::/8,,",
                "PORTICO_CLIENT_ADDRESS_HEADER", "forwarded"), Map.of());

        assertThat(node.clientAddress().trustedProxies()).containsExactly("10.0.0.0/8", "fd00::/8");
        assertThat(node.clientAddress().usesForwarded()).isTrue();
    }

    @Test
    void fileListIsRead(@TempDir Path directory) throws IOException {
        Path file = directory.resolve("node.yaml");
        Files.writeString(file, """
                clientAddress:
                  trustedProxies: [192.0.2.10, "2001:db8::/32"]
                  header: Forwarded
                """);

        NodeConfig node = NodeConfigLoader.load(file, Map.of(), Map.of());

        assertThat(node.clientAddress().trustedProxies()).containsExactly("192.0.2.10", "2001:db8::/32");
        assertThat(node.clientAddress().usesForwarded()).isTrue();
    }

    @Test
    void invalidEntriesAreNamed() {
        Map<String, String> env = Map.of("PORTICO_TRUSTED_PROXIES", "10.0.0.0/8,10.0.0.1/8,proxy.internal",
                "PORTICO_CLIENT_ADDRESS_HEADER", "X-Real-IP");

        assertThatThrownBy(() -> NodeConfigLoader.load(null, env, Map.of()))
                .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.errors())
                        .extracting(FieldError::field)
                        .containsExactly("clientAddress.trustedProxies[1]", "clientAddress.trustedProxies[2]",
                                "clientAddress.header"))
                .hasMessageContaining("'10.0.0.1/8' has bits set after the /8 prefix")
                .hasMessageContaining("'proxy.internal' is not an IPv4 or IPv6 address")
                .hasMessageContaining("use X-Forwarded-For or Forwarded");
    }
}
