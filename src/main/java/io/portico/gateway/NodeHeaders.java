package io.portico.gateway;

import io.portico.config.Errors;
import io.portico.config.HeaderNames;
import io.portico.config.RouteSpec;
import io.portico.config.RouteSpec.HeaderOperations;
import io.portico.node.NodeConfig;
import java.util.HashMap;
import java.util.Map;

/**
 * The headers that a node's settings name and that it sets itself: the identity headers on every proxied request,
 * and the request id header on every request and response. Route header operations must not name them, because
 * upstreams trust them. Unlike the names in {@link HeaderNames}, these differ from node to node, so each node checks
 * them when it compiles a configuration, which includes the admin API's check of every change. Names are compared
 * in {@link HeaderNames#canonical} form, so {@code X_Consumer_Name} counts as {@code X-Consumer-Name} and the other
 * way round.
 *
 * @param request the message for each header of the forwarded request, by canonical name
 * @param response the message for each header of the response, by canonical name
 */
record NodeHeaders(Map<String, String> request, Map<String, String> response) {

    NodeHeaders {
        request = Map.copyOf(request);
        response = Map.copyOf(response);
    }

    /** Returns the headers that {@code node} names in {@code identityHeaders} and {@code requestIdHeader}. */
    static NodeHeaders of(NodeConfig node) {
        Map<String, String> request = new HashMap<>();
        node.identityHeaders().byRole().forEach((role, name) -> request.put(HeaderNames.canonical(name),
                "is the identity header identityHeaders." + role + " of this node, which Portico sets from the"
                + " authenticated identity so that upstreams can trust it" + HeaderNames.CANNOT_CHANGE));
        String requestId = "is the request id header (requestIdHeader) of this node, which Portico sets on every"
                + " request and response" + HeaderNames.CANNOT_CHANGE;
        String requestIdName = HeaderNames.canonical(node.requestIdHeader());
        request.put(requestIdName, requestId);
        return new NodeHeaders(request, Map.of(requestIdName, requestId));
    }

    /** Records each header operation of {@code route} that names one of these headers into {@code errors}. */
    void check(RouteSpec route, Errors errors) {
        check(route.requestHeaders(), request, errors.at("requestHeaders"));
        check(route.responseHeaders(), response, errors.at("responseHeaders"));
    }

    private static void check(HeaderOperations operations, Map<String, String> messages, Errors errors) {
        if (operations == null) {
            return;
        }
        operations.forEachName((field, name) -> {
            String message = name == null ? null : messages.get(HeaderNames.canonical(name));
            if (message != null) {
                errors.add(field, message);
            }
        });
    }
}
