package io.portico.config;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Checks the field annotations {@link Required}, {@link Range}, {@link OneOf} and {@link Matches} of a specification
 * record. The admin API's OpenAPI document is generated from the same annotations, so for a record whose
 * {@code validate} method calls {@link #check}, the published schema and the validation agree on these rules.
 * Rules that span several fields stay in each record's {@code validate} method.
 */
public final class FieldRules {

    private static final ClassValue<List<Rule>> RULES = new ClassValue<>() {
        @Override
        protected List<Rule> computeValue(Class<?> type) {
            return rulesOf(type);
        }
    };

    private FieldRules() {
    }

    /** The annotated rules of one record component, with its regular expression compiled once. */
    private record Rule(RecordComponent component, Required required, Range range, OneOf oneOf, Matches matches,
                        Pattern pattern) {
    }

    /**
     * Records into {@code errors} each annotated field of {@code record} that breaks its rules, under the field's
     * name, or {@code name[i]} for an element of a list. The fields of nested records are not visited.
     */
    public static void check(Record record, Errors errors) {
        for (Rule rule : RULES.get(record.getClass())) {
            String field = rule.component().getName();
            Object value = read(rule.component(), record);
            if (rule.required() != null && isMissing(value)) {
                errors.add(field, rule.required().message());
            } else if (value instanceof List<?> list) {
                for (int i = 0; i < list.size(); i++) {
                    checkValue(errors, field + "[" + i + "]", list.get(i), rule);
                }
            } else if (value != null) {
                checkValue(errors, field, value, rule);
            }
        }
    }

    /** Returns the message that states the bounds of {@code range} for a number, or for a duration. */
    public static String rangeMessage(Range range, boolean duration) {
        if (!range.message().isEmpty()) {
            return range.message();
        }
        boolean hasMin = range.min() != Double.NEGATIVE_INFINITY;
        boolean hasMax = range.max() != Double.POSITIVE_INFINITY;
        if (hasMin && hasMax) {
            return "must be between " + bound(range.min(), duration) + " and " + bound(range.max(), duration);
        }
        if (hasMax) {
            return "must be at most " + bound(range.max(), duration);
        }
        if (range.min() == 0) {
            return "must not be negative";
        }
        return duration && range.min() == 1 ? "must be positive" : "must be at least " + bound(range.min(), duration);
    }

    private static String bound(double value, boolean duration) {
        if (duration) {
            return Durations.format(Duration.ofMillis((long) value));
        }
        return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
    }

    private static void checkValue(Errors errors, String field, Object value, Rule rule) {
        if (rule.range() != null && !inRange(value, rule.range())) {
            errors.add(field, rangeMessage(rule.range(), value instanceof Duration));
        }
        if (rule.oneOf() != null && !isOneOf(value, rule.oneOf())) {
            errors.add(field, "must be one of " + String.join(", ", rule.oneOf().value()));
        }
        if (rule.pattern() != null && !(value instanceof String text && rule.pattern().matcher(text).matches())) {
            errors.add(field, rule.matches().message());
        }
    }

    private static boolean inRange(Object value, Range range) {
        double number;
        if (value instanceof Number numeric) {
            number = numeric.doubleValue();
        } else if (value instanceof Duration duration) {
            number = duration.toMillis();
        } else {
            return false;
        }
        return number >= range.min() && number <= range.max();
    }

    private static boolean isOneOf(Object value, OneOf oneOf) {
        if (!(value instanceof String text)) {
            return false;
        }
        return Arrays.stream(oneOf.value()).anyMatch(valid -> oneOf.ignoreCase()
                ? valid.toLowerCase(Locale.ROOT).equals(text.toLowerCase(Locale.ROOT)) : valid.equals(text));
    }

    private static boolean isMissing(Object value) {
        return value == null || value instanceof String text && text.isBlank()
                || value instanceof List<?> list && list.isEmpty();
    }

    private static Object read(RecordComponent component, Record record) {
        try {
            return component.getAccessor().invoke(record);
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("cannot read " + component.getDeclaringRecord().getSimpleName() + "."
                    + component.getName(), e);
        }
    }

    private static List<Rule> rulesOf(Class<?> type) {
        List<Rule> rules = new ArrayList<>();
        for (RecordComponent component : type.getRecordComponents()) {
            Required required = component.getAnnotation(Required.class);
            Range range = component.getAnnotation(Range.class);
            OneOf oneOf = component.getAnnotation(OneOf.class);
            Matches matches = component.getAnnotation(Matches.class);
            if (required != null || range != null || oneOf != null || matches != null) {
                Pattern pattern = matches == null ? null : Pattern.compile(matches.value());
                rules.add(new Rule(component, required, range, oneOf, matches, pattern));
            }
        }
        return List.copyOf(rules);
    }
}
