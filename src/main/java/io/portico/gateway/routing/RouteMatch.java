package io.portico.gateway.routing;

import static java.util.Objects.requireNonNull;

import io.portico.config.RouteSpec;
import java.util.Map;

/**
 * The route that a {@link Router} selected for a request, with what its matching path pattern captured.
 *
 * @param route the selected route
 * @param pathParameters the values of a template's {@code {name}} segments, or of a regular expression's named
 *     groups that took part in the match; empty otherwise. Values are taken from the path without segment
 *     {@code ;parameters}, as it was matched, and without percent-decoding.
 * @param matchedPrefix the part of the path that {@code stripPrefix} removes: the prefix as written for a
 *     prefix path (for example {@code /api} or {@code /api/}), the leading literal segments for a template (for
 *     example {@code /pets} for {@code /pets/{id}}), and {@code ""} for exact paths, regular expressions and
 *     routes without paths. {@code stripPrefix} removes these segments together with their {@code ;parameters}.
 */
public record RouteMatch(RouteSpec route, Map<String, String> pathParameters, String matchedPrefix) {

    public RouteMatch {
        requireNonNull(route, "route");
        pathParameters = Map.copyOf(pathParameters);
        requireNonNull(matchedPrefix, "matchedPrefix");
    }
}
