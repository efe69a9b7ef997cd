package io.portico.cli;

import static java.util.Objects.requireNonNull;

import io.portico.declarative.ChangeReport;
import io.portico.declarative.ConfigApplier;
import io.portico.declarative.DeclarativeDocument;
import io.portico.declarative.DocumentFormat;
import io.portico.store.AuditContext;
import io.portico.store.ConfigStore;

/**
 * Works on a store directly, without a running node. Nodes that use the same store pick the changes up on
 * their next poll.
 */
final class StoreTarget implements ConfigTarget {

    private final ConfigStore store;

    StoreTarget(ConfigStore store) {
        this.store = requireNonNull(store, "store");
    }

    @Override
    public String export(DocumentFormat format) {
        return DeclarativeDocument.toSubstitutionSafeText(
                DeclarativeDocument.export(store.read().resources()).toJson(), format);
    }

    @Override
    public ChangeReport diff(DeclarativeDocument document) {
        return ConfigApplier.diff(store, document).report();
    }

    @Override
    public ChangeReport apply(DeclarativeDocument document) {
        return ConfigApplier.apply(store, document,
                new AuditContext("cli:" + System.getProperty("user.name", "unknown"), null, null));
    }

    @Override
    public void close() {
        store.close();
    }
}
