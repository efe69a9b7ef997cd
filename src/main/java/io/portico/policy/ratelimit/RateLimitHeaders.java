package io.portico.policy.ratelimit;

import io.netty.util.AsciiString;
import io.vertx.core.MultiMap;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/**
 * Writes the rate limit state into response fields: {@code RateLimit-Policy} and {@code RateLimit} as defined by
 * draft-ietf-httpapi-ratelimit-headers-11 (structured-field lists, one item per limit), and optionally the older
 * {@code X-RateLimit-Limit}, {@code X-RateLimit-Remaining} and {@code X-RateLimit-Reset}. For example:
 *
 * <pre>
 * RateLimit-Policy: "per-second";q=10;w=1, "daily";q=10000;w=86400
 * RateLimit: "per-second";r=7;t=1, "daily";r=9952;t=40112
 * </pre>
 *
 * <p>{@code q} is the limit's {@code max} and {@code w} its window in seconds. {@code r} is the number of
 * requests the limit still admits and {@code t} the seconds until its quota is restored, rounded up, or for a
 * limit that rejected the request, the seconds until it admits one again. With
 * {@code partitionKey}, both fields carry {@code pk}, 12 bytes of the SHA-256 digest of the request's key, so a
 * client can tell which of its requests share a quota without learning what the key contains.
 */
final class RateLimitHeaders {

    static final String POLICY = "RateLimit-Policy";
    static final String STATE = "RateLimit";
    static final String LEGACY_LIMIT = "X-RateLimit-Limit";
    static final String LEGACY_REMAINING = "X-RateLimit-Remaining";
    static final String LEGACY_RESET = "X-RateLimit-Reset";

    /** The field names with their hash codes computed once, which header maps otherwise compute per request. */
    private static final AsciiString POLICY_NAME = AsciiString.cached(POLICY);
    private static final AsciiString STATE_NAME = AsciiString.cached(STATE);
    private static final byte[] T_PARAMETER = ascii(";t=");

    private final List<Limit> limits;
    /** The start of each limit's item in the {@code RateLimit} field, such as {@code "daily";r=}, in ASCII. */
    private final byte[][] statePrefixes;
    private final boolean draft;
    private final boolean legacy;
    private final boolean partitionKey;
    /**
     * The policy field without partition keys, which is the same for every request. Vert.x 5.0 writes an
     * AsciiString value into an HTTP/1.1 response with one bulk copy, and other text through
     * ByteBuf.setCharSequence.
     */
    private final AsciiString policy;

    RateLimitHeaders(List<Limit> limits, boolean draft, boolean legacy, boolean partitionKey) {
        this.limits = List.copyOf(limits);
        this.statePrefixes = new byte[limits.size()][];
        for (int i = 0; i < statePrefixes.length; i++) {
            statePrefixes[i] = ascii('"' + limits.get(i).name() + "\";r=");
        }
        this.draft = draft;
        this.legacy = legacy;
        this.partitionKey = partitionKey;
        this.policy = new AsciiString(policyField(null));
    }

    /** Returns whether any field is written, so callers can skip the work when none is. */
    boolean enabled() {
        return draft || legacy;
    }

    /** Sets the fields for {@code verdict}; {@code key} is the request's key, used only for partition keys. */
    void apply(MultiMap headers, Verdict verdict, String key) {
        if (draft) {
            String pk = partitionKey ? ":" + Base64.getEncoder().encodeToString(RequestKey.partitionKey(key)) + ":"
                    : null;
            headers.set(POLICY_NAME, pk == null ? policy : AsciiString.of(policyField(pk)));
            headers.set(STATE_NAME, stateField(verdict, pk));
        }
        if (legacy) {
            int tightest = tightest(verdict.outcomes());
            Outcome outcome = verdict.outcomes()[tightest];
            headers.set(LEGACY_LIMIT, Long.toString(limits.get(tightest).max()));
            headers.set(LEGACY_REMAINING, Long.toString(outcome.remaining()));
            headers.set(LEGACY_RESET, Long.toString(seconds(effectiveWindow(outcome))));
        }
    }

    private String policyField(String pk) {
        StringBuilder field = new StringBuilder();
        for (Limit limit : limits) {
            if (field.length() > 0) {
                field.append(", ");
            }
            field.append('"').append(limit.name()).append("\";q=").append(limit.max()).append(";w=")
                    .append(limit.windowSeconds());
            if (pk != null) {
                field.append(";pk=").append(pk);
            }
        }
        return field.toString();
    }

    /**
     * Returns the {@code RateLimit} field. It is written as bytes into an array that the returned value wraps
     * without a copy, because this runs for every admitted request.
     */
    private AsciiString stateField(Verdict verdict, String pk) {
        Outcome[] outcomes = verdict.outcomes();
        byte[] pkBytes = pk == null ? null : ascii(";pk=" + pk);
        // Room for each prefix, r and t of up to 20 characters each, and the separators.
        int capacity = 0;
        for (byte[] prefix : statePrefixes) {
            capacity += prefix.length + 2 * 20 + T_PARAMETER.length + 2 + (pkBytes == null ? 0 : pkBytes.length);
        }
        byte[] field = new byte[capacity];
        int length = 0;
        for (int i = 0; i < outcomes.length; i++) {
            if (i > 0) {
                field[length++] = ',';
                field[length++] = ' ';
            }
            length = append(field, length, statePrefixes[i]);
            length = appendNumber(field, length, outcomes[i].remaining());
            length = append(field, length, T_PARAMETER);
            length = appendNumber(field, length, seconds(effectiveWindow(outcomes[i])));
            if (pkBytes != null) {
                length = append(field, length, pkBytes);
            }
        }
        return new AsciiString(field, 0, length, false);
    }

    private static int append(byte[] target, int offset, byte[] bytes) {
        System.arraycopy(bytes, 0, target, offset, bytes.length);
        return offset + bytes.length;
    }

    /** Writes {@code value} in decimal at {@code offset} and returns the offset after it. */
    private static int appendNumber(byte[] target, int offset, long value) {
        if (value < 0) {
            return append(target, offset, ascii(Long.toString(value)));
        }
        int digits = 1;
        for (long rest = value / 10; rest > 0; rest /= 10) {
            digits++;
        }
        long rest = value;
        for (int i = offset + digits - 1; i >= offset; i--) {
            target[i] = (byte) ('0' + rest % 10);
            rest /= 10;
        }
        return offset + digits;
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    /** Returns the limit closest to exhaustion: fewest requests remaining, then the longest wait for its quota. */
    private static int tightest(Outcome[] outcomes) {
        int tightest = 0;
        for (int i = 1; i < outcomes.length; i++) {
            Outcome candidate = outcomes[i];
            Outcome best = outcomes[tightest];
            if (candidate.remaining() < best.remaining()
                    || candidate.remaining() == best.remaining() && candidate.resetMicros() > best.resetMicros()) {
                tightest = i;
            }
        }
        return tightest;
    }

    /**
     * Returns the time the {@code t} parameter reports: until the quota is restored, or, for a limit that rejected
     * the request, until it admits one again. The draft asks that {@code Retry-After} not point before the end of
     * that window, and a sliding window or a token bucket admits again before its quota is fully restored.
     */
    private static long effectiveWindow(Outcome outcome) {
        return outcome.allowed() ? outcome.resetMicros() : outcome.retryAfterMicros();
    }

    /** Whole seconds, rounded up, as the delay-seconds of HTTP. */
    static long seconds(long micros) {
        return (micros + 999_999) / 1_000_000;
    }
}
