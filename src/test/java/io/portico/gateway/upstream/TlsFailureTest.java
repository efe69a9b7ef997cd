package io.portico.gateway.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import io.portico.config.ServiceSpec;
import io.portico.testing.LogCapture;
import java.net.ConnectException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

/**
 * The reasons of failed TLS connections that the node tests cannot provoke with a real upstream, and the rate limit
 * of the WARN line about them, on a clock that the test moves.
 */
class TlsFailureTest {

    @Test
    void handshakeTimeoutHasOwnReason() {
        TlsFailure failure = TlsFailure.of(new SslHandshakeTimeoutException("handshake timed out after 500ms"), false);

        assertThat(failure.reason()).isEqualTo(TlsFailure.HANDSHAKE_TIMEOUT);
        assertThat(failure.detail()).isEqualTo("handshake timed out after 500ms");
    }

    @Test
    void otherAlertIsHandshakeFailure() {
        SSLException alert = new SSLHandshakeException("Received fatal alert: protocol_version");

        TlsFailure failure = TlsFailure.of(new DecoderException(alert), true);

        assertThat(failure.reason()).isEqualTo(TlsFailure.HANDSHAKE_FAILED);
        assertThat(failure.detail()).isEqualTo("Received fatal alert: protocol_version");
    }

    @Test
    void requiredCertificateAlertDependsOnConfiguration() {
        SSLException alert = new SSLException("Received fatal alert: certificate_required");

        assertThat(TlsFailure.of(alert, false).reason()).isEqualTo(TlsFailure.CERTIFICATE_REQUIRED);
        assertThat(TlsFailure.of(alert, true).reason()).isEqualTo(TlsFailure.CLIENT_CERTIFICATE_REJECTED);
    }

    @Test
    void connectFailureIsNoTlsFailure() {
        assertThat(TlsFailure.of(new ConnectException("Connection refused"), false)).isNull();
    }

    @Test
    void longDetailIsCut() {
        TlsFailure failure = TlsFailure.of(new SSLHandshakeException("x".repeat(1000)), false);

        assertThat(failure.detail()).hasSize(303).endsWith("...");
    }

    @Test
    void warningIsWrittenOncePerMinute() {
        AtomicLong nanos = new AtomicLong(123);
        TargetState target = new TargetState("payments", new ServiceSpec.Target("10.0.0.7", 443, 1), nanos::get);
        TlsFailure failure = new TlsFailure(TlsFailure.UNKNOWN_CA, "unable to find valid certification path");

        try (LogCapture log = new LogCapture(TargetState.class)) {
            target.onTlsFailure(failure);
            target.onTlsFailure(failure);
            nanos.addAndGet(Duration.ofSeconds(59).toNanos());
            target.onTlsFailure(failure);
            assertThat(log.messages(Level.WARN)).hasSize(1);
            nanos.addAndGet(Duration.ofSeconds(1).toNanos());
            target.onTlsFailure(failure);

            List<String> warnings = log.messages(Level.WARN);
            assertThat(warnings).hasSize(2);
            assertThat(warnings.get(0)).isEqualTo("TLS connection to upstream target 10.0.0.7:443 of service "
                    + "'payments' failed: unknown_ca (unable to find valid certification path)");
            assertThat(warnings.get(1)).endsWith("; 2 more failed since the last report");
        }
    }
}
