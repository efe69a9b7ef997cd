package io.portico.admin;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.ConfigSnapshot;
import io.portico.config.ResourceKind;
import io.portico.config.ResourceKinds;
import io.portico.declarative.ChangeReport;
import io.portico.declarative.ConfigApplier;
import io.portico.declarative.DeclarativeDocument;
import io.portico.declarative.DocumentFormat;
import io.portico.store.AuditContext;
import io.portico.store.ConfigStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole-configuration routes: export as a declarative document, diff and apply a document, and status.
 *
 * <p>Apply makes the store equal to the document: resources of a known kind that the document leaves out are
 * deleted. All writes of one apply go into one store commit.
 */
final class ConfigApi {

    private static final Logger LOG = LoggerFactory.getLogger(ConfigApi.class);

    private final Vertx vertx;
    private final ConfigStore store;
    private final SnapshotSource snapshots;

    ConfigApi(Vertx vertx, ConfigStore store, SnapshotSource snapshots) {
        this.vertx = requireNonNull(vertx, "vertx");
        this.store = requireNonNull(store, "store");
        this.snapshots = requireNonNull(snapshots, "snapshots");
    }

    /** Adds the routes below {@code base}. */
    void mount(AdminRoutes routes, String base) {
        routes.get(base + "/config", Access.WHOLE_CONFIG_READERS, this::export);
        routes.post(base + "/config/diff", Access.PLATFORM_ADMIN, this::diff);
        routes.post(base + "/config/apply", Access.PLATFORM_ADMIN, this::apply);
        routes.get(base + "/status", Access.AUTHENTICATED, this::status);
    }

    private void export(RoutingContext ctx) {
        AdminQueryParameters.check(ctx, List.of("format"));
        DocumentFormat format = Exchange.requestedFormat(ctx);
        vertx.executeBlocking(() -> DeclarativeDocument.export(store.read().resources()).toText(format), false)
                .onSuccess(text -> Exchange.send(ctx, 200, format.mediaType(), text))
                .onFailure(ctx::fail);
    }

    private void diff(RoutingContext ctx) {
        String text = Exchange.documentText(ctx);
        vertx.executeBlocking(() -> ConfigApplier.diff(store, DeclarativeDocument.parseLiteral(text),
                        snapshots::check).report(), false)
                .onSuccess(report -> Exchange.sendJson(ctx, 200, report.toJson()))
                .onFailure(ctx::fail);
    }

    private void apply(RoutingContext ctx) {
        String text = Exchange.documentText(ctx);
        AuditContext audit = RequestIds.auditContext(ctx);
        vertx.executeBlocking(() -> ConfigApplier.apply(store, DeclarativeDocument.parseLiteral(text), audit,
                        snapshots::check), false)
                .compose(report -> report.isEmpty() ? Future.succeededFuture(report) : refreshed(report))
                .onSuccess(report -> Exchange.sendJson(ctx, 200, report.toJson()))
                .onFailure(ctx::fail);
    }

    private Future<ChangeReport> refreshed(ChangeReport report) {
        LOG.info("Applied a configuration document: {} created, {} updated, {} deleted",
                report.created().size(), report.updated().size(), report.deleted().size());
        return snapshots.refreshNow().map(report).recover(cause -> {
            LOG.warn("A configuration document was applied but this node could not reload the configuration yet;"
                    + " it will pick the change up on its next poll of the store", cause);
            return Future.succeededFuture(report);
        });
    }

    /**
     * Sends the versions and the count of each kind, counting only what the caller may see. While the store is
     * unreachable, {@code storeVersion} is the version this node last read, as {@code /health/ready} shows it,
     * {@code store} is {@code unavailable} and {@code storeDetail} gives the reason. A store already known to be
     * unreachable is not read, so the response does not wait for the pool's connection timeout.
     */
    private void status(RoutingContext ctx) {
        ConfigSnapshot snapshot = snapshots.current();
        Principal principal = Principal.of(ctx);
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.put("porticoVersion", PorticoVersion.current());
        body.put("configVersion", snapshot.version());
        ObjectNode counts = body.putObject("resources");
        for (ResourceKind<?> kind : ResourceKinds.all()) {
            counts.put(kind.name(), snapshot.resources().stream()
                    .filter(resource -> resource.kind().equals(kind.name()))
                    .filter(resource -> Tenancy.sees(principal, kind, resource, snapshot))
                    .count());
        }
        if (store.knownUnreachable()) {
            storeUnavailable(body, snapshot);
            Exchange.sendJson(ctx, 200, body);
            return;
        }
        vertx.executeBlocking(store::version, false).onComplete(version -> {
            if (version.succeeded()) {
                body.put("storeVersion", version.result());
                body.put("store", "available");
            } else {
                LOG.debug("Status could not read the store version", version.cause());
                storeUnavailable(body, snapshot);
            }
            Exchange.sendJson(ctx, 200, body);
        });
    }

    /** Adds the fields of a store that could not be read: the version this node last read, and the reason. */
    private void storeUnavailable(ObjectNode body, ConfigSnapshot snapshot) {
        long lastRead = snapshots.storeVersion();
        if (lastRead < 0) {
            body.putNull("storeVersion");
        } else {
            body.put("storeVersion", lastRead);
        }
        body.put("store", "unavailable");
        if (store.knownUnreachable()) {
            body.put("storeDetail", "the configuration store is unreachable, so this node serves configuration version "
                    + snapshot.version() + ", and admin calls that read or write the store fail with 503"
                    + " store-unavailable until it is reachable again");
        } else {
            body.put("storeDetail", "reading the configuration store version failed, and this node serves"
                    + " configuration version " + snapshot.version());
        }
    }
}
