package io.portico.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A consumer: an application or agent that calls Portico's APIs with one or more credentials.
 *
 * @param name the consumer's unique name, sent upstream as its identity
 * @param team the team that owns the consumer
 * @param description free text
 * @param disabled rejects every credential of the consumer at once while true
 * @param labels free key-value pairs, usable as rate-limit keys and identity headers
 * @param access the routes, methods and AI models the consumer may use; everything when absent
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ConsumerSpec(@Required @Matches(value = Names.PATTERN, message = Names.MESSAGE) String name,
                           @Required @Matches(value = Names.PATTERN, message = Names.REFERENCE_MESSAGE) String team,
                           String description, Boolean disabled, Map<String, String> labels, Access access) {

    public ConsumerSpec {
        disabled = disabled != null && disabled;
        labels = labels == null ? Map.of() : Map.copyOf(labels);
    }

    /**
     * The limits on what a consumer may call once authenticated. Each part is checked on its own, and every part
     * must allow the request.
     *
     * @param routes the routes the consumer may call, by route name
     * @param methods the HTTP methods the consumer may use; every method when empty
     * @param models the AI models the consumer may use: requested names and the {@code provider/model} of every
     *     target that may serve them
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Access(
            AccessList routes,
            @OneOf(value = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT"},
                    ignoreCase = true) List<String> methods,
            AccessList models) {

        public Access {
            routes = routes == null ? AccessList.ANY : routes;
            methods = methods == null ? List.of()
                    : methods.stream().map(method -> method == null ? null : method.toUpperCase(Locale.ROOT))
                            .toList();
            models = models == null ? AccessList.ANY : models;
        }

        /** Returns true when {@code method}, upper case, is allowed. */
        public boolean allowsMethod(String method) {
            return methods.isEmpty() || methods.contains(method);
        }

        void validate(Errors errors) {
            FieldRules.check(routes, errors.at("routes"));
            FieldRules.check(models, errors.at("models"));
            FieldRules.check(this, errors);
        }
    }

    /**
     * Allow and deny lists of names. A pattern is a name, a prefix followed by {@code *} (for example
     * {@code openai/*} or {@code orders-*}), or {@code *} for every name. A name matching a deny pattern is denied
     * whatever the allow list contains. Any other name is allowed when the allow list is empty or one of its
     * patterns matches.
     *
     * @param allow the patterns of allowed names; every name when empty
     * @param deny the patterns of denied names
     */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record AccessList(@Matches(value = PATTERN, message = PATTERN_MESSAGE) List<String> allow,
                             @Matches(value = PATTERN, message = PATTERN_MESSAGE) List<String> deny) {

        /** A name, or a prefix followed by {@code *}: text that is not blank and has {@code *} only at its end. */
        static final String PATTERN = "^(?=[\\s\\S]*\\S)[^*]*\\*?$";
        static final String PATTERN_MESSAGE = "must be a name, a prefix followed by '*' as in 'openai/*' or"
                + " 'orders-*', or '*': not empty, and '*' only at the end";

        /** Allows every name. */
        public static final AccessList ANY = new AccessList(null, null);

        public AccessList {
            allow = allow == null ? List.of() : List.copyOf(allow);
            deny = deny == null ? List.of() : List.copyOf(deny);
        }

        /** Returns true when {@code name} is allowed: not denied, and allowed by an empty or matching allow list. */
        public boolean allows(String name) {
            return !denies(name) && inAllowList(name);
        }

        /** Returns true when a deny pattern matches {@code name}. */
        public boolean denies(String name) {
            return matches(deny, name);
        }

        /** Returns true when the allow list is empty or one of its patterns matches {@code name}. */
        public boolean inAllowList(String name) {
            return allow.isEmpty() || matches(allow, name);
        }

        /** Returns true when this list allows everything. */
        public boolean isUnrestricted() {
            return allow.isEmpty() && deny.isEmpty();
        }

        private static boolean matches(List<String> patterns, String name) {
            for (String pattern : patterns) {
                if (pattern.endsWith("*") ? name.startsWith(pattern.substring(0, pattern.length() - 1))
                        : pattern.equals(name)) {
                    return true;
                }
            }
            return false;
        }
    }

    /** Records every invalid field of this consumer into {@code errors}. */
    public void validate(Errors errors) {
        FieldRules.check(this, errors);
        labels.forEach((key, value) -> {
            errors.check(key.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,62}"), "labels." + key,
                    "label names must be 1-63 letters, digits, '.', '_' or '-'");
            errors.check(value != null && value.length() <= 256, "labels." + key,
                    "must be a string of at most 256 characters");
        });
        if (access != null) {
            access.validate(errors.at("access"));
        }
    }
}
