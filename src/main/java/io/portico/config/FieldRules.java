package io.portico.config;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Checks the field annotations {@link Required}, {@link Range}, {@link OneOf}, {@link Matches} and {@link Length},
 * and the record annotations {@link ExactlyOne} and {@link Variant}, of a specification record. The admin API's
 * OpenAPI document is generated from the same annotations, so for a record whose {@code validate} method calls
 * {@link #check}, the published schema and the validation agree on these rules. Other rules that span several
 * fields stay in each record's {@code validate} method.
 */
public final class FieldRules {

    /** A {@link Matches} pattern for text that is not blank: it contains a character other than white space. */
    public static final String NOT_BLANK = "^[\\s\\S]*\\S[\\s\\S]*$";
    /** The error message for blank text that {@link #NOT_BLANK} rejects. */
    public static final String NOT_BLANK_MESSAGE = "must not be empty";

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
                        Pattern pattern, Length length) {
    }

    /**
     * Records into {@code errors} each annotated field of {@code record} that breaks its rules, under the field's
     * name, or {@code name[i]} for an element of a list, and each field that breaks the record's {@link ExactlyOne}
     * or {@link Variant} rules. The fields of nested records are not visited.
     */
    public static void check(Record record, Errors errors) {
        checkFields(record, errors);
        ExactlyOne exactlyOne = record.getClass().getAnnotation(ExactlyOne.class);
        if (exactlyOne != null) {
            checkExactlyOne(record, exactlyOne, errors);
        }
        Variant[] variants = record.getClass().getAnnotationsByType(Variant.class);
        if (variants.length > 0) {
            checkVariants(record, variants, errors);
        }
    }

    /**
     * Returns the names of the fields that {@code variants} list, in order: the fields that must be absent unless
     * the matching variant lists them.
     */
    public static List<String> variantFields(Variant[] variants) {
        List<String> fields = new ArrayList<>();
        for (Variant variant : variants) {
            for (String field : variant.fields()) {
                if (!fields.contains(field)) {
                    fields.add(field);
                }
            }
        }
        return fields;
    }

    /**
     * Checks that exactly one field of {@code rule} is given. A field that is not null counts as given, so that blank
     * text beside another backend is reported, not ignored.
     */
    private static void checkExactlyOne(Record record, ExactlyOne rule, Errors errors) {
        List<String> given = new ArrayList<>();
        for (String field : rule.value()) {
            if (read(component(record.getClass(), field), record) != null) {
                given.add(field);
            }
        }
        if (given.size() > 1) {
            String counted = given.get(given.size() - 1);
            for (String field : given.subList(0, given.size() - 1)) {
                errors.add(field, "must be absent when " + counted + " is given, because only one of "
                        + String.join(", ", rule.value()) + " may be given");
            }
        } else if (given.isEmpty() || isMissing(read(component(record.getClass(), given.get(0)), record))) {
            List<String> others = Arrays.asList(rule.value()).subList(1, rule.value().length);
            errors.add(rule.value()[0], "is required unless " + String.join(" or ", others) + " is given");
        }
    }

    private static void checkVariants(Record record, Variant[] variants, Errors errors) {
        Class<?> type = record.getClass();
        String discriminatorField = variants[0].field();
        Object discriminator = read(component(type, discriminatorField), record);
        Variant match = null;
        for (Variant variant : variants) {
            if (discriminator == null ? variant.whenAbsent() : Arrays.asList(variant.value()).contains(discriminator)) {
                match = variant;
                break;
            }
        }
        if (match == null) {
            // The discriminator's own rule, such as OneOf, reports a value that no variant has.
            return;
        }
        String condition = discriminatorField + " is " + (discriminator == null ? match.value()[0] : discriminator);
        List<String> allowed = Arrays.asList(match.fields());
        for (String field : variantFields(variants)) {
            if (!allowed.contains(field) && read(component(type, field), record) != null) {
                errors.add(field, "does not apply when " + condition);
            }
        }
        for (String entry : match.required()) {
            String[] alternatives = entry.split("\\|");
            boolean present = Arrays.stream(alternatives)
                    .anyMatch(field -> !isMissing(read(component(type, field), record)));
            if (!present) {
                String unless = alternatives.length == 1 ? "" : ", unless " + String.join(" or ",
                        Arrays.asList(alternatives).subList(1, alternatives.length)) + " is given";
                errors.add(alternatives[0], "is required when " + condition + unless);
            }
        }
    }

    private static RecordComponent component(Class<?> type, String name) {
        for (RecordComponent component : type.getRecordComponents()) {
            if (component.getName().equals(name)) {
                return component;
            }
        }
        throw new IllegalStateException(type.getSimpleName() + " has no component " + name);
    }

    private static void checkFields(Record record, Errors errors) {
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

    /**
     * Returns true when an error message may quote {@code value}: a text of at most 40 printable ASCII characters
     * other than the quote. A longer or stranger text is left out of the message.
     */
    private static boolean isShowable(Object value) {
        if (!(value instanceof String text) || text.isEmpty() || text.length() > 40) {
            return false;
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 || c > 0x7e || c == '\'') {
                return false;
            }
        }
        return true;
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
            String choices = String.join(", ", rule.oneOf().value());
            errors.add(field, isShowable(value) ? "invalid value '" + value + "': expected one of " + choices
                    : "must be one of " + choices);
        }
        if (rule.pattern() != null && !(value instanceof String text && rule.pattern().matcher(text).matches())) {
            errors.add(field, rule.matches().message());
        }
        if (rule.length() != null && value instanceof String text) {
            int length = text.codePointCount(0, text.length());
            if (length < rule.length().min() || length > rule.length().max()) {
                errors.add(field, lengthMessage(rule.length()));
            }
        }
    }

    /** Returns the message that states the bounds of {@code length}. */
    static String lengthMessage(Length length) {
        if (length.max() == Integer.MAX_VALUE) {
            return "must be at least " + length.min() + " characters";
        }
        if (length.min() == 0) {
            return "must be at most " + length.max() + " characters";
        }
        return "must be " + length.min() + " to " + length.max() + " characters";
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
        Method accessor = component.getAccessor();
        // The accessor of a record that is not public, such as a request body of the admin API, needs this.
        accessor.trySetAccessible();
        try {
            return accessor.invoke(record);
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
            Length length = component.getAnnotation(Length.class);
            if (required != null || range != null || oneOf != null || matches != null || length != null) {
                Pattern pattern = matches == null ? null : Pattern.compile(matches.value());
                rules.add(new Rule(component, required, range, oneOf, matches, pattern, length));
            }
        }
        return List.copyOf(rules);
    }
}
