package io.portico.ai;

import io.portico.ai.spi.AiError;
import io.portico.logging.WarningLimiter;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WARN lines for failed calls of one provider, such as a failed token exchange, a provider 5xx, a broken or
 * invalid stream, or a timeout. At most one line per {@link #INTERVAL_SECONDS} passes, and it counts the failures
 * held back before it, so a provider that fails every request cannot flood the log. Callers pass reasons that were
 * already redacted, because the line must never contain a secret.
 */
final class ProviderFailureLog {

    /** The minimum time between two WARN lines of one provider, in seconds. */
    static final long INTERVAL_SECONDS = 60;
    /** The maximum length of the reason in a line. A longer reason is cut there and ends with "...". */
    static final int MAX_REASON_CHARS = 500;

    private static final Logger LOG = LoggerFactory.getLogger(ProviderFailureLog.class);

    private final String provider;
    private final WarningLimiter limiter;

    ProviderFailureLog(String provider) {
        this(provider, new WarningLimiter(TimeUnit.SECONDS.toNanos(INTERVAL_SECONDS)));
    }

    ProviderFailureLog(String provider, WarningLimiter limiter) {
        this.provider = provider;
        this.limiter = limiter;
    }

    /**
     * Logs that a call of request {@code requestId} to {@code model} failed with {@code error}, unless a line of
     * this provider was logged less than {@link #INTERVAL_SECONDS} ago.
     *
     * @param reason the cause for the operator, which may contain more than the client's message and is logged
     *     after it; null for none
     */
    void failed(String requestId, String model, AiError error, String reason) {
        long suppressed = limiter.tryAcquire();
        if (suppressed == WarningLimiter.SUPPRESSED) {
            return;
        }
        String kind = error.code() != null ? error.code() : error.type();
        String text = printable(reason != null ? error.message() + ": " + reason : error.message());
        if (suppressed == 0) {
            LOG.warn("Provider {} failed request {} for model {} with status {} ({}): {}", provider, requestId,
                    model, error.status(), kind, text);
        } else {
            LOG.warn("Provider {} failed request {} for model {} with status {} ({}): {}; {} more failures of this"
                    + " provider since the previous warning were not logged, because this warning repeats at most"
                    + " every {} s", provider, requestId, model, error.status(), kind, text, suppressed,
                    limiter.intervalSeconds());
        }
    }

    /**
     * Returns {@code reason} on one line and at most {@link #MAX_REASON_CHARS} long. Line breaks and other control
     * characters, which a provider's text may contain, become spaces so that they cannot forge log lines.
     */
    static String printable(String reason) {
        if (reason == null) {
            return "no reason given";
        }
        boolean cut = reason.length() > MAX_REASON_CHARS;
        String text = cut ? reason.substring(0, MAX_REASON_CHARS) : reason;
        StringBuilder line = new StringBuilder(text.length() + 3);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            line.append(Character.isISOControl(c) ? ' ' : c);
        }
        return cut ? line.append("...").toString() : line.toString();
    }
}
