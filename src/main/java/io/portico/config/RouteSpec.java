package io.portico.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.net.RequestTargets;
import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A route: which requests it matches and what Portico does with them.
 *
 * <p>Path syntax: {@code =/health} matches exactly, {@code /pets/{id}} is a template whose {@code {name}}
 * matches one non-empty segment, {@code ~^/v[0-9]+/} is a regular expression searched in the path, and any
 * other path such as {@code /api} is a prefix matched on segment boundaries ({@code /api} and {@code /api/x},
 * never {@code /apix}). A template matches the whole path, and each parameter fills a whole segment under a
 * name used once in that path. A prefix written with a trailing slash ({@code /api/}) requires that slash
 * ({@code /api/} and {@code /api/x}, not {@code /api}), so the prefix {@code /} matches every path. Request
 * paths are matched without the {@code ;parameters} of their segments, so no path, regular expressions
 * included, may contain {@code ;}. A host
 * {@code *.example.com} matches sub-domains at any depth ({@code a.example.com}, {@code a.b.example.com}) but
 * not {@code example.com} itself. Header and query values are exact unless they start with {@code ~} (a
 * regular expression that must match the whole value) or are {@code *} (present with any value). When several
 * routes match a request, the order is the one described in {@code docs/routing.md}.
 *
 * @param hosts host names, exact or with a leading {@code *.} wildcard; any host when empty
 * @param paths path patterns; any path when empty
 * @param methods HTTP methods; any method when empty
 * @param priority higher priorities are tried first; 0 when absent
 * @param service name of the upstream service that receives the traffic
 * @param stripPrefix removes the matched prefix (or the literal start of a template) before forwarding
 * @param rewrite a regular expression replacement applied to the forwarded path
 * @param preserveHost forwards the client's Host header instead of the target's address
 * @param maxBodySize largest request body in bytes; the node's default when absent
 * @param policies policies applied to this route, in order, each with its own configuration
 * @param ai makes this an AI route, served by model providers instead of {@code service}
 * @param api the API this route belongs to: its subscriptions and policies apply; none when absent
 * @param oauth makes this route Portico's OAuth 2.0 authorization server (token and key set endpoints) instead of
 *     a proxy to {@code service}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ExactlyOne({"service", "ai", "oauth"})
public record RouteSpec(
        @Required @Matches(value = Names.PATTERN, message = Names.MESSAGE) String name,
        List<String> hosts,
        List<String> paths,
        @OneOf(value = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT"},
                ignoreCase = true) List<String> methods,
        Map<String, String> headers,
        Map<String, String> query,
        Integer priority,
        @Matches(value = Names.PATTERN, message = Names.REFERENCE_MESSAGE) String service,
        Boolean stripPrefix,
        Rewrite rewrite,
        HeaderOperations requestHeaders,
        HeaderOperations responseHeaders,
        Boolean preserveHost,
        @Range(min = 0) Long maxBodySize,
        List<PolicyRef> policies,
        AiRoute ai,
        @Matches(value = Names.PATTERN, message = Names.REFERENCE_MESSAGE) String api,
        OAuthRoute oauth) {

    /** The HTTP methods that a route may list: the values of the {@link OneOf} rule of {@code methods}. */
    static final Set<String> METHODS = methodNames();
    private static final Pattern TEMPLATE_PARAM = Pattern.compile("\\{[A-Za-z_][A-Za-z0-9_]*}");

    public RouteSpec {
        hosts = hosts == null ? List.of() : hosts.stream().map(h -> h.toLowerCase(Locale.ROOT)).toList();
        paths = paths == null ? List.of() : List.copyOf(paths);
        methods = methods == null ? List.of() : methods.stream().map(m -> m.toUpperCase(Locale.ROOT)).toList();
        headers = headers == null ? Map.of() : Map.copyOf(headers);
        query = query == null ? Map.of() : Map.copyOf(query);
        priority = priority == null ? 0 : priority;
        stripPrefix = stripPrefix != null && stripPrefix;
        preserveHost = preserveHost != null && preserveHost;
        policies = policies == null ? List.of() : List.copyOf(policies);
    }

    /** Replaces the first match of {@code regex} in the forwarded path with {@code replacement} ($1 groups). */
    public record Rewrite(@Required String regex, @Required String replacement) {
    }

    /**
     * Header changes: {@code add} appends a value, {@code set} replaces all values, {@code remove} deletes. None may
     * name a header that Portico sets itself ({@link HeaderNames}).
     */
    public record HeaderOperations(Map<String, String> add, Map<String, String> set, List<String> remove) {
        public HeaderOperations {
            add = add == null ? Map.of() : Map.copyOf(add);
            set = set == null ? Map.of() : Map.copyOf(set);
            remove = remove == null ? List.of() : List.copyOf(remove);
        }

        /**
         * Calls {@code action} with the field and the header name of each operation, such as {@code set.X-Name} and
         * {@code X-Name}, or {@code remove[0]} and the name it removes.
         */
        public void forEachName(BiConsumer<String, String> action) {
            add.keySet().forEach(name -> action.accept("add." + name, name));
            set.keySet().forEach(name -> action.accept("set." + name, name));
            for (int i = 0; i < remove.size(); i++) {
                action.accept("remove[" + i + "]", remove.get(i));
            }
        }
    }

    /**
     * The AI settings of a route: it answers the OpenAI- and Anthropic-compatible endpoints below its path.
     *
     * @param models the model names this route may serve: virtual model names, {@code provider/model},
     *     {@code provider/*} or {@code *}; every model when empty
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record AiRoute(
            @Matches(value = FieldRules.NOT_BLANK, message = FieldRules.NOT_BLANK_MESSAGE) List<String> models) {
        public AiRoute {
            models = models == null ? List.of() : List.copyOf(models);
        }
    }

    /**
     * The authorization server settings of a route: it answers {@code POST .../token} (the client-credentials
     * grant) and {@code GET .../jwks.json} (the public signing keys) below its paths. The routes of one issuer
     * share one set of signing keys per algorithm, and routes of different issuers never share keys.
     *
     * @param issuer the {@code iss} claim of issued tokens, which {@code jwt} policies name to trust them
     * @param audience the {@code aud} claim of issued tokens; none when empty
     * @param tokenTtl how long an issued token is valid; 1 hour when absent, at most 24 hours
     * @param algorithm {@code RS256} or {@code ES256}; {@code RS256} when absent
     * @param keyRotation how long a signing key signs before a successor replaces it; 30 days when absent
     * @param keyPublication how long a new signing key is published before it signs; 1 hour when absent
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record OAuthRoute(@Required String issuer,
                             @Matches(value = FieldRules.NOT_BLANK, message = FieldRules.NOT_BLANK_MESSAGE)
                             List<String> audience,
                             @Range(min = 1, max = 86_400_000) Duration tokenTtl,
                             @OneOf({"RS256", "ES256"}) String algorithm,
                             @Range(min = 60_000) Duration keyRotation,
                             Duration keyPublication) {

        public static final Duration DEFAULT_TOKEN_TTL = Duration.ofHours(1);
        public static final String DEFAULT_ALGORITHM = "RS256";
        public static final Duration DEFAULT_KEY_ROTATION = Duration.ofDays(30);
        public static final Duration DEFAULT_KEY_PUBLICATION = Duration.ofHours(1);

        public OAuthRoute {
            audience = audience == null ? List.of() : List.copyOf(audience);
            tokenTtl = tokenTtl == null ? DEFAULT_TOKEN_TTL : tokenTtl;
            algorithm = algorithm == null ? DEFAULT_ALGORITHM : algorithm;
            keyRotation = keyRotation == null ? DEFAULT_KEY_ROTATION : keyRotation;
            keyPublication = keyPublication == null ? DEFAULT_KEY_PUBLICATION : keyPublication;
        }

        void validate(Errors errors) {
            FieldRules.check(this, errors);
            errors.check(!keyPublication.isNegative() && keyPublication.compareTo(keyRotation) < 0,
                    "keyPublication", "must not be negative and must be shorter than keyRotation");
        }
    }

    /** A policy attached to a route: its type name (for example {@code rate-limit}) and its configuration. */
    public record PolicyRef(@Required @PolicyType String name, ObjectNode config) {
    }

    /** Records every invalid field of this route into {@code errors}. */
    public void validate(Errors errors) {
        FieldRules.check(this, errors);
        if (oauth != null) {
            oauth.validate(errors.at("oauth"));
        }
        if (ai != null) {
            FieldRules.check(ai, errors.at("ai"));
        }

        for (int i = 0; i < hosts.size(); i++) {
            errors.check(isRouteHost(hosts.get(i)), "hosts[" + i + "]", "must be a host name of dot-separated labels"
                    + " (letters, digits, '-' and '_'), optionally starting with '*.', or an IPv4 address");
        }
        for (int i = 0; i < paths.size(); i++) {
            validatePath(errors, "paths[" + i + "]", paths.get(i));
        }
        headers.forEach((key, value) -> {
            errors.check(HeaderNames.isToken(key), key.isEmpty() ? "headers" : "headers." + key,
                    "'" + key + "' is not a header name: use letters, digits and !#$%&'*+-.^_`|~");
            validateValue(errors, "headers." + key, value);
        });
        query.forEach((key, value) -> validateValue(errors, "query." + key, value));

        if (rewrite != null) {
            validateRewrite(errors.at("rewrite"));
        }
        validateHeaderOperations(errors.at("requestHeaders"), requestHeaders, HeaderNames::requestOperationProblem);
        validateHeaderOperations(errors.at("responseHeaders"), responseHeaders, HeaderNames::responseOperationProblem);
        validatePolicies(errors, policies);
    }

    private static Set<String> methodNames() {
        for (RecordComponent component : RouteSpec.class.getRecordComponents()) {
            if (component.getName().equals("methods")) {
                return Set.of(component.getAnnotation(OneOf.class).value());
            }
        }
        throw new IllegalStateException("RouteSpec has no methods component");
    }

    /** Records every invalid entry of a policy list into {@code errors}, under {@code policies[i]}. */
    static void validatePolicies(Errors errors, List<PolicyRef> policies) {
        for (int i = 0; i < policies.size(); i++) {
            PolicyRef policy = policies.get(i);
            Errors at = errors.at("policies", i);
            if (policy == null) {
                at.add("name", "is required");
                continue;
            }
            FieldRules.check(policy, at);
            if (policy.name() != null) {
                PolicyValidator.current().validate(policy.name(), policy.config(), at);
            }
        }
    }

    private static void validatePath(Errors errors, String field, String path) {
        if (path == null || path.isEmpty()) {
            errors.add(field, "must not be empty");
        } else if (path.startsWith("~")) {
            validatePathRegex(errors, field, path.substring(1));
        } else if (path.indexOf(';') >= 0) {
            errors.add(field, "must not contain ';': routes match request paths without the ;parameters of their"
                    + " segments, so this path would never match; write %3B for a literal semicolon");
        } else if (RequestTargets.pathProblem(path) != null) {
            // Request paths with such characters are rejected before routing, so the route would never match.
            errors.add(field, RequestTargets.pathProblem(path));
        } else if (path.startsWith("=")) {
            errors.check(path.startsWith("=/"), field, "an exact path must start with '=/'");
        } else if (!path.startsWith("/")) {
            errors.add(field, "must start with '/', '=/' (exact) or '~' (regular expression)");
        } else if (path.contains("{")) {
            String rest = TEMPLATE_PARAM.matcher(path).replaceAll("");
            if (rest.contains("{") || rest.contains("}")) {
                errors.add(field, "template parameters must look like {name} with letters, digits or '_'");
            } else {
                validateTemplateSegments(errors, field, path);
            }
        }
    }

    /**
     * Rejects a path regular expression with a {@code ;} anywhere, escaped or in a character class included. Routes
     * match the path without the ;parameters of its segments, so a {@code ;} the expression requires never matches,
     * and one in a negated class such as {@code [^;/]} changes nothing.
     */
    private static void validatePathRegex(Errors errors, String field, String regex) {
        // NOTE: an escape that names the character by its code, such as \x3B or \073, is not detected.
        if (regex.indexOf(';') >= 0) {
            errors.add(field, "must not contain ';': routes match request paths without the ;parameters of their"
                    + " segments, so no request path contains a ';' to match; write %3B for a literal semicolon");
            return;
        }
        validateRegex(errors, field, regex);
    }

    private static void validateTemplateSegments(Errors errors, String field, String path) {
        Set<String> names = new HashSet<>();
        for (String segment : path.substring(1).split("/", -1)) {
            if (TEMPLATE_PARAM.matcher(segment).matches()) {
                errors.check(names.add(segment), field, "template parameter " + segment + " is used twice");
            } else if (segment.contains("{")) {
                errors.add(field, "a template parameter must be a whole segment, as in /pets/{id}, not '"
                        + segment + "'");
            }
        }
    }

    private void validateRewrite(Errors errors) {
        FieldRules.check(rewrite, errors);
        if (rewrite.regex() == null || rewrite.replacement() == null) {
            return;
        }
        Pattern pattern;
        try {
            pattern = Pattern.compile(rewrite.regex());
        } catch (PatternSyntaxException e) {
            errors.add("regex", "is not a valid regular expression: " + e.getDescription());
            return;
        }
        String problem = replacementProblem(rewrite.replacement(), pattern);
        if (problem != null) {
            errors.add("replacement", problem);
        }
    }

    /**
     * Returns what is wrong with {@code replacement} for {@code pattern}, or null. Checked here because
     * {@link Matcher#replaceFirst} only resolves group references once the pattern matches a request. The literal
     * text must also be valid in a request path, because it is forwarded as written. The text of a group comes from
     * the request path, which the gateway has checked already, so each group reference counts as a letter here.
     */
    private static String replacementProblem(String replacement, Pattern pattern) {
        int groups = pattern.matcher("").groupCount();
        StringBuilder literal = new StringBuilder(replacement.length());
        for (int i = 0; i < replacement.length(); i++) {
            char c = replacement.charAt(i);
            if (c == '\\') {
                i++;
                if (i == replacement.length()) {
                    return "must not end with a lone backslash";
                }
                literal.append(replacement.charAt(i));
            } else if (c == '$') {
                if (i + 1 == replacement.length()) {
                    return "must not end with a lone '$'; write \\$ for a literal dollar sign";
                }
                char next = replacement.charAt(i + 1);
                if (next >= '0' && next <= '9' && next - '0' > groups) {
                    return "refers to group " + next + ", but the regular expression has " + groups + " group(s)";
                }
                if (next == '{') {
                    int end = replacement.indexOf('}', i);
                    String name = end < 0 ? "" : replacement.substring(i + 2, end);
                    if (!pattern.pattern().contains("(?<" + name + ">")) {
                        return "refers to group '" + name + "', which the regular expression does not name";
                    }
                    i = end;
                } else if (next < '0' || next > '9') {
                    return "has '$' not followed by a group number or {name}; write \\$ for a literal dollar sign";
                } else {
                    i++;
                }
                literal.append('g');
            } else {
                literal.append(c);
            }
        }
        String problem = RequestTargets.pathProblem(literal.toString());
        return problem == null ? null : "must produce a valid request path, but it " + problem;
    }

    /**
     * Records the invalid operations of {@code operations}: names that are not header names or that
     * {@code reserved} returns a problem for, and values that could not be written in a header.
     */
    private static void validateHeaderOperations(Errors errors, HeaderOperations operations,
                                                 Function<String, String> reserved) {
        if (operations == null) {
            return;
        }
        operations.add().forEach((name, value) -> validateHeaderValue(errors.at("add"), name, value));
        operations.set().forEach((name, value) -> validateHeaderValue(errors.at("set"), name, value));
        operations.forEachName((field, name) -> {
            if (!HeaderNames.isToken(name)) {
                errors.add(field, "must be a header name: letters, digits and !#$%&'*+-.^_`|~");
                return;
            }
            String problem = reserved.apply(name);
            if (problem != null) {
                errors.add(field, problem);
            }
        });
    }

    private static void validateHeaderValue(Errors errors, String name, String value) {
        if (value == null) {
            errors.add(name, "must have a value");
            return;
        }
        if (!HeaderValues.isValid(value)) {
            errors.add(name, HeaderValues.INVALID);
        }
    }

    private static boolean isRouteHost(String host) {
        if (host.startsWith("*.")) {
            return HostNames.isDnsName(host.substring(2));
        }
        return HostNames.isDnsName(host) || HostNames.isIpv4(host);
    }

    private static void validateValue(Errors errors, String field, String value) {
        if (value == null) {
            errors.add(field, "must not be null");
        } else if (value.startsWith("~")) {
            validateRegex(errors, field, value.substring(1));
        }
    }

    private static void validateRegex(Errors errors, String field, String regex) {
        try {
            Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            errors.add(field, "is not a valid regular expression: " + e.getDescription());
        }
    }
}
