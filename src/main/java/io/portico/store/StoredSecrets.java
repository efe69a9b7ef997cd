package io.portico.store;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.portico.config.Resource;
import io.portico.config.ResourceKind;
import io.portico.config.ResourceKinds;
import io.portico.config.SecretFields;
import io.portico.store.crypto.SecretCipher;
import io.portico.store.crypto.SecretDecryptionException;
import java.util.Optional;

/**
 * Encrypts the secret fields of specifications on their way into the database and decrypts them on the way out,
 * so that no secret is stored in clear text. Each value is encrypted as its JSON text, bound to
 * {@code kind/name}. A value that is not in the encrypted form, such as one written before encryption existed, is
 * read as it is until {@link SecretResealer} encrypts it.
 */
final class StoredSecrets {

    private final SecretCipher cipher;

    StoredSecrets(SecretCipher cipher) {
        this.cipher = requireNonNull(cipher, "cipher");
    }

    SecretCipher cipher() {
        return cipher;
    }

    /** Returns a copy of {@code spec} with every secret value encrypted under the current key. */
    ObjectNode seal(String kind, String name, ObjectNode spec) {
        ObjectNode sealed = spec.deepCopy();
        Optional<ResourceKind<?>> resourceKind = ResourceKinds.find(kind);
        if (resourceKind.isEmpty()) {
            return sealed;
        }
        for (SecretFields.Slot slot : SecretFields.slots(resourceKind.get(), sealed)) {
            JsonNode value = slot.value();
            if (value != null) {
                slot.parent().put(slot.leaf(), cipher.encrypt(value.toString(), context(kind, name)));
            }
        }
        return sealed;
    }

    /** Returns {@code stored} with its secret values decrypted. */
    Resource open(Resource stored) {
        return new Resource(stored.kind(), stored.name(), open(stored.kind(), stored.name(), stored.spec()),
                stored.revision(), stored.updatedAt());
    }

    /**
     * Returns a copy of {@code spec} with its secret values decrypted.
     *
     * @throws StoreException when a value cannot be decrypted, naming the resource and the field
     */
    ObjectNode open(String kind, String name, ObjectNode spec) {
        ObjectNode opened = spec.deepCopy();
        Optional<ResourceKind<?>> resourceKind = ResourceKinds.find(kind);
        if (resourceKind.isEmpty()) {
            return opened;
        }
        for (SecretFields.Slot slot : SecretFields.slots(resourceKind.get(), opened)) {
            JsonNode value = slot.value();
            if (value != null && value.isTextual() && SecretCipher.isEncrypted(value.asText())) {
                slot.parent().set(slot.leaf(), decrypt(kind, name, slot.path(), value.asText()));
            }
        }
        return opened;
    }

    private JsonNode decrypt(String kind, String name, String field, String value) {
        String json;
        try {
            json = cipher.decrypt(value, context(kind, name));
        } catch (SecretDecryptionException e) {
            throw new StoreException("the stored secret " + kind + "/" + name + "." + field + " " + e.getMessage()
                    + "; this node's master keys are " + cipher.keyring().ids(), e);
        }
        try {
            return Json.MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new StoreException("the stored secret " + kind + "/" + name + "." + field
                    + " decrypts to text that is not JSON", null);
        }
    }

    static String context(String kind, String name) {
        return kind + "/" + name;
    }
}
