package io.portico.declarative;

import io.portico.config.ConfigSnapshot;
import io.portico.config.FieldError;
import io.portico.config.Resource;
import io.portico.config.ValidationException;
import io.portico.store.AuditContext;
import io.portico.store.Change;
import io.portico.store.ConfigStore;
import io.portico.store.ConflictException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Makes a store equal to a declarative document. Resources of a known kind that the document leaves out are
 * deleted; resources of kinds this version does not know are kept. Every method blocks on the store.
 */
public final class ConfigApplier {

    private ConfigApplier() {
    }

    /**
     * Computes the changes that applying {@code document} would make, without writing anything.
     *
     * @throws ValidationException when the document is invalid
     */
    public static Diff diff(ConfigStore store, DeclarativeDocument document) {
        return diff(store, document, candidate -> { });
    }

    /**
     * Computes the changes like {@link #diff(ConfigStore, DeclarativeDocument)}; when there are any, passes the
     * configuration the store would hold after them to {@code check}, such as a compile by the data plane.
     *
     * @param check throws a {@link ValidationException} naming fields as {@code kind/name.field}; they are
     *     reported as the document's {@code kind[index].field}
     * @throws ValidationException when the document is invalid or {@code check} rejects the result
     */
    public static Diff diff(ConfigStore store, DeclarativeDocument document, Consumer<ConfigSnapshot> check) {
        ConfigStore.StoreContents contents = store.read();
        List<Resource> current = contents.resources();
        List<FieldError> errors = document.validate(current);
        if (!errors.isEmpty()) {
            throw new ValidationException(errors);
        }
        Diff diff = Diff.between(document, current);
        if (diff.changes().isEmpty()) {
            return diff;
        }
        try {
            check.accept(ConfigSnapshot.of(contents.version(), after(current, diff.changes())));
        } catch (ValidationException e) {
            throw new ValidationException(e.errors().stream()
                    .map(error -> new FieldError(document.indexedField(error.field()), error.message()))
                    .toList());
        }
        return diff;
    }

    /**
     * Writes every change in one store commit. Updates and deletes expect the revisions that were read, so a
     * concurrent change makes the whole apply fail instead of being overwritten. Applying the same document twice
     * changes nothing the second time. Each change is recorded in the audit log as made by {@code audit}.
     *
     * @throws ValidationException when the document is invalid
     * @throws ConflictException when another writer changed the store since it was read
     */
    public static ChangeReport apply(ConfigStore store, DeclarativeDocument document, AuditContext audit) {
        return apply(store, document, audit, candidate -> { });
    }

    /**
     * Writes the changes like {@link #apply(ConfigStore, DeclarativeDocument, AuditContext)}, unless
     * {@code check} rejects the configuration the store would hold after them; see
     * {@link #diff(ConfigStore, DeclarativeDocument, Consumer)}.
     */
    public static ChangeReport apply(ConfigStore store, DeclarativeDocument document, AuditContext audit,
                                     Consumer<ConfigSnapshot> check) {
        Diff diff = diff(store, document, check);
        if (!diff.changes().isEmpty()) {
            store.commit(diff.changes(), audit);
        }
        return diff.report();
    }

    /** Returns {@code current} with {@code changes} made. */
    private static List<Resource> after(List<Resource> current, List<Change> changes) {
        Map<String, Resource> resources = new LinkedHashMap<>();
        current.forEach(resource -> resources.put(resource.kind() + "/" + resource.name(), resource));
        for (Change change : changes) {
            String key = change.kind() + "/" + change.name();
            if (change.operation() == Change.Operation.DELETE) {
                resources.remove(key);
            } else {
                resources.put(key, new Resource(change.kind(), change.name(), change.spec(), 0, Instant.EPOCH));
            }
        }
        return List.copyOf(resources.values());
    }
}
