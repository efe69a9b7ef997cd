package io.portico.ai.spi;

import static java.util.Objects.requireNonNull;

import io.portico.ai.catalog.ModelCatalog;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;

/**
 * What adapters may use besides the request: the Vert.x instance for timers, the HTTP client for calls of their
 * own (such as token exchanges), and the model catalog.
 */
public record AdapterContext(Vertx vertx, HttpClient client, ModelCatalog catalog) {

    public AdapterContext {
        requireNonNull(vertx, "vertx");
        requireNonNull(client, "client");
        requireNonNull(catalog, "catalog");
    }
}
