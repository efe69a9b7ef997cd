package io.portico.gateway.upstream;

import io.portico.config.Pem;
import io.portico.config.ServiceSpec;
import io.portico.net.client.Http1Client;
import io.portico.net.client.Http1ClientOptions;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientBuilder;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Builds the pooled HTTP clients that talk to the targets of one service.
 *
 * <p>A PEM setting ({@code caCertificate}, {@code clientCertificate}, {@code clientKey}) is inline PEM text when it
 * starts with {@code -----BEGIN}, and a file path otherwise. Files are read when the client opens its first TLS
 * connection, so {@link #validateTls} checks them up front.
 */
final class UpstreamClients {

    private static final String PEM_START = "-----BEGIN";

    private UpstreamClients() {
    }

    /**
     * Creates the client for a service's traffic, with {@code pool.maxConnections} connections per target.
     *
     * @param allowPrivateAddresses false to close every connection whose resolved address is not public
     */
    static HttpClientAgent create(Vertx vertx, String service, ServiceSpec spec, boolean allowPrivateAddresses) {
        return create(vertx, service, spec, spec.pool().maxConnections(), allowPrivateAddresses);
    }

    /** Creates a client with the service's protocol, TLS and timeouts and {@code maxConnections} per target. */
    static HttpClientAgent create(Vertx vertx, String service, ServiceSpec spec, int maxConnections,
                                  boolean allowPrivateAddresses) {
        PoolOptions pool = new PoolOptions()
                .setHttp1MaxSize(maxConnections)
                .setHttp2MaxSize(maxConnections);
        HttpClientBuilder builder = vertx.httpClientBuilder()
                .with(options(service, spec))
                .with(pool);
        if (!allowPrivateAddresses) {
            builder.withConnectHandler(new UpstreamAddressGuard(service));
        }
        return builder.build();
    }

    /**
     * Creates the Netty HTTP/1.1 client for a service whose targets speak plain http without HTTP/2, or returns null
     * for any other service. It keeps {@code pool.maxConnections} connections per target and event loop, closes
     * connections idle for {@code pool.keepAlive}, and passes compressed bodies on as they are.
     *
     * @param allowPrivateAddresses false to close every connection whose resolved address is not public
     */
    static Http1Client createHttp1(Vertx vertx, String service, ServiceSpec spec, boolean allowPrivateAddresses) {
        if (!spec.protocol().equals("http") || spec.pool().http2()) {
            return null;
        }
        Http1ClientOptions options = new Http1ClientOptions(spec.pool().maxConnections(), spec.pool().keepAlive(),
                null, false, allowPrivateAddresses ? null : new UpstreamAddressGuard(service));
        return new Http1Client(vertx, options);
    }

    /**
     * Returns whether two specs produce the same client, so a configuration change that only touches balancing,
     * health checks, retries or target weights can keep the open connections.
     */
    static boolean sameClient(ServiceSpec left, ServiceSpec right) {
        return left.protocol().equals(right.protocol())
                && Objects.equals(left.tls(), right.tls())
                && left.pool().equals(right.pool())
                && left.timeouts().connect().equals(right.timeouts().connect());
    }

    /**
     * Checks the PEM settings of {@code spec}: inline certificates must parse and files must be readable.
     *
     * @throws IllegalArgumentException naming the invalid setting
     */
    static void validateTls(ServiceSpec spec) {
        ServiceSpec.UpstreamTls tls = spec.tls();
        if (tls == null) {
            return;
        }
        checkCertificate("tls.caCertificate", tls.caCertificate());
        checkCertificate("tls.clientCertificate", tls.clientCertificate());
        String key = tls.clientKey();
        if (key != null && isInline(key) && !key.contains("PRIVATE KEY-----")) {
            throw new IllegalArgumentException("invalid tls.clientKey: expected a PEM private key");
        }
        if (key != null && !isInline(key)) {
            checkReadable("tls.clientKey", key);
        }
    }

    static HttpClientOptions options(String service, ServiceSpec spec) {
        HttpClientOptions options = new HttpClientOptions()
                .setName("portico-upstream-" + service)
                .setMetricsName("portico-upstream-" + service)
                .setShared(false)
                .setKeepAlive(true)
                .setKeepAliveTimeout(seconds(spec.pool().keepAlive().toMillis()))
                .setHttp2KeepAliveTimeout(seconds(spec.pool().keepAlive().toMillis()))
                .setConnectTimeout(Math.toIntExact(spec.timeouts().connect().toMillis()))
                .setSslHandshakeTimeout(spec.timeouts().connect().toMillis())
                .setSslHandshakeTimeoutUnit(TimeUnit.MILLISECONDS)
                .setDecompressionSupported(false)
                .setPipelining(false)
                .setTcpNoDelay(true);
        if (spec.pool().http2()) {
            // Over TLS, ALPN offers h2 and http/1.1. In clear text, prior knowledge: no HTTP/1.1 upgrade round trip.
            options.setProtocolVersion(HttpVersion.HTTP_2)
                    .setUseAlpn(true)
                    .setAlpnVersions(List.of(HttpVersion.HTTP_2, HttpVersion.HTTP_1_1))
                    .setHttp2ClearTextUpgrade(false);
        } else {
            options.setProtocolVersion(HttpVersion.HTTP_1_1);
        }
        if (spec.protocol().equals("https")) {
            configureTls(options, spec.tls());
        }
        return options;
    }

    private static void configureTls(HttpClientOptions options, ServiceSpec.UpstreamTls tls) {
        options.setSsl(true);
        if (tls == null) {
            options.setVerifyHost(true);
            return;
        }
        if (tls.verify()) {
            options.setVerifyHost(true);
            if (tls.caCertificate() != null) {
                options.setTrustOptions(trust(tls.caCertificate()));
            }
        } else {
            // Insecure: any certificate from anyone is accepted, so the connection is open to interception.
            options.setTrustAll(true).setVerifyHost(false);
        }
        if (tls.clientCertificate() != null && tls.clientKey() != null) {
            options.setKeyCertOptions(keyCert(tls.clientCertificate(), tls.clientKey()));
        }
        if (tls.serverName() != null) {
            // The request host is the server name (see UpstreamGroup.requestOptions); send it even without a dot.
            options.setForceSni(true);
        }
    }

    private static PemTrustOptions trust(String ca) {
        PemTrustOptions trust = new PemTrustOptions();
        return isInline(ca) ? trust.addCertValue(Buffer.buffer(ca)) : trust.addCertPath(ca);
    }

    private static PemKeyCertOptions keyCert(String certificate, String key) {
        PemKeyCertOptions keyCert = new PemKeyCertOptions();
        if (isInline(certificate)) {
            keyCert.setCertValue(Buffer.buffer(certificate));
        } else {
            keyCert.setCertPath(certificate);
        }
        if (isInline(key)) {
            keyCert.setKeyValue(Buffer.buffer(key));
        } else {
            keyCert.setKeyPath(key);
        }
        return keyCert;
    }

    private static void checkCertificate(String field, String value) {
        if (value == null) {
            return;
        }
        if (isInline(value)) {
            try {
                Pem.certificates(value);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("invalid " + field + ": " + e.getMessage(), e);
            }
        } else {
            checkReadable(field, value);
        }
    }

    private static void checkReadable(String field, String path) {
        if (!Files.isReadable(Path.of(path))) {
            // The value is not echoed: for clientKey it may be a mistyped inline key rather than a path.
            throw new IllegalArgumentException("invalid " + field + ": the value is neither inline PEM (starting with "
                    + PEM_START + ") nor the path of a readable file");
        }
    }

    private static boolean isInline(String pem) {
        return pem.stripLeading().startsWith(PEM_START);
    }

    /** Converts to whole seconds for Vert.x's keep-alive settings, rounding up, where 0 would mean no limit. */
    private static int seconds(long millis) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, (millis + 999) / 1000));
    }
}
