package io.portico.store.crypto;

import io.portico.node.PrivateFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resolves the master keys that encrypt secrets in the store. The current key comes from the
 * {@value #ENV_VAR} environment variable (base64 of 32 bytes) or else from the file {@value #FILE_NAME} in the data
 * directory, which is generated on first start. {@value #DECRYPTION_ENV_VAR} adds older keys, as a comma-separated
 * list, that decrypt values but never encrypt new ones.
 *
 * <p>The key file must be readable by its owner only: a node refuses to start when group or others may read it.
 * Nodes that share one PostgreSQL store must share one key, so set {@value #ENV_VAR} on each of them.
 */
public final class MasterKeys {

    /** Environment variable that sets the current master key. */
    public static final String ENV_VAR = "PORTICO_MASTER_KEY";
    /** Environment variable with more keys, comma-separated, that decrypt but do not encrypt. */
    public static final String DECRYPTION_ENV_VAR = "PORTICO_DECRYPTION_KEYS";
    /** Name of the generated key file in the data directory. */
    public static final String FILE_NAME = "master-key";

    private static final Logger LOG = LoggerFactory.getLogger(MasterKeys.class);

    private MasterKeys() {
    }

    /**
     * Returns the keyring of this node, generating the key file when the environment sets no key and the file does
     * not exist yet.
     *
     * @param env the process environment, {@code System.getenv()} in production
     * @throws IllegalArgumentException when a key in the environment is not base64 of 32 bytes
     * @throws IllegalStateException when the key file is readable by other users or contains no valid key
     * @throws UncheckedIOException when the key file cannot be read or written
     */
    public static Keyring resolve(Path dataDirectory, Map<String, String> env) {
        return resolve(dataDirectory, env, true);
    }

    /**
     * Returns the keyring like {@link #resolve(Path, Map)}, but fails instead of generating a key file when
     * {@code generate} is false, as tools that open a shared store must use the nodes' key.
     *
     * @throws IllegalStateException when no key is set or stored and {@code generate} is false
     */
    public static Keyring resolve(Path dataDirectory, Map<String, String> env, boolean generate) {
        String fromEnv = env.get(ENV_VAR);
        MasterKey current;
        if (fromEnv != null && !fromEnv.isBlank()) {
            current = MasterKey.decode(fromEnv, ENV_VAR);
        } else if (generate || Files.exists(dataDirectory.resolve(FILE_NAME))) {
            current = readOrGenerate(dataDirectory.resolve(FILE_NAME));
        } else {
            throw new IllegalStateException("no master key: set " + ENV_VAR + " to the master key of the nodes that"
                    + " share this store");
        }
        return new Keyring(current, decryptionKeys(env.get(DECRYPTION_ENV_VAR)));
    }

    private static List<MasterKey> decryptionKeys(String list) {
        List<MasterKey> keys = new ArrayList<>();
        if (list == null || list.isBlank()) {
            return keys;
        }
        String[] entries = list.split(",");
        for (int i = 0; i < entries.length; i++) {
            if (!entries[i].isBlank()) {
                keys.add(MasterKey.decode(entries[i], DECRYPTION_ENV_VAR + " entry " + (i + 1)));
            }
        }
        return keys;
    }

    private static MasterKey readOrGenerate(Path file) {
        if (Files.exists(file)) {
            return read(file);
        }
        MasterKey key = MasterKey.generate();
        try {
            PrivateFiles.createPrivateDirectory(file.getParent());
            PrivateFiles.createOwnerOnly(file);
            Files.writeString(file, key.encoded() + "\n", StandardCharsets.UTF_8);
        } catch (FileAlreadyExistsException e) {
            // Another process sharing the data directory generated the key first: use that one.
            return read(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the master key file " + file, e);
        }
        LOG.info("Generated master key {} in {}; back this file up, because the secrets in the store cannot be"
                + " read without it", key.id(), file);
        return key;
    }

    private static MasterKey read(Path file) {
        PrivateFiles.requireOwnerOnly(file, "the master key file");
        try {
            return MasterKey.decode(Files.readString(file, StandardCharsets.UTF_8), "the master key file " + file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the master key file " + file, e);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }
}
