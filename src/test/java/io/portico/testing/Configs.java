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

    /** Adds a model provider with one key per entry of {@code keys}; returns the provider for more settings. */
    public ObjectNode provider(String name, String type, String baseUrl, String... keys) {
        ObjectNode provider = list("providers").addObject().put("name", name).put("type", type)
                .put("baseUrl", baseUrl);
        ArrayNode list = provider.putArray("keys");
        for (String key : keys) {
            list.addObject().put("key", key);
        }
        return provider;
    }

    /** Adds a virtual model served by {@code targets}, each written {@code provider/model}. */
    public ObjectNode model(String name, String strategy, String... targets) {
        ObjectNode model = list("models").addObject().put("name", name).put("strategy", strategy);
        ArrayNode list = model.putArray("targets");
        for (String target : targets) {
            int slash = target.indexOf('/');
            list.addObject().put("provider", target.substring(0, slash)).put("model", target.substring(slash + 1));
        }
        return model;
    }

    /** Adds an AI route on {@code paths} that strips them, so the endpoints live below each path. */
    public ObjectNode aiRoute(String name, String... paths) {
        ObjectNode route = ((ArrayNode) document.get("routes")).addObject().put("name", name);
        ArrayNode list = route.putArray("paths");
        for (String path : paths) {
            list.add(path);
        }
        route.putObject("ai");
        return route;
    }

    private ArrayNode list(String kind) {
        if (!document.has(kind)) {
            document.putArray(kind);
        }
        return (ArrayNode) document.get(kind);
    }

    /** Adds an object named {@code name} to the list of resources of {@code kind}, such as teams or consumers. */
    public ObjectNode resource(String kind, String name) {
        ArrayNode list = document.has(kind) ? (ArrayNode) document.get(kind) : document.putArray(kind);
        return list.addObject().put("name", name);
    }

    public ObjectNode build() {
        return document;
    }
}
