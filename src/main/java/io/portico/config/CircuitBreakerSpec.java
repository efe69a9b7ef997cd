package io.portico.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Duration;

/**
 * Circuit breaker settings of each target of a service, or of each model of a provider. The breaker counts the
 * calls of the last {@code window}. Once at least {@code minimumCalls} calls were counted and the share of failed
 * calls reaches {@code failureRateThreshold}, or the share of slow calls reaches {@code slowCallRateThreshold}, the
 * breaker opens: the target receives no traffic for {@code openDuration}. Then it is half-open: at most
 * {@code halfOpenCalls} probe calls go through, and their results decide whether it closes or opens again.
 *
 * @param failureRateThreshold percentage of failed calls that opens the breaker, 1 to 100; 50 when absent
 * @param slowCallRateThreshold percentage of slow calls that opens the breaker, 1 to 100; 100 when absent
 * @param slowCallDuration a call that takes longer is slow; slow calls are not counted when absent
 * @param window how far back calls are counted, 1 second to 10 minutes; 10 seconds when absent
 * @param minimumCalls calls that must be counted in the window before a rate can open the breaker; 20 when absent
 * @param openDuration how long an open breaker stops all traffic before it lets probes through; 30 s when absent
 * @param halfOpenCalls probe calls let through while half-open, 1 to 100; 3 when absent
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CircuitBreakerSpec(
        @Range(min = 1, max = 100, message = PERCENTAGE_MESSAGE) Integer failureRateThreshold,
        @Range(min = 1, max = 100, message = PERCENTAGE_MESSAGE) Integer slowCallRateThreshold,
        @Range(min = 1) Duration slowCallDuration,
        @Range(min = 1_000, max = 600_000) Duration window,
        @Range(min = 1, max = 100_000) Integer minimumCalls,
        @Range(min = 100, max = 86_400_000) Duration openDuration,
        @Range(min = 1, max = 100) Integer halfOpenCalls) {

    /** The error message for a rate threshold out of bounds. */
    static final String PERCENTAGE_MESSAGE = "must be a percentage between 1 and 100";

    public CircuitBreakerSpec {
        failureRateThreshold = failureRateThreshold == null ? 50 : failureRateThreshold;
        slowCallRateThreshold = slowCallRateThreshold == null ? 100 : slowCallRateThreshold;
        window = window == null ? Duration.ofSeconds(10) : window;
        minimumCalls = minimumCalls == null ? 20 : minimumCalls;
        openDuration = openDuration == null ? Duration.ofSeconds(30) : openDuration;
        halfOpenCalls = halfOpenCalls == null ? 3 : halfOpenCalls;
    }

    /** Records every invalid field of these settings into {@code errors}. */
    public void validate(Errors errors) {
        FieldRules.check(this, errors);
    }
}
