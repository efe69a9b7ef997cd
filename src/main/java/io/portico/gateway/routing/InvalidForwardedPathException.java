package io.portico.gateway.routing;

/**
 * Thrown when a route's {@code rewrite} turns a request path into a path that cannot be sent upstream, for example
 * when a group captures part of a percent-escape. The message names what is invalid in the rewritten path, without
 * quoting it.
 */
public final class InvalidForwardedPathException extends RuntimeException {

    InvalidForwardedPathException(String message) {
        super(message, null, false, false);
    }
}
