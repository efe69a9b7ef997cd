package io.portico.net.client;

import java.util.List;

/**
 * The idle timeout that an HTTP/1.1 server announces with the {@code timeout} parameter of its {@code Keep-Alive}
 * response header, such as {@code Keep-Alive: timeout=5, max=100}, and the idle time for which a client may still
 * reuse the connection.
 *
 * <p>A server closes a connection that stayed idle for its timeout. A request that the client sends on the
 * connection at that moment is lost, and the client cannot tell whether the server read it, so it may send only an
 * idempotent request again. The client therefore stops reusing an idle connection {@link #MARGIN_MILLIS} before the
 * announced timeout ends, which leaves room for the request to travel and for the server's timer to fire early.
 */
public final class KeepAliveTimeout {

    /** Time before the end of the announced timeout at which a client stops reusing an idle connection. */
    public static final long MARGIN_MILLIS = 1_000;

    /** Maximum timeout read, in seconds. A larger value counts as this one, which is longer than any pool keeps. */
    private static final long MAX_SECONDS = 1_000_000;

    private KeepAliveTimeout() {
    }

    /**
     * Returns the smallest {@code timeout} parameter of the {@code Keep-Alive} header values {@code values}, in
     * seconds, or -1 when none of them has a valid one. A valid value is a whole number of seconds, bare or quoted.
     */
    public static long announcedSeconds(List<String> values) {
        long smallest = -1;
        for (String value : values) {
            for (String parameter : value.split(",")) {
                long seconds = timeoutSeconds(parameter);
                if (seconds >= 0 && (smallest < 0 || seconds < smallest)) {
                    smallest = seconds;
                }
            }
        }
        return smallest;
    }

    /**
     * Returns how long, in ms, a client may keep a connection idle and still reuse it: {@code configuredMillis}, or
     * less when the {@code Keep-Alive} header values {@code values} announce a timeout shorter than it plus the
     * margin. Returns 0 when the announced timeout leaves no idle time, so the connection must close after the
     * response.
     */
    public static long reuseLimitMillis(List<String> values, long configuredMillis) {
        long announced = announcedSeconds(values);
        if (announced < 0) {
            return configuredMillis;
        }
        return Math.max(0, Math.min(configuredMillis, announced * 1_000 - MARGIN_MILLIS));
    }

    /** Returns the seconds of one {@code timeout=N} parameter, or -1 for another parameter or an invalid value. */
    private static long timeoutSeconds(String parameter) {
        int equals = parameter.indexOf('=');
        if (equals < 0 || !parameter.substring(0, equals).trim().equalsIgnoreCase("timeout")) {
            return -1;
        }
        String value = parameter.substring(equals + 1).trim();
        if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
            value = value.substring(1, value.length() - 1);
        }
        if (value.isEmpty() || value.length() > 18 || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return -1;
        }
        return Math.min(MAX_SECONDS, Long.parseLong(value));
    }
}
