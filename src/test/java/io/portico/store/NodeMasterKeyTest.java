package io.portico.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.portico.Portico;
import io.portico.node.NodeConfig;
import io.portico.node.NodeConfigLoader;
import io.portico.store.crypto.MasterKey;
import io.portico.store.crypto.MasterKeys;
import io.portico.testing.TestKeys;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node's start with the master key of its store, with a generated key, and with the wrong key. */
class NodeMasterKeyTest {

    @TempDir
    Path data;

    @Test
    void wrongKeyFailsTheStartClearly() throws Exception {
        stop(start(Map.of(MasterKeys.ENV_VAR, TestKeys.MASTER_KEY)));

        assertThatThrownBy(() -> start(Map.of(MasterKeys.ENV_VAR, TestKeys.OTHER_KEY)))
                .isInstanceOf(ExecutionException.class)
                .cause()
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("encrypted with master key "
                        + MasterKey.decode(TestKeys.MASTER_KEY, "key").id())
                .hasMessageContaining("give every node that shares the store the same PORTICO_MASTER_KEY");
    }

    @Test
    void firstStartGeneratesTheKeyFile() throws Exception {
        stop(start(Map.of()));
        stop(start(Map.of()));

        assertThat(data.resolve(MasterKeys.FILE_NAME)).exists();
    }

    private Portico start(Map<String, String> env) throws Exception {
        NodeConfig node = NodeConfigLoader.load(null, Map.of(), Map.of("http.host", "127.0.0.1", "http.port", "0",
                "admin.port", "0", "https.port", "0", "dataDirectory", data.toString(), "drainTimeout", "1s"));
        Map<String, String> withToken = new HashMap<>(env);
        withToken.put("PORTICO_ADMIN_TOKEN", "node-master-key-test-token");
        return Portico.start(node, withToken).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }

    private static void stop(Portico portico) throws Exception {
        portico.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
}
