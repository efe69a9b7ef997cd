package io.portico.store.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.portico.testing.TestKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MasterKeysTest {

    @TempDir
    Path data;

    @Test
    void firstStartGeneratesOwnerOnlyFile() throws Exception {
        Keyring first = MasterKeys.resolve(data, Map.of());
        Keyring second = MasterKeys.resolve(data, Map.of());

        Path file = data.resolve(MasterKeys.FILE_NAME);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(second.current()).isEqualTo(first.current());
        assertThat(MasterKey.decode(Files.readString(file), "file")).isEqualTo(first.current());
    }

    @Test
    void missingDataDirectoryIsCreatedOwnerOnly() throws Exception {
        Path missing = data.resolve("new").resolve("data");

        MasterKeys.resolve(missing, Map.of());

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(missing))).isEqualTo("rwx------");
    }

    @Test
    void fileReadableByOthersIsRejected() throws Exception {
        MasterKeys.resolve(data, Map.of());
        Path file = data.resolve(MasterKeys.FILE_NAME);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));

        assertThatThrownBy(() -> MasterKeys.resolve(data, Map.of()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("has the mode rw-r--r--")
                .hasMessageContaining("chmod 600");
    }

    @Test
    void environmentTakesPrecedence() {
        MasterKeys.resolve(data, Map.of());

        Keyring keyring = MasterKeys.resolve(data, Map.of(MasterKeys.ENV_VAR, TestKeys.MASTER_KEY));

        assertThat(keyring.current()).isEqualTo(MasterKey.decode(TestKeys.MASTER_KEY, "key"));
    }

    @Test
    void decryptionKeysJoinTheKeyring() {
        Keyring keyring = MasterKeys.resolve(data, Map.of(MasterKeys.ENV_VAR, TestKeys.MASTER_KEY,
                MasterKeys.DECRYPTION_ENV_VAR, TestKeys.OTHER_KEY + ", " + TestKeys.MASTER_KEY));
        MasterKey other = MasterKey.decode(TestKeys.OTHER_KEY, "key");

        assertThat(keyring.ids()).containsExactly(keyring.current().id(), other.id());
        assertThat(keyring.find(other.id())).contains(other);
        assertThat(Files.exists(data.resolve(MasterKeys.FILE_NAME))).as("no file generated").isFalse();
    }

    @Test
    void invalidKeyIsNotQuoted() {
        String tooShort = "c2hvcnQta2V5";

        assertThatThrownBy(() -> MasterKeys.resolve(data, Map.of(MasterKeys.ENV_VAR, tooShort)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PORTICO_MASTER_KEY decodes to 9 bytes")
                .hasMessageNotContaining(tooShort);
        assertThatThrownBy(() -> MasterKeys.resolve(data, Map.of(MasterKeys.ENV_VAR, "not base64 !")))
                .hasMessageContaining("is not valid base64")
                .hasMessageNotContaining("not base64 !");
    }

    @Test
    void sharedStoreToolsNeedAKey() {
        assertThatThrownBy(() -> MasterKeys.resolve(data, Map.of(), false))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("set PORTICO_MASTER_KEY");
    }

    @Test
    void keyIdIsStableAndHidesTheKey() {
        MasterKey key = MasterKey.decode(TestKeys.MASTER_KEY, "key");

        assertThat(key.id()).hasSize(16).matches("[0-9a-f]+");
        assertThat(MasterKey.decode(TestKeys.MASTER_KEY.replace('+', '-'), "key").id()).isEqualTo(key.id());
        assertThat(key.toString()).isEqualTo("MasterKey[" + key.id() + "]");
    }
}
