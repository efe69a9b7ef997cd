package io.portico.net.client;

import java.util.concurrent.TimeoutException;

/**
 * The failure of a request that waited for a pooled connection longer than its wait timeout, because every
 * connection of a full pool stayed busy. The request was never sent.
 */
public final class PoolWaitTimeoutException extends TimeoutException {

    private static final long serialVersionUID = 1L;

    PoolWaitTimeoutException(String message) {
        super(message);
    }
}
