package io.portico.admin;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.ConfigSnapshot;
import io.portico.config.FieldError;
import io.portico.config.Resource;
import io.portico.config.ResourceKind;
import io.portico.config.ResourceKinds;
import io.portico.config.ValidationException;
import io.portico.declarative.FieldDiff;
import io.portico.declarative.Secrets;
import io.portico.problem.Problem;
import io.portico.problem.ProblemType;
import io.portico.store.AuditContext;
import io.portico.store.Change;
import io.portico.store.ConfigStore;
import io.portico.store.ConflictException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Create, read, update and delete for every resource kind in {@link ResourceKinds#all()}, under
 * {@code /admin/v1/{kind}}. Nothing here depends on a particular kind: validation, secrets and references come
 * from {@link ResourceKind} and {@link ConfigSnapshot}.
 */
final class ResourceApi {

    /** Fields that responses add to a specification; ignored when a client sends them back. */
    static final List<String> READ_ONLY_FIELDS = List.of("revision", "updatedAt");

    private static final Logger LOG = LoggerFactory.getLogger(ResourceApi.class);

    private final Vertx vertx;
    private final ConfigStore store;
    private final SnapshotSource snapshots;

    ResourceApi(Vertx vertx, ConfigStore store, SnapshotSource snapshots) {
        this.vertx = requireNonNull(vertx, "vertx");
        this.store = requireNonNull(store, "store");
        this.snapshots = requireNonNull(snapshots, "snapshots");
    }

    /** Adds the routes of every kind below {@code base}. */
    void mount(AdminRoutes routes, String base) {
        for (ResourceKind<?> kind : ResourceKinds.all()) {
            String collection = base + "/" + kind.name();
            String item = collection + "/:name";
            routes.get(collection, Access.read(kind), ctx -> list(ctx, kind));
            routes.post(collection, Access.write(kind), ctx -> create(ctx, kind));
            routes.get(item, Access.read(kind), ctx -> get(ctx, kind));
            routes.put(item, Access.write(kind), ctx -> replace(ctx, kind));
            routes.patch(item, Access.write(kind), ctx -> patch(ctx, kind));
            routes.delete(item, Access.write(kind), ctx -> delete(ctx, kind));
        }
    }

    private void list(RoutingContext ctx, ResourceKind<?> kind) {
        list(ctx, kind, Map.of());
    }

    /**
     * Sends the resources of {@code kind} that match the query parameters and {@code fixed}: each names a
     * top-level field, which must equal one of the parameter's values (or, for a list, contain one of them).
     * Fields are compared with their defaults applied, so {@code status=pending} finds subscriptions that
     * leave the status out. Resources the caller may not see are left out.
     */
    void list(RoutingContext ctx, ResourceKind<?> kind, Map<String, String> fixed) {
        list(ctx, kind, fixed, false);
    }

    /**
     * Sends the matching resources like {@link #list(RoutingContext, ResourceKind, Map)}.
     *
     * @param allTeams whether to include other teams' resources, for a caller who owns what {@code fixed} names,
     *     as the team of an API sees every subscription to it
     */
    void list(RoutingContext ctx, ResourceKind<?> kind, Map<String, String> fixed, boolean allTeams) {
        Map<String, List<String>> filters = filters(ctx, kind);
        fixed.forEach((field, value) -> filters.put(field, List.of(value)));
        Principal principal = Principal.of(ctx);
        ConfigSnapshot snapshot = snapshots.current();
        blocking(() -> {
            ObjectNode body = JsonNodeFactory.instance.objectNode();
            ArrayNode items = body.putArray("items");
            for (Resource resource : store.list(kind.name())) {
                if (ResourceFilter.matches(kind, resource.spec(), filters)
                        && (allTeams || Tenancy.sees(principal, kind, resource, snapshot))) {
                    items.add(representation(kind, resource));
                }
            }
            return body;
        }).onSuccess(body -> Exchange.sendJson(ctx, 200, body)).onFailure(ctx::fail);
    }

    private static Map<String, List<String>> filters(RoutingContext ctx, ResourceKind<?> kind) {
        Map<String, List<String>> filters = new LinkedHashMap<>();
        for (String field : ctx.queryParams().names()) {
            ResourceFilter.checkField(kind, field);
            filters.put(field, ctx.queryParams().getAll(field));
        }
        return filters;
    }

    private void get(RoutingContext ctx, ResourceKind<?> kind) {
        String name = ctx.pathParam("name");
        Preconditions preconditions = Preconditions.of(ctx.request());
        blocking(() -> {
            Resource resource = existing(ctx, kind, name);
            return new Read(resource, preconditions.notModified(key(kind, name), resource));
        }).onSuccess(read -> {
            ctx.response().putHeader(HttpHeaders.ETAG, read.resource().etag());
            if (read.notModified()) {
                ctx.response().setStatusCode(304).end();
                return;
            }
            Exchange.sendJson(ctx, 200, representation(kind, read.resource()));
        }).onFailure(ctx::fail);
    }

    /** A resource that a GET read, and whether its response is 304 Not Modified. */
    private record Read(Resource resource, boolean notModified) {
    }

    private void create(RoutingContext ctx, ResourceKind<?> kind) {
        ObjectNode spec = writableSpec(ctx);
        Tenancy.claim(Principal.of(ctx), kind, spec);
        validate(kind, spec);
        keepHistory(kind, null, spec);
        String name = spec.get("name").asText();
        commit(ctx, kind, Change.create(kind.name(), name, spec), null)
                .onSuccess(resource -> sendCreated(ctx, kind, resource))
                .onFailure(ctx::fail);
    }

    private void replace(RoutingContext ctx, ResourceKind<?> kind) {
        String name = ctx.pathParam("name");
        ObjectNode body = namedAs(writableSpec(ctx), name);
        Tenancy.claim(Principal.of(ctx), kind, body);
        Preconditions preconditions = Preconditions.of(ctx.request());
        blocking(() -> store.get(kind.name(), name)).compose(current -> {
            Resource existing = visibleOrAbsent(ctx, kind, name, current);
            preconditions.check(key(kind, name), existing);
            if (existing == null) {
                validate(kind, body);
                keepHistory(kind, null, body);
                return commit(ctx, kind, Change.create(kind.name(), name, body), null)
                        .recover(failure -> createFailed(ctx, kind, name, preconditions, failure))
                        .map(resource -> new Written(resource, true));
            }
            requireIfMatch(kind, name, preconditions);
            ObjectNode spec = Secrets.restore(kind, body, existing.spec());
            validate(kind, spec, existing.spec());
            keepHistory(kind, existing.spec(), spec);
            return commit(ctx, kind, Change.update(kind.name(), name, spec, existing.revision()), existing.spec())
                    .map(resource -> new Written(resource, false));
        }).onSuccess(written -> {
            if (written.created()) {
                sendCreated(ctx, kind, written.resource());
            } else {
                sendResource(ctx, 200, kind, written.resource());
            }
        }).onFailure(ctx::fail);
    }

    private void patch(RoutingContext ctx, ResourceKind<?> kind) {
        String name = ctx.pathParam("name");
        ObjectNode patch = Exchange.jsonObject(ctx);
        READ_ONLY_FIELDS.forEach(patch::remove);
        Preconditions preconditions = Preconditions.of(ctx.request());
        blocking(() -> existing(ctx, kind, name)).compose(existing -> {
            preconditions.check(key(kind, name), existing);
            // The patch applies to the masked form that a GET returns, so a secret the patch leaves out is kept by
            // its hint, under the same rules as a PUT that sends the hint back.
            JsonNode merged = MergePatch.apply(Secrets.mask(kind, existing.spec()), patch);
            ObjectNode spec = Secrets.restore(kind, namedAs((ObjectNode) merged, name), existing.spec());
            validate(kind, spec, existing.spec());
            keepHistory(kind, existing.spec(), spec);
            return commit(ctx, kind, Change.update(kind.name(), name, spec, existing.revision()), existing.spec());
        }).onSuccess(resource -> sendResource(ctx, 200, kind, resource)).onFailure(ctx::fail);
    }

    private void delete(RoutingContext ctx, ResourceKind<?> kind) {
        String name = ctx.pathParam("name");
        Preconditions preconditions = Preconditions.of(ctx.request());
        blocking(() -> existing(ctx, kind, name)).compose(existing -> {
            preconditions.check(key(kind, name), existing);
            // With a precondition, the delete commits only while the resource has the revision it was evaluated on.
            Long expected = preconditions.absent() ? null : existing.revision();
            return commit(ctx, kind, Change.delete(kind.name(), name, expected), existing.spec());
        }).onSuccess(resource -> ctx.response().setStatusCode(204).end()).onFailure(ctx::fail);
    }

    /** Returns the stored resource when it exists and the caller may see it, else throws 404. */
    Resource existing(RoutingContext ctx, ResourceKind<?> kind, String name) {
        Optional<Resource> resource = visible(ctx, kind, store.get(kind.name(), name));
        return resource.orElseThrow(() -> new Problem(ProblemType.NOT_FOUND, key(kind, name) + " does not exist"));
    }

    /**
     * Returns the stored resource whatever its team, for a caller who may act on another team's resource under a
     * rule of its own.
     *
     * @throws Problem 404 when it does not exist
     */
    Resource stored(ResourceKind<?> kind, String name) {
        return store.get(kind.name(), name)
                .orElseThrow(() -> new Problem(ProblemType.NOT_FOUND, key(kind, name) + " does not exist"));
    }

    /** Returns the configuration snapshot this node serves. */
    ConfigSnapshot snapshot() {
        return snapshots.current();
    }

    /**
     * Returns the stored resource of a {@code PUT}, or null when it does not exist.
     *
     * @throws Problem 404 when it exists but the caller may not see it, because a create would then take its name
     */
    private Resource visibleOrAbsent(RoutingContext ctx, ResourceKind<?> kind, String name,
                                     Optional<Resource> current) {
        if (current.isPresent() && visible(ctx, kind, current).isEmpty()) {
            throw new Problem(ProblemType.NOT_FOUND, key(kind, name) + " does not exist");
        }
        return current.orElse(null);
    }

    /** Rejects a {@code PUT} that would replace an existing resource without {@code If-Match}, with 428. */
    private static void requireIfMatch(ResourceKind<?> kind, String name, Preconditions preconditions) {
        if (preconditions.ifMatch() == null) {
            throw new Problem(ProblemType.PRECONDITION_REQUIRED, key(kind, name) + " exists: send If-Match with"
                    + " its ETag from a GET, or If-None-Match: * to create it only when it is absent");
        }
    }

    /**
     * Returns the failure of a {@code PUT} whose create failed. Another writer may have created the resource after
     * this request read it as absent. The request then gets what it would get had it read that resource, because the
     * preconditions are evaluated against it again, which fails with 404, 412 or 428. This never writes, because
     * a create has no {@code If-Match}, which fails on an absent resource.
     */
    private Future<Resource> createFailed(RoutingContext ctx, ResourceKind<?> kind, String name,
                                          Preconditions preconditions, Throwable failure) {
        if (!(failure instanceof ConflictException conflict) || conflict.revisionMismatch()) {
            return Future.failedFuture(failure);
        }
        return blocking(() -> store.get(kind.name(), name)).compose(current -> {
            Resource existing = visibleOrAbsent(ctx, kind, name, current);
            if (existing == null) {
                // The competing resource is gone again; the create is not retried.
                return Future.failedFuture(failure);
            }
            preconditions.check(key(kind, name), existing);
            requireIfMatch(kind, name, preconditions);
            return Future.failedFuture(failure);
        });
    }

    /** Returns {@code resource} when the caller may see it, so that other teams' resources look absent. */
    private Optional<Resource> visible(RoutingContext ctx, ResourceKind<?> kind, Optional<Resource> resource) {
        Principal principal = Principal.of(ctx);
        ConfigSnapshot snapshot = snapshots.current();
        return resource.filter(found -> Tenancy.sees(principal, kind, found, snapshot));
    }

    /** Reads the body as a specification, dropping the read-only fields that a GET response adds. */
    private static ObjectNode writableSpec(RoutingContext ctx) {
        ObjectNode spec = Exchange.jsonObject(ctx);
        READ_ONLY_FIELDS.forEach(spec::remove);
        return spec;
    }

    /** Sets the name from the path when the body has none, and rejects a body whose name differs. */
    private static ObjectNode namedAs(ObjectNode spec, String name) {
        JsonNode bodyName = spec.get("name");
        if (bodyName == null || bodyName.isNull()) {
            spec.put("name", name);
        } else if (!bodyName.isTextual() || !bodyName.asText().equals(name)) {
            throw new ValidationException("name", "must equal the name in the path, '" + name + "'");
        }
        return spec;
    }

    /** Keeps a subscription's stored history in a direct write; see {@link SubscriptionApi#keepHistory}. */
    private static void keepHistory(ResourceKind<?> kind, ObjectNode before, ObjectNode after) {
        if (kind == ResourceKinds.SUBSCRIPTIONS) {
            SubscriptionApi.keepHistory(before, after);
        }
    }

    /**
     * Validates a new specification, except for the files it names, which {@code commit} checks on a worker thread
     * because this runs on the event loop. A secret field that carries a masked hint is reported alone, without
     * the kind's own complaint about that field.
     */
    static void validate(ResourceKind<?> kind, ObjectNode spec) {
        validate(kind, spec, null);
    }

    /**
     * Validates a specification like {@link #validate(ResourceKind, ObjectNode)}, after the stored secrets were
     * restored from {@code stored} ({@link Secrets#restore}).
     *
     * @param stored the stored specification the write replaces, or null when it creates the resource
     */
    static void validate(ResourceKind<?> kind, ObjectNode spec, ObjectNode stored) {
        List<FieldError> errors = new ArrayList<>(Secrets.unresolvedHints(kind, spec, stored));
        List<String> hinted = errors.stream().map(FieldError::field).toList();
        boolean incomplete = false;
        try {
            kind.parseWithoutLocalFiles(spec);
        } catch (ValidationException e) {
            e.errors().stream().filter(error -> !hinted.contains(error.field())).forEach(errors::add);
            incomplete = e.incomplete();
        }
        if (!errors.isEmpty()) {
            throw new ValidationException(errors, incomplete);
        }
    }

    /**
     * Rejects a change that would leave a reference unresolved in the configuration this node serves, or that
     * this node's data plane could not compile: 400 naming the field for a write, 409 naming the referring
     * resources for a delete. References that were already broken before the change are not this request's fault
     * and are ignored.
     *
     * @param spec the new specification, or null when the resource is deleted
     */
    private void checkReferences(ResourceKind<?> kind, String name, ObjectNode spec) {
        ConfigSnapshot before = snapshots.current();
        List<Resource> resources = new ArrayList<>(before.resources());
        resources.removeIf(resource -> resource.kind().equals(kind.name()) && resource.name().equals(name));
        if (spec != null) {
            resources.add(new Resource(kind.name(), name, spec, 0, Instant.EPOCH));
        }
        ConfigSnapshot candidate = ConfigSnapshot.of(before.version(), resources);
        List<FieldError> broken = new ArrayList<>(candidate.danglingReferences());
        broken.removeAll(before.danglingReferences());
        if (broken.isEmpty()) {
            broken = compileErrors(candidate);
            if (!broken.isEmpty() && spec == null) {
                throw new Problem(ProblemType.CONFLICT, "without " + key(kind, name) + " the gateway could not"
                        + " compile the configuration; change the resources named below first", broken);
            }
        }
        if (broken.isEmpty()) {
            return;
        }
        if (spec == null) {
            List<FieldError> referrers = broken.stream()
                    .map(error -> new FieldError(error.field(), "refers to " + key(kind, name)))
                    .toList();
            throw new Problem(ProblemType.CONFLICT, key(kind, name) + " is still referred to by "
                    + referrers.size() + " resource(s); change or delete them first", referrers);
        }
        String own = key(kind, name) + ".";
        List<FieldError> ownErrors = broken.stream().filter(error -> error.field().startsWith(own)).toList();
        if (!ownErrors.isEmpty()) {
            // The same conflict may also be reported on the other resource; the caller wrote this one.
            broken = ownErrors;
        }
        throw new ValidationException(broken.stream()
                .map(error -> error.field().startsWith(own)
                        ? new FieldError(error.field().substring(own.length()), error.message())
                        : error)
                .toList());
    }

    /** Returns what this node's data plane rejects in {@code candidate}; empty when it compiles. */
    private List<FieldError> compileErrors(ConfigSnapshot candidate) {
        try {
            snapshots.check(candidate);
            return List.of();
        } catch (ValidationException e) {
            return e.errors();
        }
    }

    /**
     * Checks the caller's team, turns a written specification into its stored form, checks references and
     * commits one change off the event loop, then waits until this node serves the new configuration. These steps
     * run on a worker thread, because the stored form may need a slow password hash and the reference check
     * converts every resource.
     *
     * @param stored the stored specification the change replaces, or null when it creates the resource
     */
    Future<Resource> commit(RoutingContext ctx, ResourceKind<?> kind, Change change, ObjectNode stored) {
        return commit(ctx, kind, change, stored, true);
    }

    /**
     * Commits like {@link #commit(RoutingContext, ResourceKind, Change, ObjectNode)}.
     *
     * @param checkTeam whether the caller's team must own the resource and what it refers to; false when the
     *     caller checked another rule, as when the team of an API decides on a subscription to it
     */
    Future<Resource> commit(RoutingContext ctx, ResourceKind<?> kind, Change change, ObjectNode stored,
                            boolean checkTeam) {
        AuditContext audit = RequestIds.auditContext(ctx);
        Principal principal = Principal.of(ctx);
        return blocking(() -> {
            ConfigSnapshot snapshot = snapshots.current();
            ObjectNode before = store.get(kind.name(), change.name()).map(Resource::spec).orElse(null);
            ObjectNode spec = change.spec();
            if (checkTeam) {
                Tenancy.checkWrite(principal, kind, change.name(), before, change.spec(), snapshot);
                Tenancy.checkNodeFiles(principal, kind, before, change.spec());
                if (change.spec() != null) {
                    Tenancy.checkReferences(principal, kind, change.spec(), snapshot);
                }
                if (kind == ResourceKinds.ROUTES && change.spec() != null) {
                    Tenancy.checkRouteOverlap(principal, change.name(), change.spec(), snapshot);
                }
                if (kind == ResourceKinds.SUBSCRIPTIONS) {
                    spec = SubscriptionApi.admit(principal, before, spec, snapshot, store);
                }
            }
            if (spec != null) {
                // The checks that read local files, such as upstream TLS certificates, run here off the event loop.
                kind.checkLocalFiles(spec);
            }
            Change storable = spec == null ? change : new Change(change.operation(), change.kind(),
                    change.name(), kind.storedForm(spec, stored), change.expectedRevision());
            if (kind == ResourceKinds.CREDENTIALS && storable.spec() != null) {
                Tenancy.checkLookups(principal, storable.name(), storable.spec(), snapshot);
            }
            checkReferences(kind, storable.name(), storable.spec());
            return store.commit(List.of(asStoredWhenEquivalent(kind, storable, before)), audit).get(0);
        })
                .compose(resource -> refreshSnapshot().map(resource));
    }

    /**
     * Returns {@code change} with the stored specification {@code before} in place of its own when the two differ
     * only in spelling, such as {@code 1000ms} for {@code 1s} or a default written out, as {@link FieldDiff} compares
     * them for {@code portico apply}. The store then finds the update unchanged and writes nothing, and the stored
     * spelling stays.
     */
    private static Change asStoredWhenEquivalent(ResourceKind<?> kind, Change change, ObjectNode before) {
        if (change.operation() != Change.Operation.UPDATE || before == null || change.spec() == null
                || !FieldDiff.between(kind, before, change.spec()).isEmpty()) {
            return change;
        }
        return new Change(change.operation(), change.kind(), change.name(), before.deepCopy(),
                change.expectedRevision());
    }

    /** Reloads this node's snapshot after a commit; a failed reload is logged, and the next poll picks it up. */
    Future<Void> refreshSnapshot() {
        return snapshots.refreshNow().<Void>mapEmpty().recover(cause -> {
            LOG.warn("A change was committed but this node could not reload the configuration yet; it will pick"
                    + " the change up on its next poll of the store", cause);
            return Future.succeededFuture();
        });
    }

    <T> Future<T> blocking(Callable<T> work) {
        return vertx.executeBlocking(work, false);
    }

    static void sendCreated(RoutingContext ctx, ResourceKind<?> kind, Resource resource) {
        ctx.response().putHeader(HttpHeaders.LOCATION, AdminServer.BASE_PATH + "/" + key(kind, resource.name()));
        sendResource(ctx, 201, kind, resource);
    }

    static void sendResource(RoutingContext ctx, int status, ResourceKind<?> kind, Resource resource) {
        ctx.response().putHeader(HttpHeaders.ETAG, resource.etag());
        Exchange.sendJson(ctx, status, representation(kind, resource));
    }

    /** Returns the specification with secrets masked, plus the revision and the time of the last write. */
    static ObjectNode representation(ResourceKind<?> kind, Resource resource) {
        ObjectNode json = Secrets.mask(kind, resource.spec());
        json.put("revision", resource.revision());
        json.put("updatedAt", resource.updatedAt().toString());
        return json;
    }

    static String key(ResourceKind<?> kind, String name) {
        return kind.name() + "/" + name;
    }

    /** A resource written by PUT, and whether the PUT created it. */
    private record Written(Resource resource, boolean created) {
    }
}
