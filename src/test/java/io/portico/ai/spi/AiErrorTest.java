package io.portico.ai.spi;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The shapes of rate limits, Portico's own limits and overloads that {@link AiError} gives OpenAI clients. */
class AiErrorTest {

    @Test
    void rateLimitWithoutCodeGetsOpenAiCode() {
        AiError anthropic = new AiError(429, "rate_limit_error", null, "provider: Slow down", 20_000);

        AiError relayed = anthropic.asProviderRateLimit();

        assertThat(relayed.status()).isEqualTo(429);
        assertThat(relayed.type()).isEqualTo("rate_limit_error");
        assertThat(relayed.code()).isEqualTo("rate_limit_exceeded");
        assertThat(relayed.message()).isEqualTo("provider: Slow down");
        assertThat(relayed.retryAfterMillis()).isEqualTo(20_000);
    }

    @Test
    void bedrockThrottlingGetsOpenAiCode() {
        AiError bedrock = new AiError(429, "rate_limit_error", "ThrottlingException", "provider: Too many", -1);

        assertThat(bedrock.asProviderRateLimit().code()).isEqualTo("rate_limit_exceeded");
        assertThat(bedrock.asProviderRateLimit().retryAfterMillis()).isEqualTo(-1);
    }

    @Test
    void openAiRateLimitCodesAreKept() {
        AiError tokens = new AiError(429, "tokens", "rate_limit_exceeded", "Rate limit reached", 1000);
        AiError quota = new AiError(429, "insufficient_quota", "insufficient_quota", "You exceeded your quota", -1);

        assertThat(tokens.asProviderRateLimit()).isEqualTo(tokens);
        assertThat(quota.asProviderRateLimit()).isEqualTo(quota);
    }

    @Test
    void otherStatusesAreNoRateLimit() {
        AiError overloaded = new AiError(529, "overloaded_error", null, "provider: Overloaded", -1);

        assertThat(overloaded.asProviderRateLimit()).isEqualTo(overloaded);
    }

    @Test
    void overloadBecomes503ForOpenAiClient() {
        AiError overloaded = new AiError(529, "overloaded_error", null, "provider: Overloaded", 5000);

        AiError sent = overloaded.forOpenAiClient();

        assertThat(sent.status()).isEqualTo(503);
        assertThat(sent.type()).isEqualTo("service_unavailable_error");
        assertThat(sent.code()).isEqualTo("server_is_overloaded");
        assertThat(sent.message()).isEqualTo("provider: Overloaded");
        assertThat(sent.retryAfterMillis()).isEqualTo(5000);
        assertThat(overloaded.anthropicType()).isEqualTo("overloaded_error");
    }

    @Test
    void waitingLimitsGetRateLimitExceeded() {
        for (String code : new String[] {"rate_limited", "concurrency_limited", "token_limit_exceeded"}) {
            AiError limit = new AiError(429, "rate_limit_error", code, "the limit is reached", 2000);

            AiError sent = limit.forOpenAiClient();

            assertThat(sent.status()).as(code).isEqualTo(429);
            assertThat(sent.type()).as(code).isEqualTo("rate_limit_error");
            assertThat(sent.code()).as(code).isEqualTo("rate_limit_exceeded");
            assertThat(sent.message()).as(code).isEqualTo("the limit is reached");
            assertThat(sent.retryAfterMillis()).as(code).isEqualTo(2000);
            assertThat(limit.periodLimit()).as(code).isFalse();
        }
    }

    @Test
    void quotasAndBudgetsGetInsufficientQuota() {
        for (String code : new String[] {"quota_exceeded", "budget_exceeded"}) {
            AiError limit = new AiError(429, "rate_limit_error", code, "the budget is spent", 3_600_000);

            AiError sent = limit.forOpenAiClient();

            assertThat(sent.status()).as(code).isEqualTo(429);
            assertThat(sent.type()).as(code).isEqualTo("insufficient_quota");
            assertThat(sent.code()).as(code).isEqualTo("insufficient_quota");
            assertThat(sent.retryAfterMillis()).as(code).isEqualTo(3_600_000);
            assertThat(limit.periodLimit()).as(code).isTrue();
            assertThat(limit.anthropicType()).as(code).isEqualTo("rate_limit_error");
        }
    }

    @Test
    void providerQuotaIsNoPeriodLimit() {
        AiError quota = new AiError(429, "insufficient_quota", "insufficient_quota", "You exceeded your quota", -1);

        assertThat(quota.forOpenAiClient()).isEqualTo(quota);
        assertThat(quota.periodLimit()).isFalse();
    }

    @Test
    void otherErrorsReachOpenAiClientUnchanged() {
        AiError unavailable = AiError.of(503, "no provider could serve the request");

        assertThat(unavailable.forOpenAiClient()).isEqualTo(unavailable);
    }
}
