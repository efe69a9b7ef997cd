package io.portico.net.client;

import static java.util.Objects.requireNonNull;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.function.Predicate;

/**
 * Settings of a {@link Http1Client}.
 *
 * @param maxConnectionsPerPool  maximum connections to one origin (scheme, host, port) from one event loop;
 *                               requests beyond it wait for a connection
 * @param idleTimeout            how long a kept-alive connection may stay unused before the client closes it. A
 *                               server that announces a shorter timeout in its {@code Keep-Alive} header gets
 *                               that timeout less {@link KeepAliveTimeout#MARGIN_MILLIS}.
 * @param trustedCertificatesPem PEM certificates to trust for https in place of the JDK trust store; null for the
 *                               JDK trust store
 * @param decompress             true to decompress a gzip or deflate response body, false to pass it on as sent
 * @param remoteAddressFilter    the test of each new connection's resolved address. A connection that fails it is
 *                               closed and fails its request. Null accepts every address.
 */
public record Http1ClientOptions(int maxConnectionsPerPool, Duration idleTimeout, String trustedCertificatesPem,
                                 boolean decompress, Predicate<InetSocketAddress> remoteAddressFilter) {

    /**
     * The defaults: 64 connections per origin and event loop, 60 s idle timeout, the JDK trust store,
     * decompression, and every address accepted.
     */
    public static final Http1ClientOptions DEFAULT = new Http1ClientOptions(64, Duration.ofSeconds(60), null);

    public Http1ClientOptions {
        requireNonNull(idleTimeout, "idleTimeout");
        if (maxConnectionsPerPool < 1) {
            throw new IllegalArgumentException("maxConnectionsPerPool must be at least 1, got "
                    + maxConnectionsPerPool);
        }
        if (idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("idleTimeout must be positive, got " + idleTimeout);
        }
    }

    /** Creates options that decompress response bodies and accept every address. */
    public Http1ClientOptions(int maxConnectionsPerPool, Duration idleTimeout, String trustedCertificatesPem) {
        this(maxConnectionsPerPool, idleTimeout, trustedCertificatesPem, true, null);
    }

    /** Returns these options with {@code pem} as the only trusted certificates. */
    public Http1ClientOptions withTrustedCertificates(String pem) {
        return new Http1ClientOptions(maxConnectionsPerPool, idleTimeout, requireNonNull(pem, "pem"), decompress,
                remoteAddressFilter);
    }
}
