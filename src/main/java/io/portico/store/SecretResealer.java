package io.portico.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Resource;
import io.portico.config.ResourceKinds;
import io.portico.config.SecretFields;
import io.portico.store.crypto.Keyring;
import io.portico.store.crypto.MasterKeys;
import io.portico.store.crypto.SecretCipher;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings every stored secret under the current master key when a store is opened: values in clear text, written
 * before encryption existed, and values under an older key are encrypted again. Revisions stay as they are,
 * because the specifications do not change.
 *
 * <p>The {@code master_key} table records the key that the secrets are under. A node whose keyring lacks that key
 * fails here, before it reads or writes anything, and so does a node that finds a value under a key it lacks.
 */
final class SecretResealer {

    private static final Logger LOG = LoggerFactory.getLogger(SecretResealer.class);

    private SecretResealer() {
    }

    /**
     * Reseals every secret in one transaction that holds the version row lock, so that no commit runs meanwhile.
     *
     * @throws StoreException when the store's secrets are under a key this node does not have
     */
    static void run(Connection connection, StoredSecrets secrets) throws SQLException {
        Keyring keyring = secrets.cipher().keyring();
        Rows.lockVersion(connection);
        Optional<String> recorded = Rows.selectMasterKeyId(connection);
        if (recorded.isPresent() && keyring.find(recorded.get()).isEmpty()) {
            throw new StoreException("the secrets in this store are encrypted with master key " + recorded.get()
                    + ", but this node's master keys are " + keyring.ids() + ": give every node that shares the"
                    + " store the same " + MasterKeys.ENV_VAR + ", or add the old key to "
                    + MasterKeys.DECRYPTION_ENV_VAR);
        }
        List<Resource> rows = Rows.selectAll(connection);
        TreeSet<String> missing = new TreeSet<>();
        rows.forEach(row -> missing.addAll(missingKeys(row, keyring)));
        if (!missing.isEmpty()) {
            throw new StoreException("the store holds secrets encrypted with master key(s) " + missing
                    + ", which this node does not have (its keys are " + keyring.ids() + "): add them to "
                    + MasterKeys.DECRYPTION_ENV_VAR);
        }
        int resealed = 0;
        for (Resource row : rows) {
            if (needsReseal(row, keyring.current().id())) {
                ObjectNode clear = secrets.open(row.kind(), row.name(), row.spec());
                ObjectNode sealed = secrets.seal(row.kind(), row.name(), clear);
                Rows.updateSpecText(connection, row.kind(), row.name(), Rows.serialise(sealed));
                resealed++;
            }
        }
        Rows.upsertMasterKeyId(connection, keyring.current().id(), Instant.now(), recorded.isPresent());
        if (resealed > 0) {
            LOG.info("Encrypted the secrets of {} stored resource(s) with master key {}", resealed,
                    keyring.current().id());
        }
    }

    private static List<String> missingKeys(Resource row, Keyring keyring) {
        return secretValues(row).stream()
                .map(value -> SecretCipher.keyIdOf(value.isTextual() ? value.asText() : null))
                .flatMap(Optional::stream)
                .filter(id -> keyring.find(id).isEmpty())
                .toList();
    }

    private static boolean needsReseal(Resource row, String currentKeyId) {
        for (JsonNode value : secretValues(row)) {
            String text = value.isTextual() ? value.asText() : null;
            if (!SecretCipher.keyIdOf(text).map(currentKeyId::equals).orElse(false)) {
                return true;
            }
        }
        return false;
    }

    private static List<JsonNode> secretValues(Resource row) {
        return ResourceKinds.find(row.kind())
                .map(kind -> SecretFields.slots(kind, row.spec()).stream()
                        .map(SecretFields.Slot::value)
                        .filter(value -> value != null)
                        .toList())
                .orElse(List.of());
    }
}
