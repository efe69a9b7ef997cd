package io.portico.ai.catalog;

import java.math.BigDecimal;
import java.time.LocalDate;

/** Prices of a model in USD per million tokens, with where and when they were read. */
public record ModelPrice(BigDecimal input, BigDecimal output, BigDecimal cachedInput, String source, LocalDate date) {
}
