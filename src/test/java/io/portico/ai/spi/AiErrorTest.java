package io.portico.ai.spi;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The shapes of rate limits and overloads that {@link AiError} gives OpenAI clients. */
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
    void otherErrorsReachOpenAiClientUnchanged() {
        AiError unavailable = AiError.of(503, "no provider could serve the request");

        assertThat(unavailable.forOpenAiClient()).isEqualTo(unavailable);
    }
}
