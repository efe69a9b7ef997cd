package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.portico.ai.mock.OpenAiMock;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code limits.bodyTimeout} on an AI route, which reads the whole request body before it calls a provider. */
class AiBodyTimeoutTest {

    private static OpenAiMock provider;
    private static TestNode node;

    @BeforeAll
    static void start() {
        provider = new OpenAiMock("local", "sk-local");
        node = TestNode.start(Map.of("limits.bodyTimeout", "500ms"));
        Configs config = Configs.document();
        config.provider("local", "lmstudio", provider.baseUrl(), "sk-local");
        config.aiRoute("ai", "/v1");
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        node.close();
        provider.close();
    }

    @Test
    void stalledBodyGets408AndNoProviderCall() throws Exception {
        int before = provider.received().size();

        RawHttp.Exchange exchange = RawHttp.exchange(node.portico().httpPort(), false, 0, 1, 5_000,
                "POST /v1/chat/completions HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
                        + "Content-Length: 200\r\n\r\n{\"model\":\"local/m\",");

        assertThat(exchange.responses()).hasSize(1);
        assertThat(exchange.responses().get(0).status()).isEqualTo(408);
        assertThat(exchange.responses().get(0).body()).contains("request_timeout");
        assertThat(exchange.closed()).isTrue();
        assertThat(provider.received()).hasSize(before);
    }
}
