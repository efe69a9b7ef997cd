package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Requests translated from one protocol to a provider of another, checked on the exact JSON each mock provider
 * receives, and the 400 errors for requests that no provider request can carry without a change of meaning.
 */
class AiRequestTranslationTest {

    private static TranslationProviders providers;

    @BeforeAll
    static void start() {
        providers = TranslationProviders.start();
    }

    @AfterAll
    static void stop() {
        providers.close();
    }

    @BeforeEach
    void clear() {
        providers.clearReceived();
    }

    @Test
    void thinkingWithoutLimitLeavesRoomAboveBudget() {
        HttpResponse<String> response = providers.openAiChat("""
                {'model':'an/unlisted-model','thinking':{'type':'enabled','budget_tokens':8000},
                 'messages':[{'role':'user','content':'Hi'}]}""");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(providers.anthropic.last().body().get("max_tokens").asInt()).isEqualTo(8000 + 4096);
    }

    @Test
    void noThinkingNoLimitSendsDefault() {
        HttpResponse<String> response = providers.openAiChat("""
                {'model':'an/unlisted-model','messages':[{'role':'user','content':'Hi'}]}""");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(providers.anthropic.last().body().get("max_tokens").asInt()).isEqualTo(4096);
    }

    @Test
    void bedrockThinkingSharesTheLimitRule() {
        HttpResponse<String> response = providers.openAiChat("""
                {'model':'aws/us.anthropic.claude-unlisted-v1:0','thinking':{'type':'enabled','budget_tokens':2000},
                 'messages':[{'role':'user','content':'Hi'}]}""");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(providers.lastBedrockRequest().path("inferenceConfig").path("maxTokens").asInt())
                .isEqualTo(2000 + 4096);
    }
}
