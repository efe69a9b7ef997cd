package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import io.portico.ai.spi.AiError;
import io.portico.ai.spi.ProviderCall;
import io.portico.config.ProviderSpec;
import io.portico.logging.WarningLimiter;
import io.portico.testing.LogCapture;
import io.vertx.core.buffer.Buffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The rate limit of provider failure warnings, the text of their lines, and the secrets that a provider call adds
 * to those removed from its errors.
 */
class ProviderFailureLogTest {

    private static final long INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(60);

    private final AtomicLong now = new AtomicLong(1_000);
    private final WarningLimiter limiter = new WarningLimiter(INTERVAL_NANOS, now::get);

    @Test
    void warningCountsSuppressedFailures() {
        ProviderFailureLog failures = new ProviderFailureLog("vx", limiter);
        AiError error = AiError.of(502, "provider_authorization_failed", "authorization with provider 'vx' failed");

        try (LogCapture log = new LogCapture(ProviderFailureLog.class)) {
            failures.failed("req-1", "gemini-2.5-flash", error, "the token endpoint rejected the assertion");
            failures.failed("req-2", "gemini-2.5-flash", error, "the token endpoint rejected the assertion");
            failures.failed("req-3", "gemini-2.5-flash", error, "the token endpoint rejected the assertion");
            now.addAndGet(INTERVAL_NANOS);
            failures.failed("req-4", "gemini-2.5-flash", error, null);

            List<String> lines = log.messages(Level.WARN);
            assertThat(lines).hasSize(2);
            assertThat(lines.get(0)).isEqualTo("Provider vx failed request req-1 for model gemini-2.5-flash with"
                    + " status 502 (provider_authorization_failed): authorization with provider 'vx' failed: the token"
                    + " endpoint rejected the assertion");
            assertThat(lines.get(1)).isEqualTo("Provider vx failed request req-4 for model gemini-2.5-flash with"
                    + " status 502 (provider_authorization_failed): authorization with provider 'vx' failed; 2 more"
                    + " failures of this provider since the previous warning were not logged, because this warning"
                    + " repeats at most every 60 s");
        }
    }

    @Test
    void reasonKeptOnOneBoundedLine() {
        String forged = "bad gateway\n2025-01-01 INFO forged line\r\tend";
        String longReason = "x".repeat(ProviderFailureLog.MAX_REASON_CHARS + 10);

        assertThat(ProviderFailureLog.printable(forged)).isEqualTo("bad gateway 2025-01-01 INFO forged line  end");
        assertThat(ProviderFailureLog.printable(longReason))
                .isEqualTo("x".repeat(ProviderFailureLog.MAX_REASON_CHARS) + "...");
    }

    @Test
    void callCredentialsAreRedacted() {
        ProviderSpec spec = new ProviderSpec("vx", "vertex", null, List.of(), null, List.of(), Map.of(), null,
                Map.of(), "us-central1", "proj-1", null, null, null, null, null, null, null, null);
        ProviderSecrets secrets = new ProviderSecrets(spec);
        String token = "ya29.a0-access-token-0123456789abcdef";
        ProviderCall call = ProviderCall.postJson("http://127.0.0.1:1/v1/x", Buffer.buffer("{}"));
        call.headers().set("authorization", "Bearer " + token);

        String message = "credentials " + token + ", masked " + token.substring(0, token.length() - 4) + "****";

        assertThat(secrets.redact(message)).isEqualTo(message);
        assertThat(secrets.forCall(call).redact(message)).isEqualTo("credentials [redacted], masked [redacted]****");
        assertThat(secrets.forCall(null)).isSameAs(secrets);
    }
}
