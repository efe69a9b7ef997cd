package io.portico.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses and formats the duration syntax used in configuration: a decimal whole number followed by {@code ms},
 * {@code s}, {@code m} or {@code h} in any case, for example {@code 250ms} or {@code 30s}, with no spaces.
 */
public final class Durations {

    private static final Pattern SYNTAX = Pattern.compile("^(\\d+)(ms|s|m|h)$");
    private static final Pattern DIGITS = Pattern.compile("^(0|[1-9]\\d*)$");
    /** The forms a duration field of a policy's configuration accepts, for error messages. */
    private static final String JSON_FORMS = "expected a duration such as 250ms, 5s, 2m or 1h, or a whole number of"
            + " milliseconds such as 1500, at most 365 days";
    private static final long MAX_DAYS = 365;
    /** Maximum duration accepted, so that every duration converts to milliseconds without overflow. */
    private static final Duration MAX = Duration.ofDays(MAX_DAYS);
    /** {@link #MAX} in milliseconds: the largest bare number that a duration field accepts. */
    public static final long MAX_MILLIS = MAX.toMillis();

    private Durations() {
    }

    /**
     * Parses {@code text} into a duration.
     *
     * @throws IllegalArgumentException when the text does not match {@code <number><ms|s|m|h>}, which includes text
     *         with leading or trailing whitespace
     */
    public static Duration parse(String text) {
        Matcher matcher = SYNTAX.matcher(text.toLowerCase(Locale.ROOT));
        if (!matcher.matches()) {
            throw new IllegalArgumentException(
                    "invalid duration '" + text + "': expected a number followed by ms, s, m or h");
        }
        Duration duration;
        try {
            long amount = Long.parseLong(matcher.group(1));
            switch (matcher.group(2)) {
                case "ms":
                    duration = Duration.ofMillis(amount);
                    break;
                case "s":
                    duration = Duration.ofSeconds(amount);
                    break;
                case "m":
                    duration = Duration.ofMinutes(amount);
                    break;
                default:
                    duration = Duration.ofHours(amount);
                    break;
            }
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("invalid duration '" + text + "': it must not exceed " + MAX_DAYS
                    + " days");
        }
        if (duration.compareTo(MAX) > 0) {
            throw new IllegalArgumentException("invalid duration '" + text + "': it must not exceed " + MAX_DAYS
                    + " days");
        }
        return duration;
    }

    /**
     * Returns {@code millis} milliseconds, the meaning of a bare number in configuration.
     *
     * @throws IllegalArgumentException when {@code millis} is negative or more than 365 days
     */
    public static Duration ofMillis(long millis) {
        if (millis < 0 || millis > MAX.toMillis()) {
            throw new IllegalArgumentException("invalid duration " + millis + " ms: it must be from 0 to "
                    + MAX.toMillis() + " ms (" + MAX_DAYS + " days)");
        }
        return Duration.ofMillis(millis);
    }

    /**
     * Parses a duration field of a policy's configuration: a whole number of milliseconds, as elsewhere in the
     * configuration, or a string that {@link #parse(String)} accepts.
     *
     * @throws IllegalArgumentException when {@code value} is neither, or out of range; the message names both
     *     forms
     */
    public static Duration parse(JsonNode value) {
        if (value.isIntegralNumber() && value.canConvertToLong()) {
            return ofMillis(value.asLong());
        }
        if (!value.isTextual()) {
            throw new IllegalArgumentException("invalid duration " + value + ": " + JSON_FORMS);
        }
        String text = value.asText();
        if (DIGITS.matcher(text).matches()) {
            throw new IllegalArgumentException("invalid duration '" + text + "': a whole number of milliseconds must"
                    + " be a JSON number, such as " + text + " without quotes, and a string needs a unit, such as '"
                    + text + "ms'");
        }
        if (!SYNTAX.matcher(text.toLowerCase(Locale.ROOT)).matches()) {
            throw new IllegalArgumentException("invalid duration '" + text + "': " + JSON_FORMS);
        }
        return parse(text);
    }

    /** Formats {@code duration} in the largest unit that represents it exactly. */
    public static String format(Duration duration) {
        long millis = duration.toMillis();
        if (millis % 3_600_000 == 0 && millis != 0) {
            return millis / 3_600_000 + "h";
        }
        if (millis % 60_000 == 0 && millis != 0) {
            return millis / 60_000 + "m";
        }
        if (millis % 1000 == 0) {
            return millis / 1000 + "s";
        }
        return millis + "ms";
    }
}
