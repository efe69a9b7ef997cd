package io.portico.declarative;

import io.portico.config.FieldError;
import io.portico.config.Resource;
import io.portico.config.ValidationException;
import io.portico.store.AuditContext;
import io.portico.store.ConfigStore;
import io.portico.store.ConflictException;
import java.util.List;

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
        List<Resource> current = store.read().resources();
        List<FieldError> errors = document.validate(current);
        if (!errors.isEmpty()) {
            throw new ValidationException(errors);
        }
        return Diff.between(document, current);
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
        Diff diff = diff(store, document);
        if (!diff.changes().isEmpty()) {
            store.commit(diff.changes(), audit);
        }
        return diff.report();
    }
}
