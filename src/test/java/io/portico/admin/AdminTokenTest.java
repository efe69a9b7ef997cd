package io.portico.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.portico.Portico;
import io.portico.node.NodeConfig;
import io.portico.node.NodeConfigLoader;
import io.portico.store.crypto.MasterKeys;
import io.portico.testing.TestKeys;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdminTokenTest {

    private static final NodeConfig.AdminListener LOOPBACK = new NodeConfig.AdminListener("127.0.0.1", 0, null);

    @TempDir
    Path data;

    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();

    @Test
    void environmentWins() {
        NodeConfig.AdminListener configured = new NodeConfig.AdminListener("127.0.0.1", 0, "from-config");

        String token = resolve(configured, Map.of(AdminToken.ENV_VAR, "from-env"));

        assertThat(token).isEqualTo("from-env");
        assertThat(data.resolve(AdminToken.FILE_NAME)).doesNotExist();
    }

    @Test
    void configuredTokenBeatsFile() {
        NodeConfig.AdminListener configured = new NodeConfig.AdminListener("127.0.0.1", 0, "from-config");

        assertThat(resolve(configured, Map.of())).isEqualTo("from-config");
        assertThat(data.resolve(AdminToken.FILE_NAME)).doesNotExist();
    }

    @Test
    void generatedTokenIsStoredOwnerOnly() throws Exception {
        String token = resolve(LOOPBACK, Map.of());

        Path file = data.resolve(AdminToken.FILE_NAME);
        assertThat(token).startsWith(AdminToken.PREFIX).hasSize(AdminToken.PREFIX.length() + 43);
        assertThat(Files.readString(file).trim()).isEqualTo(token);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(stdout.toString(StandardCharsets.UTF_8)).contains(token);
    }

    @Test
    void generatedTokenIsReusedAndPrintedOnce() {
        String first = resolve(LOOPBACK, Map.of());
        stdout.reset();

        String second = resolve(LOOPBACK, Map.of());

        assertThat(second).isEqualTo(first);
        assertThat(stdout.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    @Test
    void generatedTokensDiffer() {
        assertThat(AdminToken.generate()).isNotEqualTo(AdminToken.generate());
    }

    @Test
    void publicListenerNeedsExplicitToken() {
        NodeConfig.AdminListener wildcard = new NodeConfig.AdminListener("0.0.0.0", 9080, null);

        assertThatThrownBy(() -> resolve(wildcard, Map.of()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("0.0.0.0")
                .hasMessageContaining(AdminToken.ENV_VAR);
        assertThat(data.resolve(AdminToken.FILE_NAME)).doesNotExist();
        String explicit = "explicit-token-of-24-chars";
        assertThat(resolve(wildcard, Map.of(AdminToken.ENV_VAR, explicit))).isEqualTo(explicit);
    }

    @Test
    void publicListenerRejectsShortToken() {
        NodeConfig.AdminListener wildcard = new NodeConfig.AdminListener("0.0.0.0", 9080, "tiny1");
        NodeConfig.AdminListener loopback = new NodeConfig.AdminListener("127.0.0.1", 9080, "tiny1");

        assertThatThrownBy(() -> resolve(wildcard, Map.of()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("admin.token is shorter than 24 characters")
                .hasMessageNotContaining("tiny1");
        assertThatThrownBy(() -> resolve(wildcard, Map.of(AdminToken.ENV_VAR, "a")))
                .hasMessageContaining(AdminToken.ENV_VAR + " is shorter than 24 characters");
        assertThat(resolve(loopback, Map.of())).isEqualTo("tiny1");
    }

    @Test
    void loopbackNamesAreRecognised() {
        assertThat(AdminToken.isLoopback("127.0.0.1")).isTrue();
        assertThat(AdminToken.isLoopback("::1")).isTrue();
        assertThat(AdminToken.isLoopback("[::1]")).isTrue();
        assertThat(AdminToken.isLoopback("localhost")).isTrue();
        assertThat(AdminToken.isLoopback("0.0.0.0")).isFalse();
        assertThat(AdminToken.isLoopback("10.1.2.3")).isFalse();
    }

    @Test
    void emptyTokenFileIsRejected() throws Exception {
        Files.writeString(data.resolve(AdminToken.FILE_NAME), "\n");
        Files.setPosixFilePermissions(data.resolve(AdminToken.FILE_NAME), PosixFilePermissions.fromString("rw-------"));

        assertThatThrownBy(() -> resolve(LOOPBACK, Map.of()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("is empty");
    }

    @Test
    void sharedTokenFileIsRejected() throws Exception {
        Path file = data.resolve(AdminToken.FILE_NAME);
        Files.writeString(file, "pat_shared-token\n");

        for (String mode : List.of("rw-r--r--", "rw-rw----", "rw----r--", "rwx------")) {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));

            assertThatThrownBy(() -> resolve(LOOPBACK, Map.of())).as(mode)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("the admin token file " + file + " has the mode " + mode)
                    .hasMessageContaining("chmod 600 " + file);
        }

        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        assertThat(resolve(LOOPBACK, Map.of())).isEqualTo("pat_shared-token");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--------"));
        assertThat(resolve(LOOPBACK, Map.of())).isEqualTo("pat_shared-token");
    }

    @Test
    void nodeWithSharedTokenFileDoesNotStart() throws Exception {
        Path file = data.resolve(AdminToken.FILE_NAME);
        Files.writeString(file, "pat_shared-token\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        NodeConfig node = NodeConfigLoader.load(null, Map.of(), Map.of("http.host", "127.0.0.1", "http.port", "0",
                "admin.port", "0", "https.port", "0", "dataDirectory", data.toString(), "drainTimeout", "1s"));

        assertThatThrownBy(() -> Portico.start(node, Map.of(MasterKeys.ENV_VAR, TestKeys.MASTER_KEY))
                .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS))
                .rootCause()
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("chmod 600 " + file);
    }

    @Test
    void missingDataDirectoryIsCreatedOwnerOnly() throws Exception {
        Path missing = data.resolve("new").resolve("data");

        AdminToken.resolve(LOOPBACK, missing, Map.of(), new PrintStream(stdout, true, StandardCharsets.UTF_8));

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(missing))).isEqualTo("rwx------");
    }

    private String resolve(NodeConfig.AdminListener listener, Map<String, String> env) {
        return AdminToken.resolve(listener, data, env, new PrintStream(stdout, true, StandardCharsets.UTF_8));
    }
}
