package io.portico.ai.catalog;

import static java.util.Objects.requireNonNull;

import java.math.BigDecimal;
import java.time.LocalDate;

/**
 * The list price of a model in US dollars per million tokens, with the page it was read from.
 *
 * @param input price of one million input (prompt) tokens
 * @param output price of one million output (completion) tokens, reasoning tokens included
 * @param cachedInput price of one million input tokens served from the provider's prompt cache, or {@code null}
 *     when the provider lists no separate price for them
 * @param source address of the page or file the prices were read from
 * @param date day the prices were read from {@code source}
 */
public record ModelPrice(BigDecimal input, BigDecimal output, BigDecimal cachedInput, String source,
                         LocalDate date) {

    /** Checks that every field but {@code cachedInput} is present. */
    public ModelPrice {
        requireNonNull(input, "input");
        requireNonNull(output, "output");
        requireNonNull(source, "source");
        requireNonNull(date, "date");
    }

    /** Returns the price of one million cached input tokens: {@code cachedInput} when listed, else {@code input}. */
    public BigDecimal cachedInputOrInput() {
        return cachedInput != null ? cachedInput : input;
    }
}
