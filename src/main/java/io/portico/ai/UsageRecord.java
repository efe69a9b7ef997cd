package io.portico.ai;

import io.portico.ai.spi.Usage;
import java.math.BigDecimal;

/**
 * What one provider call of an AI request consumed: the provider model that served it, its tokens, its timing and
 * its cost. A request has one record for the call that served it or for its cache hit, and one more for each failed
 * attempt whose provider response reported usage.
 *
 * @param provider the provider's configured name
 * @param model the provider's model id
 * @param usage the token counts
 * @param latencyMillis from sending the request to the provider to the end of its response
 * @param firstTokenMillis from sending the request to the first streamed event; the latency for a response that
 *     was not streamed
 * @param cost the cost in USD from the model catalog's prices; zero when the catalog has no price
 * @param cached true when the response came from Portico's cache: no provider was called, so the usage is zero
 * @param key the label of the provider's API key that served the request; null for a cached response
 */
public record UsageRecord(String provider, String model, Usage usage, double latencyMillis,
                          double firstTokenMillis, BigDecimal cost, boolean cached, String key) {
}
