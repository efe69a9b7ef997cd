package io.portico.policy.ratelimit;

import io.netty.util.AsciiString;
import io.vertx.core.MultiMap;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/**
 * The response fields of one {@code rate-limit} policy: {@code RateLimit-Policy} and {@code RateLimit} as defined by
 * draft-ietf-httpapi-ratelimit-headers-11 (structured-field lists, one item per limit), and optionally the older
 * {@code X-RateLimit-Limit}, {@code X-RateLimit-Remaining} and {@code X-RateLimit-Reset}. For example:
 *
 * <pre>
 * RateLimit-Policy: "per-second";q=10;w=1, "daily";q=10000;w=86400
 * RateLimit: "per-second";r=7;t=1, "daily";r=9952;t=40112
 * </pre>
 *
 * <p>{@code q} and {@code w} are the quota and its window: the limit's {@code max} and window for the window
 * algorithms, and for a token bucket its {@code burst} and the time an empty bucket takes to fill (see
 * {@link #quota}). {@code r} is the number of requests the limit still admits and {@code t} the seconds until its
 * quota is restored, rounded up, or for a limit that rejected the request, the seconds until it admits one again.
 * With {@code partitionKey}, both fields carry {@code pk}, 12 bytes of the SHA-256 digest of the request's key, so
 * a client can tell which of its requests share a quota without learning what the key contains.
 *
 * <p>{@link RateLimitFields} combines the items of every policy that checked a request into one set of fields.
 */
final class RateLimitHeaders {

    static final String POLICY = "RateLimit-Policy";
    static final String STATE = "RateLimit";
    static final String LEGACY_LIMIT = "X-RateLimit-Limit";
    static final String LEGACY_REMAINING = "X-RateLimit-Remaining";
    static final String LEGACY_RESET = "X-RateLimit-Reset";

    /** The field names with their hash codes computed once, which header maps otherwise compute per request. */
    static final AsciiString POLICY_NAME = AsciiString.cached(POLICY);
    static final AsciiString STATE_NAME = AsciiString.cached(STATE);
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
        StringBuilder field = new StringBuilder();
        appendPolicyItems(field, null, null);
        this.policy = new AsciiString(field);
    }

    /** Returns whether any field is written, so callers can skip the work when none is. */
    boolean enabled() {
        return draft || legacy;
    }

    /** Returns whether the policy adds its items to {@code RateLimit-Policy} and {@code RateLimit}. */
    boolean draft() {
        return draft;
    }

    /** Returns whether the policy's limits take part in {@code X-RateLimit-*}. */
    boolean legacy() {
        return legacy;
    }

    List<Limit> limits() {
        return limits;
    }

    /** Returns whether one of the policy's limits is named {@code name}. */
    boolean hasLimit(String name) {
        for (Limit limit : limits) {
            if (limit.name().equals(name)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Returns the {@code pk} parameter's value for a request of {@code key}, a byte sequence such as
     * {@code :cHsdsRa894AbCdEf:}, or null when the policy sends no partition keys.
     */
    String partitionKey(String key) {
        return partitionKey ? ":" + Base64.getEncoder().encodeToString(RequestKey.partitionKey(key)) + ":" : null;
    }

    /** Sets both fields for {@code verdict} when this policy is the only one whose items a response carries. */
    void setDraftFields(MultiMap headers, Verdict verdict, String pk) {
        if (pk == null) {
            headers.set(POLICY_NAME, policy);
        } else {
            StringBuilder field = new StringBuilder();
            appendPolicyItems(field, null, pk);
            headers.set(POLICY_NAME, AsciiString.of(field));
        }
        headers.set(STATE_NAME, stateField(verdict, pk));
    }

    /**
     * Appends one {@code RateLimit-Policy} item per limit to {@code field}, after a separator when it is not
     * empty.
     *
     * @param names the item names, one per limit, or null for the limits' own names
     * @param pk the {@code pk} parameter's value, or null
     */
    void appendPolicyItems(StringBuilder field, String[] names, String pk) {
        for (int i = 0; i < limits.size(); i++) {
            Limit limit = limits.get(i);
            if (field.length() > 0) {
                field.append(", ");
            }
            field.append('"').append(names == null ? limit.name() : names[i]).append("\";q=").append(quota(limit))
                    .append(";w=").append(quotaWindow(limit));
            if (pk != null) {
                field.append(";pk=").append(pk);
            }
        }
    }

    /**
     * Appends one {@code RateLimit} item per limit to {@code field}, with the same separator, names and partition
     * key as {@link #appendPolicyItems}.
     */
    void appendStateItems(StringBuilder field, String[] names, Verdict verdict, String pk) {
        Outcome[] outcomes = verdict.outcomes();
        for (int i = 0; i < outcomes.length; i++) {
            if (field.length() > 0) {
                field.append(", ");
            }
            field.append('"').append(names == null ? limits.get(i).name() : names[i]).append("\";r=")
                    .append(outcomes[i].remaining()).append(";t=").append(seconds(effectiveWindow(outcomes[i])));
            if (pk != null) {
                field.append(";pk=").append(pk);
            }
        }
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

    /**
     * Returns the limit's quota, the {@code q} parameter and {@code X-RateLimit-Limit}: the requests it admits
     * within {@link #quotaWindow}, and the most {@code r} can be. That is {@code max} for the window algorithms
     * and {@code burst} for a token bucket, which never contains more than {@code burst} tokens.
     */
    static long quota(Limit limit) {
        return limit.algorithm() == Algorithm.TOKEN_BUCKET ? limit.burst() : limit.max();
    }

    /**
     * Returns the window of the limit's {@link #quota} in seconds, the {@code w} parameter: the limit's window for
     * the window algorithms, and for a token bucket the time an empty bucket takes to fill at {@code max} per
     * window, {@code burst × window / max}, rounded up. A client that sends {@code q} requests per {@code w}
     * therefore never exceeds the bucket's rate.
     */
    static long quotaWindow(Limit limit) {
        if (limit.algorithm() != Algorithm.TOKEN_BUCKET) {
            return limit.windowSeconds();
        }
        return Math.max(1, (limit.burst() * limit.windowSeconds() + limit.max() - 1) / limit.max());
    }

    /**
     * Returns the time the {@code t} parameter reports: until the quota is restored, or, for a limit that rejected
     * the request, until it admits one again. The draft asks that {@code Retry-After} not point before the end of
     * that window, and a sliding window or a token bucket admits again before its quota is fully restored.
     */
    static long effectiveWindow(Outcome outcome) {
        return outcome.allowed() ? outcome.resetMicros() : outcome.retryAfterMicros();
    }

    /** Whole seconds, rounded up, as the delay-seconds of HTTP. */
    static long seconds(long micros) {
        return (micros + 999_999) / 1_000_000;
    }
}
