package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.mock.OpenAiMock;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import java.io.IOException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code Expect: 100-continue}: the gateway invites the body only once a route and its policies admitted it. */
class ExpectContinueTest {

    private static final String BODY = "hello";

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
        String received = post("/open/echo");

        assertThat(received).startsWith("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200");
        assertThat(received).contains("\"bodyLength\":5");
    }

    @Test
    void expectIsNotForwardedUpstream() throws IOException {
        String received = post("/open/echo");

        assertThat(received).startsWith("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200");
        assertThat(received).contains("\"content-type\":[\"text/plain\"]");
        assertThat(received).doesNotContain("\"expect\"");
    }

    @Test
    void aiRequestGetsContinueThenCompletion() throws IOException {
        String chat = "{\"model\":\"alpha/gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
        String head = "POST /v1/chat/completions HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + chat.length() + "\r\nExpect: 100-continue\r\n\r\n";

        String received = RawHttp.send(node.portico().httpPort(), 300, 500, head, chat).text();

        assertThat(received).startsWith("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200");
        assertThat(received).contains("Hello from alpha");
        assertThat(openAi.last().headers().contains("expect")).isFalse();
    }

    @Test
    void rejectedRequestsGetNoContinue() throws IOException {
        for (String path : new String[] {"/nowhere", "/denied/echo", "/small/echo"}) {
            String received = post(path);

            assertThat(received).as(path).doesNotContain("100 Continue").containsIgnoringCase("connection: close");
        }
        assertThat(post("/nowhere")).startsWith("HTTP/1.1 404");
        assertThat(post("/denied/echo")).startsWith("HTTP/1.1 403");
        assertThat(post("/small/echo")).startsWith("HTTP/1.1 413");
    }

    @Test
    void oversizedAiRequestGets413WithoutContinue() throws IOException {
        String head = "POST /v1/chat/completions HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                + "Content-Length: 5000\r\nExpect: 100-continue\r\n\r\n";

        String received = RawHttp.send(node.portico().httpPort(), 300, 500, head).text();

        assertThat(received).startsWith("HTTP/1.1 413").containsIgnoringCase("connection: close");
    }

    /** Sends the head, waits, then sends the body, as a client does whose wait for 100 Continue timed out. */
    private static String post(String path) throws IOException {
        String head = "POST " + path + " HTTP/1.1\r\nHost: test\r\nContent-Type: text/plain\r\nContent-Length: "
                + BODY.length() + "\r\nExpect: 100-continue\r\n\r\n";
        return RawHttp.send(node.portico().httpPort(), 300, 500, head, BODY).text();
    }
}
