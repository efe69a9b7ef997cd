package io.portico.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The admin API a command talks to when no --admin-url is given. */
class ConnectionOptionsTest {

    @Test
    void findsTheAdminApiFromTheNodesEnvironment() {
        assertThat(ConnectionOptions.defaultAdminUrl(Map.of())).isEqualTo("http://127.0.0.1:9080");
        assertThat(ConnectionOptions.defaultAdminUrl(Map.of("PORTICO_ADMIN_PORT", "19999")))
                .isEqualTo("http://127.0.0.1:19999");
        assertThat(ConnectionOptions.defaultAdminUrl(Map.of("PORTICO_ADMIN_HOST", "0.0.0.0")))
                .isEqualTo("http://127.0.0.1:9080");
        assertThat(ConnectionOptions.defaultAdminUrl(Map.of("PORTICO_ADMIN_HOST", "::1")))
                .isEqualTo("http://[::1]:9080");
        assertThat(ConnectionOptions.defaultAdminUrl(Map.of("PORTICO_ADMIN_URL", "http://10.0.0.2:9000",
                "PORTICO_ADMIN_PORT", "1"))).isEqualTo("http://10.0.0.2:9000");
    }
}
