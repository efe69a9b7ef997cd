package io.portico.gateway.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.ConnectTimeoutException;
import io.vertx.core.VertxException;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.StreamResetException;
import java.io.IOException;
import java.net.ConnectException;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

class OutcomeTest {

    @Test
    void connectErrorsAreConnectFailures() {
        assertThat(Outcome.of(new ConnectException("Connection refused"))).isEqualTo(Outcome.CONNECT_FAILURE);
        assertThat(Outcome.of(new ConnectTimeoutException("connection timed out"))).isEqualTo(Outcome.CONNECT_FAILURE);
        assertThat(Outcome.of(new VertxException(new SSLHandshakeException("PKIX path building failed"))))
                .isEqualTo(Outcome.CONNECT_FAILURE);
    }

    @Test
    void timeoutsAreTimeouts() {
        assertThat(Outcome.of(new TimeoutException("The timeout period of 200ms has been exceeded")))
                .isEqualTo(Outcome.TIMEOUT);
    }

    @Test
    void poolWaitTimeoutIsNoConnection() {
        TimeoutException timeout = new TimeoutException(
                "The timeout of 200 ms has been exceeded when getting a connection to 127.0.0.1:8080");

        assertThat(Outcome.of(timeout)).isEqualTo(Outcome.NO_CONNECTION);
    }

    @Test
    void otherErrorsAreConnectionErrors() {
        assertThat(Outcome.of(new HttpClosedException("Connection was closed"))).isEqualTo(Outcome.CONNECTION_ERROR);
        assertThat(Outcome.of(new StreamResetException(2))).isEqualTo(Outcome.CONNECTION_ERROR);
        assertThat(Outcome.of(new IOException("Connection reset by peer"))).isEqualTo(Outcome.CONNECTION_ERROR);
    }

    @Test
    void responseRequiresValidStatus() {
        assertThat(Outcome.response(503)).isEqualTo(new Outcome(Outcome.Kind.RESPONSE, 503));
        assertThatThrownBy(() -> Outcome.response(99)).hasMessageContaining("invalid HTTP status 99");
        assertThatThrownBy(() -> new Outcome(Outcome.Kind.TIMEOUT, 504)).hasMessageContaining("must be 0");
    }
}
