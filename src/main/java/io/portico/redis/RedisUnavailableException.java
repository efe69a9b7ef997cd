package io.portico.redis;

/**
 * Signals that a command was not sent, or got no usable reply, because the Redis server is unreachable, timed
 * out or cannot serve commands right now. Callers fall back or reject; the client logs the outage once.
 */
public final class RedisUnavailableException extends RuntimeException {

    public RedisUnavailableException(String message) {
        // No stack trace: this exception is expected while Redis is down and may be raised for every request.
        super(message, null, false, false);
    }
}
