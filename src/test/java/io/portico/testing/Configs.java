package io.portico.testing;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Builds declarative configuration documents for tests. */
public final class Configs {

    private final ObjectNode document = JsonNodeFactory.instance.objectNode();

    private Configs() {
        document.putArray("services");
        document.putArray("routes");
    }

    public static Configs document() {
        return new Configs();
    }

    /** Adds a service with one target per port, all on 127.0.0.1; returns the service for more settings. */
    public ObjectNode service(String name, int... ports) {
        ObjectNode service = ((ArrayNode) document.get("services")).addObject().put("name", name);
        ArrayNode targets = service.putArray("targets");
        for (int port : ports) {
            targets.addObject().put("host", "127.0.0.1").put("port", port);
        }
        return service;
    }

    /** Adds a route with the given paths to {@code service}; returns the route for more settings. */
    public ObjectNode route(String name, String service, String... paths) {
        ObjectNode route = ((ArrayNode) document.get("routes")).addObject().put("name", name).put("service", service);
        ArrayNode list = route.putArray("paths");
        for (String path : paths) {
            list.add(path);
        }
        return route;
    }

    public ObjectNode build() {
        return document;
    }
}
