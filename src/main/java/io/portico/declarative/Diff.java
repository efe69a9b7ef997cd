package io.portico.declarative;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.FieldError;
import io.portico.config.Resource;
import io.portico.config.ResourceKind;
import io.portico.config.ResourceKinds;
import io.portico.config.ValidationException;
import io.portico.store.Change;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The changes that make the stored configuration equal to a declarative document: resources the document adds,
 * changes or leaves out, and the changed fields of each resource added or changed ({@link FieldDiff}). Resources of
 * kinds this version does not know are left alone.
 *
 * <p>A stored resource counts as unchanged when its specification equals the document's after both went through
 * the typed specification, so a default written out in one and left out in the other is no change. A secret
 * field that carries the masked hint of the stored secret also counts as unchanged, and so does a secret that the
 * stored form keeps only as a hash ({@link ResourceKind#storedForm}) when it matches the stored hash.
 */
public final class Diff {

    private final ChangeReport report;
    private final List<Change> changes;

    private Diff(ChangeReport report, List<Change> changes) {
        this.report = report;
        this.changes = List.copyOf(changes);
    }

    /**
     * Compares {@code desired} with the {@code current} stored resources. The document should be valid
     * ({@link DeclarativeDocument#requireValid()}).
     *
     * @throws ValidationException when a secret field carries a hint that matches no stored value
     */
    public static Diff between(DeclarativeDocument desired, Collection<Resource> current) {
        Map<String, Resource> stored = new LinkedHashMap<>();
        current.forEach(resource -> stored.put(key(resource.kind(), resource.name()), resource));

        Comparison comparison = new Comparison(stored);
        for (ResourceKind<?> kind : ResourceKinds.all()) {
            List<ObjectNode> specs = desired.resources(kind);
            for (int i = 0; i < specs.size(); i++) {
                comparison.compare(kind, i, specs.get(i));
            }
        }
        if (!comparison.errors.isEmpty()) {
            throw new ValidationException(comparison.errors);
        }

        List<String> deleted = new ArrayList<>();
        List<Change> changes = new ArrayList<>(comparison.writes);
        changes.addAll(deletions(stored, comparison.documentKeys, deleted));
        ChangeReport report = new ChangeReport(comparison.created, comparison.updated, deleted, comparison.unchanged,
                comparison.fields);
        return new Diff(report, changes);
    }

    /** Compares the document's resources one by one with the stored ones, collecting creates and updates. */
    private static final class Comparison {
        private final Map<String, Resource> stored;
        private final List<String> created = new ArrayList<>();
        private final List<String> updated = new ArrayList<>();
        private final List<Change> writes = new ArrayList<>();
        private final Map<String, List<FieldChange>> fields = new LinkedHashMap<>();
        private final List<FieldError> errors = new ArrayList<>();
        private final Set<String> documentKeys = new HashSet<>();
        private int unchanged;

        Comparison(Map<String, Resource> stored) {
            this.stored = stored;
        }

        void compare(ResourceKind<?> kind, int index, ObjectNode desired) {
            String name = desired.path("name").asText();
            String key = key(kind.name(), name);
            documentKeys.add(key);
            Resource existing = stored.get(key);
            ObjectNode storedSpec = existing == null ? null : existing.spec();
            ObjectNode restored = Secrets.restore(kind, desired, storedSpec);
            List<FieldError> hints = Secrets.unresolvedHints(kind, restored, storedSpec);
            for (FieldError hint : hints) {
                errors.add(new FieldError(kind.name() + "[" + index + "]." + hint.field(), hint.message()));
            }
            // Secrets are compared and written in their stored form, so a document that gives a password
            // compares equal to the stored hash of that password.
            ObjectNode spec = hints.isEmpty() ? kind.storedForm(restored, storedSpec) : restored;

            if (existing == null) {
                created.add(key);
                fields.put(key, FieldDiff.created(kind, spec));
                writes.add(Change.create(kind.name(), name, spec));
                return;
            }
            List<FieldChange> changed = FieldDiff.between(kind, existing.spec(), spec);
            if (changed.isEmpty()) {
                unchanged++;
            } else {
                updated.add(key);
                fields.put(key, changed);
                writes.add(Change.update(kind.name(), name, spec, existing.revision()));
            }
        }
    }

    /** Returns the deletes, kinds in reverse dependency order so that resources that refer to others go first. */
    private static List<Change> deletions(Map<String, Resource> stored, Set<String> documentKeys,
                                          List<String> deleted) {
        List<ResourceKind<?>> kinds = new ArrayList<>(ResourceKinds.all());
        Collections.reverse(kinds);
        List<Change> deletes = new ArrayList<>();
        for (ResourceKind<?> kind : kinds) {
            stored.values().stream()
                    .filter(resource -> resource.kind().equals(kind.name()))
                    .filter(resource -> !documentKeys.contains(key(resource.kind(), resource.name())))
                    .sorted(Comparator.comparing(Resource::name))
                    .forEach(resource -> {
                        deleted.add(key(resource.kind(), resource.name()));
                        deletes.add(Change.delete(resource.kind(), resource.name(), resource.revision()));
                    });
        }
        return deletes;
    }

    private static String key(String kind, String name) {
        return kind + "/" + name;
    }

    /** Returns the resources created, updated and deleted, and the number unchanged. */
    public ChangeReport report() {
        return report;
    }

    /**
     * Returns the store writes, creates and updates first in dependency order, then deletes in reverse order.
     * Updates and deletes carry the revision that was compared, so the commit fails with a conflict when someone
     * changed the resource in between.
     */
    public List<Change> changes() {
        return changes;
    }
}
