package io.portico.gateway.upstream;

import io.portico.net.client.DrainExpiredException;
import io.portico.net.client.PoolWaitTimeoutException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;

/**
 * Result of one exchange with an upstream target, as reported to {@link TargetState#onRequestEnd}.
 *
 * <p>A {@link Kind#RESPONSE} counts as a passive health failure only when its status is listed in the service's
 * {@code healthCheck.passive.failureStatuses}. {@link Kind#CONNECT_FAILURE}, {@link Kind#CONNECTION_ERROR} and
 * {@link Kind#TIMEOUT} always count as failures. {@link Kind#NO_CONNECTION}, {@link Kind#REFUSED} and
 * {@link Kind#CANCELLED} count neither way.
 *
 * @param kind what ended the exchange
 * @param status the response status for {@link Kind#RESPONSE}, 0 otherwise
 */
public record Outcome(Kind kind, int status) {

    /** The target could not be reached: TCP connect refused or timed out, name resolution or TLS handshake failed. */
    public static final Outcome CONNECT_FAILURE = new Outcome(Kind.CONNECT_FAILURE, 0);
    /** The connection broke after it was established: reset, closed early, or an HTTP/2 stream reset. */
    public static final Outcome CONNECTION_ERROR = new Outcome(Kind.CONNECTION_ERROR, 0);
    /** The target did not respond within the read or total timeout. */
    public static final Outcome TIMEOUT = new Outcome(Kind.TIMEOUT, 0);
    /**
     * No pooled connection to the target became free in time, because all of them were busy, so the request was
     * never sent. This is no evidence about the target's health, and any method may be retried on another target.
     */
    public static final Outcome NO_CONNECTION = new Outcome(Kind.NO_CONNECTION, 0);
    /**
     * The target refused the HTTP/2 stream before processing it: it reset the stream with REFUSED_STREAM, or the
     * stream was above the last stream id of a GOAWAY (RFC 9113 sections 6.8 and 8.7). A target does this when it
     * closes a connection gracefully, so the refusal is no evidence about its health. {@link RefusedStreams}
     * recognises these failures.
     */
    public static final Outcome REFUSED = new Outcome(Kind.REFUSED, 0);
    /** The exchange was abandoned for a reason unrelated to the target, for example the client disconnected. */
    public static final Outcome CANCELLED = new Outcome(Kind.CANCELLED, 0);

    /** Kind of event that ended an exchange. */
    public enum Kind {
        RESPONSE,
        CONNECT_FAILURE,
        CONNECTION_ERROR,
        TIMEOUT,
        NO_CONNECTION,
        REFUSED,
        CANCELLED
    }

    public Outcome {
        if (kind == null) {
            throw new IllegalArgumentException("kind must not be null");
        }
        if (kind == Kind.RESPONSE && (status < 100 || status > 599)) {
            throw new IllegalArgumentException("invalid HTTP status " + status + ": must be between 100 and 599");
        }
        if (kind != Kind.RESPONSE && status != 0) {
            throw new IllegalArgumentException("status must be 0 for outcome " + kind);
        }
    }

    /** Returns the outcome of an exchange that received a response with {@code status}. */
    public static Outcome response(int status) {
        return new Outcome(Kind.RESPONSE, status);
    }

    /**
     * Classifies a failed exchange of Vert.x's client or of {@code Http1Client} by its exception and the exceptions
     * that caused it: connect and TLS handshake errors are {@link #CONNECT_FAILURE}, a timeout waiting for a pooled
     * connection is {@link #NO_CONNECTION}, other timeouts are {@link #TIMEOUT}, a request that a retired client cut
     * off at the end of its drain time is {@link #CANCELLED}, and anything else is {@link #CONNECTION_ERROR}.
     */
    public static Outcome of(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof DrainExpiredException) {
                return CANCELLED;
            }
            // Netty's ConnectTimeoutException extends ConnectException, so a connect timeout lands here.
            if (cause instanceof ConnectException || cause instanceof UnknownHostException
                    || cause instanceof NoRouteToHostException || cause instanceof SSLException) {
                return CONNECT_FAILURE;
            }
            if (cause instanceof PoolWaitTimeoutException) {
                return NO_CONNECTION;
            }
            if (cause instanceof TimeoutException) {
                return isPoolWait(cause) ? NO_CONNECTION : TIMEOUT;
            }
            if (cause.getCause() == cause) {
                break;
            }
        }
        return CONNECTION_ERROR;
    }

    private static boolean isPoolWait(Throwable timeout) {
        // NOTE: Vert.x 5.0 signals an expired wait for a pooled connection only by this message, no dedicated type.
        String message = timeout.getMessage();
        return message != null && message.contains("when getting a connection");
    }
}
