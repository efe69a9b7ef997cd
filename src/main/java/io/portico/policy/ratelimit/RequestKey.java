package io.portico.policy.ratelimit;

import com.fasterxml.jackson.databind.JsonNode;
import io.portico.config.HeaderNames;
import io.portico.pipeline.Identity;
import io.portico.pipeline.ModelPolicies;
import io.portico.pipeline.RequestContext;
import io.portico.redis.KeyDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * The key a limit counts per: a list of parts, each read from the request, joined into one text such as
 * {@code consumer=alice|route=orders}. An empty list gives every request the same key. Local counters use the text
 * itself, or its {@link KeyDigest} when it is longer than {@value #MAX_PLAIN_LENGTH} characters, which bounds the
 * memory one key takes. Redis key names always carry the digest ({@link RedisCounters#keys}), so that no key listing
 * shows the header values, claims or addresses the text contains.
 *
 * <p>A part whose value is missing (no consumer on an anonymous request, an absent header or claim, no model)
 * is replaced by the client address, written {@code client-address=ADDRESS}, so that leaving something out of a
 * request never escapes the limit.
 *
 * <p>An IPv6 client address, in a {@code client-address} part or in place of a missing part, counts as its network
 * of {@code ipv6Prefix} bits ({@link RequestContext#clientNetwork}), because one subscriber usually gets a whole
 * /64 and could otherwise use a new address for each request.
 */
final class RequestKey {

    /** Texts longer than this are replaced by their digest. */
    static final int MAX_PLAIN_LENGTH = 200;
    /** The start of a key that is the digest of a long text; no text starts with it, since labels end with '='. */
    static final String DIGEST_PREFIX = "sha256:";
    /** The part names without an argument, as written in configuration. */
    static final List<String> SIMPLE_PARTS = List.of("consumer", "team", "credential", "api", "route",
            "client-address", "model");
    /** The parts whose value comes from the identity that authentication establishes. */
    private static final List<String> IDENTITY_PARTS = List.of("consumer", "team", "credential", "claim");
    private static final String CLIENT_ADDRESS = "client-address";
    private static final String CLIENT_ADDRESS_LABEL = CLIENT_ADDRESS + "=";
    /** The {@code ipv6Prefix} setting when absent: the /64 that one subscriber's network usually is. */
    static final int DEFAULT_IPV6_PREFIX = 64;

    private final List<String> parts;
    private final List<String> arguments;
    /** The text before each part's value in the key, such as {@code header:x-tenant=}. */
    private final String[] labels;
    /** The prefix length that IPv6 client addresses are counted by, from 1 to 128. */
    private final int ipv6Prefix;

    private RequestKey(List<String> parts, List<String> arguments, int ipv6Prefix) {
        this.parts = parts;
        this.arguments = arguments;
        this.ipv6Prefix = ipv6Prefix;
        this.labels = new String[parts.size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = arguments.get(i) == null ? parts.get(i) + "=" : parts.get(i) + ":" + arguments.get(i) + "=";
        }
    }

    /**
     * Parses part specifications such as {@code consumer} or {@code header:X-Tenant}, checked by {@link #check}.
     *
     * @param ipv6Prefix the prefix length that IPv6 client addresses are counted by, checked by
     *     {@link #checkIpv6Prefix}
     */
    static RequestKey parse(List<String> specifications, int ipv6Prefix) {
        List<String> parts = new ArrayList<>();
        List<String> arguments = new ArrayList<>();
        for (String specification : specifications) {
            int colon = specification.indexOf(':');
            String part = (colon < 0 ? specification : specification.substring(0, colon)).toLowerCase(Locale.ROOT);
            String argument = colon < 0 ? null : specification.substring(colon + 1);
            parts.add(part);
            arguments.add(part.equals("header") ? argument.toLowerCase(Locale.ROOT) : argument);
        }
        return new RequestKey(List.copyOf(parts), Collections.unmodifiableList(arguments), ipv6Prefix);
    }

    /** Returns why {@code value} is not a valid {@code ipv6Prefix} setting, or null when it is. */
    static String checkIpv6Prefix(JsonNode value) {
        if (!value.isIntegralNumber() || !value.canConvertToInt() || value.asInt() < 1 || value.asInt() > 128) {
            return "must be a whole number from 1 to 128, the prefix length that IPv6 client addresses are counted"
                    + " by (" + DEFAULT_IPV6_PREFIX + " when absent; 128 counts each address alone)";
        }
        return null;
    }

    /** Returns the {@code ipv6Prefix} setting of a configuration that {@link #checkIpv6Prefix} accepted. */
    static int ipv6Prefix(JsonNode config) {
        return config.path("ipv6Prefix").asInt(DEFAULT_IPV6_PREFIX);
    }

    /**
     * Returns the form of a valid key part that equal parts share: the part's name and a header name in lower
     * case, since both ignore case, and a claim name as written.
     */
    static String canonical(String specification) {
        int colon = specification.indexOf(':');
        if (colon < 0) {
            return specification.toLowerCase(Locale.ROOT);
        }
        String part = specification.substring(0, colon).toLowerCase(Locale.ROOT);
        String name = specification.substring(colon + 1);
        return part + ":" + (part.equals("header") ? name.toLowerCase(Locale.ROOT) : name);
    }

    /** Returns why {@code specification} is not a valid key part, or null when it is. */
    static String check(String specification) {
        int colon = specification.indexOf(':');
        String part = (colon < 0 ? specification : specification.substring(0, colon)).toLowerCase(Locale.ROOT);
        if (colon < 0) {
            return SIMPLE_PARTS.contains(part) ? null : "unknown key part '" + specification + "' (expected one of "
                    + String.join(", ", SIMPLE_PARTS) + ", header:NAME or claim:NAME)";
        }
        if (!part.equals("header") && !part.equals("claim")) {
            return "unknown key part '" + specification + "' (only header:NAME and claim:NAME take a name)";
        }
        String name = specification.substring(colon + 1);
        if (name.isEmpty()) {
            return "key part '" + specification + "' needs a name after the colon";
        }
        if (part.equals("header") && !HeaderNames.isToken(name)) {
            return "'" + name + "' is not a valid header name";
        }
        return null;
    }

    /** Returns whether a part reads the identity, so the key is complete only after authentication. */
    boolean usesIdentity() {
        return parts.stream().anyMatch(IDENTITY_PARTS::contains);
    }

    /** Returns whether a part reads the AI model, which AI routes learn only from the request body. */
    boolean usesModel() {
        return parts.contains("model");
    }

    /**
     * Returns the key of the request in {@code ctx}: its {@linkplain #text text}, or the {@link KeyDigest} of a text
     * longer than {@value #MAX_PLAIN_LENGTH} characters, written {@code sha256:DIGEST}.
     */
    String resolve(RequestContext ctx) {
        String text = text(ctx);
        return text.length() > MAX_PLAIN_LENGTH ? DIGEST_PREFIX + KeyDigest.of(text) : text;
    }

    /** Builds the text of the key of the request in {@code ctx}, such as {@code consumer=alice|route=orders}. */
    String text(RequestContext ctx) {
        if (labels.length == 0) {
            return "all";
        }
        if (labels.length == 1) {
            // The common single-part key needs one allocation when its value has nothing to escape.
            String value = value(ctx, parts.get(0), arguments.get(0));
            String label = labels[0];
            if (value == null || value.isEmpty()) {
                value = ctx.clientNetwork(ipv6Prefix);
                label = CLIENT_ADDRESS_LABEL;
            }
            if (!needsEscape(value)) {
                return label.concat(value);
            }
        }
        StringBuilder key = new StringBuilder(64);
        for (int i = 0; i < labels.length; i++) {
            if (i > 0) {
                key.append('|');
            }
            String value = value(ctx, parts.get(i), arguments.get(i));
            if (value == null || value.isEmpty()) {
                key.append(CLIENT_ADDRESS_LABEL);
                escape(ctx.clientNetwork(ipv6Prefix), key);
            } else {
                key.append(labels[i]);
                escape(value, key);
            }
        }
        return key.toString();
    }

    private String value(RequestContext ctx, String part, String argument) {
        Identity identity = ctx.identity();
        return switch (part) {
            case "consumer" -> identity == null ? null : identity.consumer();
            case "team" -> identity == null ? null : identity.team();
            case "credential" -> identity == null ? null : identity.credential();
            case "api" -> ctx.route() == null ? null : ctx.route().spec().api();
            case "route" -> ctx.route() == null ? null : ctx.route().name();
            case CLIENT_ADDRESS -> ctx.clientNetwork(ipv6Prefix);
            case "model" -> ModelPolicies.model(ctx);
            case "header" -> ctx.request().getHeader(argument);
            case "claim" -> identity == null ? null : claim(identity.claims().get(argument));
            default -> throw new IllegalStateException("unchecked key part " + part);
        };
    }

    private static String claim(Object value) {
        if (value == null) {
            return null;
        }
        if (value instanceof JsonNode node) {
            return node.isNull() ? null : node.isValueNode() ? node.asText() : node.toString();
        }
        return value.toString();
    }

    private static boolean needsEscape(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '%' || c == '|') {
                return true;
            }
        }
        return false;
    }

    /**
     * Appends {@code value} with {@code %} and {@code |} percent-encoded, so no value can imitate the separator
     * between parts and two different requests never share a text.
     */
    private static void escape(String value, StringBuilder out) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '%' -> out.append("%25");
                case '|' -> out.append("%7C");
                default -> out.append(c);
            }
        }
    }

    /**
     * Returns the partition key for the {@code pk} parameter of a key that {@link #resolve} returned: the first 12
     * bytes of the SHA-256 digest of the key.
     */
    static byte[] partitionKey(String key) {
        return Arrays.copyOf(KeyDigest.bytes(key), 12);
    }

    @Override
    public String toString() {
        List<String> specifications = new ArrayList<>();
        for (int i = 0; i < parts.size(); i++) {
            specifications.add(arguments.get(i) == null ? parts.get(i) : parts.get(i) + ":" + arguments.get(i));
        }
        return specifications.toString();
    }
}
