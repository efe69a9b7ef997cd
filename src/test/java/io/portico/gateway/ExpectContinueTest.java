package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.mock.OpenAiMock;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code Expect: 100-continue}: the gateway invites the body only once a route and its policies admitted it. */
class ExpectContinueTest {

    private static final String BODY = "hello";
    /** Pause between the head and the body, like that of a client whose wait for 100 Continue timed out. */
    private static final long PAUSE_MILLIS = 300;
    /**
     * Time that the test keeps reading after a rejection, for a 100 Continue that must not follow it, unless the
     * gateway closes the connection first.
     */
    private static final long LISTEN_MILLIS = 5_000;
    /** Time that the test reads after a rejection whose body is never sent, for a 100 Continue. */
    private static final long NO_CONTINUE_MILLIS = 500;

    private static TestUpstream upstream;
    private static OpenAiMock openAi;
    private static TestNode node;

    @BeforeAll
    static void start() {
        upstream = TestUpstream.start("continue");
        openAi = new OpenAiMock("alpha", "sk-alpha");
        node = TestNode.start();
        Configs config = Configs.document();
        config.provider("alpha", "openai", openAi.baseUrl(), "sk-alpha");
        config.aiRoute("ai", "/v1").put("maxBodySize", 100);
        config.service("app", upstream.port());
        config.route("open", "app", "/open").put("stripPrefix", true);
        ObjectNode denied = config.route("denied", "app", "/denied").put("stripPrefix", true);
        denied.putArray("policies").addObject().put("name", "ip-restriction").putObject("config").putArray("deny")
                .add("127.0.0.0/8");
        config.route("small", "app", "/small").put("stripPrefix", true).put("maxBodySize", 2);
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        node.close();
        upstream.close();
        openAi.close();
    }

    @Test
    void admittedRequestGetsContinueThenResponse() throws IOException {
        List<RawHttp.Response> responses = post("/open/echo", 2).responses();

        assertThat(responses).as("responses").hasSize(2);
        assertThat(responses.get(0).head()).isEqualTo("HTTP/1.1 100 Continue");
        assertThat(responses.get(1).status()).isEqualTo(200);
        assertThat(responses.get(1).body()).contains("\"bodyLength\":5");
    }

    @Test
    void expectIsNotForwardedUpstream() throws IOException {
        List<RawHttp.Response> responses = post("/open/echo", 2).responses();

        assertThat(responses).as("responses").hasSize(2);
        assertThat(responses.get(0).head()).isEqualTo("HTTP/1.1 100 Continue");
        assertThat(responses.get(1).status()).isEqualTo(200);
        assertThat(responses.get(1).body()).contains("\"content-type\":[\"text/plain\"]");
        assertThat(responses.get(1).body()).doesNotContain("\"expect\"");
    }

    @Test
    void aiRequestGetsContinueThenCompletion() throws IOException {
        String chat = "{\"model\":\"alpha/gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
        String head = "POST /v1/chat/completions HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + chat.length() + "\r\nExpect: 100-continue\r\n\r\n";

        List<RawHttp.Response> responses = RawHttp.exchange(node.portico().httpPort(), false, PAUSE_MILLIS, 2, 0,
                head, chat).responses();

        assertThat(responses).as("responses").hasSize(2);
        assertThat(responses.get(0).head()).isEqualTo("HTTP/1.1 100 Continue");
        assertThat(responses.get(1).status()).isEqualTo(200);
        assertThat(responses.get(1).body()).contains("Hello from alpha");
        assertThat(openAi.last().headers().contains("expect")).isFalse();
    }

    @Test
    void rejectedRequestsGetNoContinue() throws IOException {
        Map<String, Integer> statuses = Map.of("/nowhere", 404, "/denied/echo", 403, "/small/echo", 413);
        for (Map.Entry<String, Integer> expected : statuses.entrySet()) {
            String path = expected.getKey();

            RawHttp.Exchange exchange = post(path, 1);

            assertThat(exchange.responses()).as(path).hasSize(1);
            RawHttp.Response response = exchange.responses().get(0);
            assertThat(response.status()).as(path).isEqualTo(expected.getValue());
            assertThat(response.header("connection")).as(path).isEqualToIgnoringCase("close");
            assertThat(exchange.rest()).as("bytes after the response to " + path).isEmpty();
            assertThat(exchange.closed()).as("connection closed after the body of " + path).isTrue();
        }
    }

    @Test
    void oversizedAiRequestGets413WithoutContinue() throws IOException {
        String head = "POST /v1/chat/completions HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                + "Content-Length: 5000\r\nExpect: 100-continue\r\n\r\n";

        RawHttp.Exchange exchange = RawHttp.exchange(node.portico().httpPort(), false, 0, 1, NO_CONTINUE_MILLIS,
                head);

        assertThat(exchange.responses()).as("responses").hasSize(1);
        assertThat(exchange.responses().get(0).status()).isEqualTo(413);
        assertThat(exchange.responses().get(0).header("connection")).isEqualToIgnoringCase("close");
        assertThat(exchange.rest()).as("bytes after the response").isEmpty();
    }

    /**
     * Sends the head, waits {@link #PAUSE_MILLIS}, then sends the body, as a client does whose wait for 100 Continue
     * timed out. Reads {@code responses} responses by their framing, 100 Continue included. When one response is
     * expected, which is a rejection, keeps reading for {@link #LISTEN_MILLIS} or until the gateway closes the
     * connection.
     */
    private static RawHttp.Exchange post(String path, int responses) throws IOException {
        String head = "POST " + path + " HTTP/1.1\r\nHost: test\r\nContent-Type: text/plain\r\nContent-Length: "
                + BODY.length() + "\r\nExpect: 100-continue\r\n\r\n";
        long listen = responses == 1 ? LISTEN_MILLIS : 0;
        return RawHttp.exchange(node.portico().httpPort(), false, PAUSE_MILLIS, responses, listen, head, BODY);
    }
}
