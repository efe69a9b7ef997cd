package io.portico.oauth;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.http.HttpServerResponse;

/** Writes the token endpoint's JSON responses (RFC 6749 section 5), which caches must never store. */
final class OAuthResponses {

    private OAuthResponses() {
    }

    /** Sends {@code body} with {@code status} as JSON, unless the response has already started. */
    static void json(HttpServerResponse response, int status, ObjectNode body) {
        if (response.headWritten()) {
            return;
        }
        response.setStatusCode(status)
                .putHeader("content-type", "application/json")
                .putHeader("cache-control", "no-store")
                .putHeader("pragma", "no-cache")
                .end(body.toString());
    }

    /**
     * Sends an error response of RFC 6749 section 5.2: {@code {"error": code, "error_description": description}}.
     */
    static void error(HttpServerResponse response, int status, String code, String description) {
        ObjectNode body = JsonNodeFactory.instance.objectNode().put("error", code);
        if (description != null) {
            body.put("error_description", description);
        }
        json(response, status, body);
    }
}
