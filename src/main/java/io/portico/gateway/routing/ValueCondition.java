package io.portico.gateway.routing;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A condition on one header or query parameter of a route: an exact value, a regular expression ({@code ~})
 * that must match the whole value, or {@code *} for presence with any value. Every form fails when the header
 * or parameter is absent.
 */
final class ValueCondition {

    private final String name;
    private final String exact;
    private final Pattern regex;

    private ValueCondition(String name, String exact, Pattern regex) {
        this.name = name;
        this.exact = exact;
        this.regex = regex;
    }

    /**
     * Parses the configured {@code value} of the header or query parameter {@code name}.
     *
     * @throws IllegalArgumentException when the value is null or an invalid regular expression
     */
    static ValueCondition parse(String name, String value) {
        if (value == null) {
            throw new IllegalArgumentException("the condition on '" + name + "' has no value");
        }
        if (value.equals("*")) {
            return new ValueCondition(name, null, null);
        }
        if (value.startsWith("~")) {
            try {
                return new ValueCondition(name, null, Pattern.compile(value.substring(1)));
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("the condition on '" + name
                        + "' is not a valid regular expression: " + e.getDescription(), e);
            }
        }
        return new ValueCondition(name, value, null);
    }

    /** Returns the header or query parameter name that this condition reads. */
    String name() {
        return name;
    }

    /** Returns whether {@code actual}, the request's value or null when absent, satisfies this condition. */
    boolean test(String actual) {
        if (actual == null) {
            return false;
        }
        if (exact != null) {
            return exact.equals(actual);
        }
        return regex == null || regex.matcher(actual).matches();
    }
}
