package io.portico.ai.client;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * Settings of a {@link ProviderClient}.
 *
 * @param maxConnectionsPerPool maximum connections to one origin (scheme, host, port) from one event loop;
 *                              requests beyond it wait for a connection
 * @param idleTimeout           how long a kept-alive connection may stay unused before the client closes it
 * @param trustedCertificatesPem PEM certificates to trust for https in place of the JDK trust store; null for the
 *                              JDK trust store
 */
public record ProviderClientOptions(int maxConnectionsPerPool, Duration idleTimeout, String trustedCertificatesPem) {

    /** The defaults: 64 connections per origin and event loop, 60 s idle timeout, the JDK trust store. */
    public static final ProviderClientOptions DEFAULT = new ProviderClientOptions(64, Duration.ofSeconds(60), null);

    public ProviderClientOptions {
        requireNonNull(idleTimeout, "idleTimeout");
        if (maxConnectionsPerPool < 1) {
            throw new IllegalArgumentException("maxConnectionsPerPool must be at least 1, got "
                    + maxConnectionsPerPool);
        }
        if (idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("idleTimeout must be positive, got " + idleTimeout);
        }
    }

    /** Returns these options with {@code pem} as the only trusted certificates. */
    public ProviderClientOptions withTrustedCertificates(String pem) {
        return new ProviderClientOptions(maxConnectionsPerPool, idleTimeout, requireNonNull(pem, "pem"));
    }
}
