package io.portico.gateway.routing;

import io.portico.config.RouteSpec;
import java.util.Map;

/**
 * A route with its method, header and query conditions and its path rewriting compiled for matching.
 *
 * @param spec the route as configured
 * @param index position of the route in the collection given to {@link Router#compile}, the last tie-breaker
 */
record CompiledRoute(RouteSpec spec, int index, String[] methods, ValueCondition[] headers,
        ValueCondition[] query, PathRewriter rewriter) {

    /**
     * Compiles the conditions and rewriting of {@code spec}.
     *
     * @throws IllegalArgumentException when a condition or the rewrite is invalid
     */
    static CompiledRoute compile(RouteSpec spec, int index) {
        return new CompiledRoute(spec, index, spec.methods().toArray(String[]::new),
                conditions(spec.headers()), conditions(spec.query()), PathRewriter.of(spec));
    }

    private static ValueCondition[] conditions(Map<String, String> values) {
        return values.entrySet().stream()
                .map(entry -> ValueCondition.parse(entry.getKey(), entry.getValue()))
                .toArray(ValueCondition[]::new);
    }

    /** Returns the number of conditions besides host and path: 1 for a method list, plus headers and query. */
    int conditionCount() {
        return (methods.length > 0 ? 1 : 0) + headers.length + query.length;
    }

    /** Returns whether the method, header and query conditions of this route hold for {@code request}. */
    boolean conditionsHold(RequestView request) {
        return methodMatches(request.method()) && headersMatch(request) && queryMatches(request);
    }

    private boolean methodMatches(String method) {
        if (methods.length == 0) {
            return true;
        }
        for (String allowed : methods) {
            if (allowed.equals(method)) {
                return true;
            }
        }
        return false;
    }

    private boolean headersMatch(RequestView request) {
        for (ValueCondition condition : headers) {
            if (!condition.test(request.header(condition.name()))) {
                return false;
            }
        }
        return true;
    }

    private boolean queryMatches(RequestView request) {
        for (ValueCondition condition : query) {
            if (!condition.test(request.queryParameter(condition.name()))) {
                return false;
            }
        }
        return true;
    }
}
