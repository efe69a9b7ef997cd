package io.portico.policy.cache;

import io.portico.pipeline.RequestContext;
import io.vertx.core.MultiMap;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Builds cache keys from the parts of a request that a policy names. A key is the route name followed by one
 * space-separated token per part, in the configured order:
 *
 * <table>
 *   <caption>Key parts</caption>
 *   <tr><th>part</th><th>token</th></tr>
 *   <tr><td>{@code method}</td><td>{@code GET}, for HEAD requests too, which a stored GET response serves</td></tr>
 *   <tr><td>{@code host}</td><td>the requested host, lower-case, without port</td></tr>
 *   <tr><td>{@code path}</td><td>the normalised path</td></tr>
 *   <tr><td>{@code query}</td><td>{@code ?} and the query parameters sent upstream sorted by name, so their
 *       order does not matter</td></tr>
 *   <tr><td>{@code query:NAME}</td><td>{@code NAME=} and the values of the parameter sent upstream</td></tr>
 *   <tr><td>{@code header:NAME}</td><td>{@code name=} and the values of the header sent upstream</td></tr>
 *   <tr><td>{@code consumer}</td><td>{@code consumer=} and the authenticated consumer, {@code -} when
 *       anonymous</td></tr>
 * </table>
 * Header values, parameter values, the host and the consumer are percent-encoded, and the path and query keep the
 * client's encoding, so a key never contains a space inside a token. Query and headers are read from the
 * {@link ForwardedRequest}, so a credential that an authentication policy removed is not in the key, and a client
 * cannot forge an identity header. With the default parts, the key of {@code GET https://shop.example/items/1?b=2&a=1}
 * from consumer {@code alice} on route {@code shop} is {@code shop GET shop.example /items/1 ?a=1&b=2 consumer=alice}.
 */
final class CacheKeys {

    private final List<String> parts;

    CacheKeys(List<String> parts) {
        this.parts = List.copyOf(parts);
    }

    /** Returns the key of {@code ctx}'s request on its route, whose forwarded form is {@code forwarded}. */
    String primary(RequestContext ctx, ForwardedRequest forwarded) {
        StringBuilder key = new StringBuilder(96).append(ctx.route().name());
        for (String part : parts) {
            key.append(' ');
            switch (part) {
                case "method" -> key.append("GET");
                case "host" -> key.append(ctx.host().isEmpty() ? "-" : encode(ctx.host()));
                case "path" -> key.append(ctx.path().replace(" ", "%20"));
                case "query" -> key.append('?').append(sortedQuery(forwarded.query()));
                case "consumer" -> key.append("consumer=").append(ctx.consumer() == null ? "-"
                        : encode(ctx.consumer()));
                default -> named(key, part, forwarded);
            }
        }
        return key.toString();
    }

    /**
     * Returns the key of the variant of {@code primary} that the forwarded request's values of the marker's names
     * select: {@code primary}, {@code vary:} and the marker's generation in hexadecimal, then one {@code name=value}
     * token per name.
     */
    static String variant(String primary, StoredResponse marker, MultiMap forwardedHeaders) {
        return variant(primary, marker.generation(), selection(marker.varyNames(), forwardedHeaders));
    }

    /** Returns the key of the variant of {@code primary} in {@code generation} that {@code selection} names. */
    static String variant(String primary, long generation, String selection) {
        return primary + " vary:" + Long.toHexString(generation) + selection;
    }

    /** Returns the tokens of {@code headers}' values of {@code varyNames}, each a space and {@code name=value}. */
    static String selection(List<String> varyNames, MultiMap headers) {
        StringBuilder tokens = new StringBuilder();
        for (String name : varyNames) {
            tokens.append(' ').append(name).append('=').append(encode(headerValues(headers, name)));
        }
        return tokens.toString();
    }

    private static void named(StringBuilder key, String part, ForwardedRequest forwarded) {
        int colon = part.indexOf(':');
        String name = part.substring(colon + 1);
        if (part.startsWith("header:")) {
            String lower = name.toLowerCase(Locale.ROOT);
            key.append(lower).append('=').append(encode(headerValues(forwarded.headers(), lower)));
        } else {
            key.append(name).append('=').append(encode(String.join(",", forwarded.params(name))));
        }
    }

    /** Returns every value of header {@code name} joined by commas, with the spaces around each trimmed. */
    static String headerValues(MultiMap headers, String name) {
        List<String> values = headers.getAll(name);
        if (values.isEmpty()) {
            return "";
        }
        List<String> trimmed = new ArrayList<>(values.size());
        for (String value : values) {
            for (String item : value.split(",")) {
                trimmed.add(item.trim());
            }
        }
        return String.join(",", trimmed);
    }

    private static String sortedQuery(String query) {
        if (query == null || query.isEmpty()) {
            return "";
        }
        String[] pairs = query.split("&");
        // Stable sort by name only, so repeated parameters keep their relative order, which may matter.
        Arrays.sort(pairs, (a, b) -> name(a).compareTo(name(b)));
        return String.join("&", pairs).replace(" ", "%20");
    }

    private static String name(String pair) {
        int equals = pair.indexOf('=');
        return equals < 0 ? pair : pair.substring(0, equals);
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
