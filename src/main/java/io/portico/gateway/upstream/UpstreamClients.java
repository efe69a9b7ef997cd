package io.portico.gateway.upstream;

import io.portico.config.Errors;
import io.portico.config.Pem;
import io.portico.config.ServiceSpec;
import io.portico.gateway.tls.PemKeyPair;
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
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Builds the pooled HTTP clients that talk to the targets of one service.
 *
 * <p>A PEM setting ({@code caCertificate}, {@code clientCertificate}, {@code clientKey}) is inline PEM text when it
 * starts with {@code -----BEGIN}, and a file path otherwise. Files are read when the client opens its first TLS
 * connection, so {@link #validateTls} reads and parses them up front.
 */
final class UpstreamClients {

    private static final String PEM_START = ServiceSpec.UpstreamTls.PEM_START;
    private static final String SECRET_HINT = ServiceSpec.UpstreamTls.SECRET_HINT;
    private static final String CLIENT_CERTIFICATE = "clientCertificate";
    private static final String CLIENT_KEY = "clientKey";
    /**
     * Period, in ms, at which the Vert.x client removes the connections whose keep-alive time has passed from its
     * pools. Vert.x 5.0.7 checks the keep-alive time only then, not when it hands out a connection, so a connection
     * may be reused up to this long after its time. Vert.x's default of 1 s would use up the margin that
     * {@link KeepAliveLimit} leaves before the timeout that a target announces.
     */
    static final int POOL_CLEANER_PERIOD_MILLIS = 100;

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

    /**
     * Creates a client with the service's protocol, TLS and timeouts and {@code maxConnections} per target. Each new
     * HTTP/1.x connection gets a {@link KeepAliveLimit}, so it is not reused at the end of the idle timeout that the
     * target announces. With {@code pool.http2}, each new connection is watched for GOAWAY, so {@link RefusedStreams}
     * can tell which requests the target refused.
     */
    static HttpClientAgent create(Vertx vertx, String service, ServiceSpec spec, int maxConnections,
                                  boolean allowPrivateAddresses) {
        PoolOptions pool = new PoolOptions()
                .setHttp1MaxSize(maxConnections)
                .setHttp2MaxSize(maxConnections)
                .setCleanerPeriod(POOL_CLEANER_PERIOD_MILLIS);
        HttpClientOptions options = options(service, spec);
        HttpClientBuilder builder = vertx.httpClientBuilder()
                .with(options)
                .with(pool);
        UpstreamAddressGuard guard = allowPrivateAddresses ? null : new UpstreamAddressGuard(service);
        KeepAliveLimit keepAliveLimit = new KeepAliveLimit(options.getKeepAliveTimeout() * 1_000L);
        boolean http2 = spec.pool().http2();
        builder.withConnectHandler(connection -> {
            keepAliveLimit.install(connection);
            if (http2) {
                RefusedStreams.watch(connection);
            }
            if (guard != null) {
                guard.handle(connection);
            }
        });
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
        return new Http1Client(vertx, http1Options(service, spec, allowPrivateAddresses));
    }

    private static Http1ClientOptions http1Options(String service, ServiceSpec spec, boolean allowPrivateAddresses) {
        return new Http1ClientOptions(spec.pool().maxConnections(), spec.pool().keepAlive(), null, false,
                allowPrivateAddresses ? null : new UpstreamAddressGuard(service));
    }

    /**
     * Builds the client settings of {@code spec} as {@link #create} and {@link #createHttp1} do, without creating a
     * client, so that a service whose clients this node could not create is rejected before it is stored.
     *
     * @throws RuntimeException when a setting is out of the clients' bounds
     */
    static void checkOptions(String service, ServiceSpec spec) {
        options(service, spec);
        if (spec.protocol().equals("http") && !spec.pool().http2()) {
            http1Options(service, spec, true);
        }
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
     * Checks the PEM settings of {@code spec} as {@link #checkTls} does.
     *
     * @throws IllegalArgumentException naming each invalid setting
     */
    static void validateTls(ServiceSpec spec) {
        if (spec.tls() == null) {
            return;
        }
        Errors errors = new Errors();
        checkTls(spec.tls(), errors);
        if (!errors.isEmpty()) {
            throw new IllegalArgumentException(errors.list().stream()
                    .map(error -> "invalid tls." + error.field() + ": " + error.message())
                    .collect(Collectors.joining("; ")));
        }
    }

    /**
     * Records into {@code errors} each PEM setting of {@code tls} that a client could not use: a file that is
     * missing, unreadable or not PEM of the expected kind, certificates that do not parse, or a client key that is
     * not the private key of the client certificate. A masked secret hint ({@code secret:...}) is left to the code
     * that restores it.
     */
    static void checkTls(ServiceSpec.UpstreamTls tls, Errors errors) {
        String authorities = pemText(errors, "caCertificate", tls.caCertificate(), false);
        if (authorities != null) {
            checkCertificates(errors, "caCertificate", authorities);
        }
        String certificate = pemText(errors, "clientCertificate", tls.clientCertificate(), false);
        String key = pemText(errors, "clientKey", tls.clientKey(), true);
        if (certificate == null || key == null) {
            if (certificate != null) {
                checkCertificates(errors, "clientCertificate", certificate);
            }
            return;
        }
        try {
            PemKeyPair.check(CLIENT_CERTIFICATE, certificate, CLIENT_KEY, key);
        } catch (IllegalArgumentException e) {
            String message = e.getMessage();
            String field = message.startsWith(CLIENT_KEY) ? CLIENT_KEY : CLIENT_CERTIFICATE;
            errors.add(field, message.substring(field.length()).replaceFirst("^:? ", ""));
        }
    }

    private static void checkCertificates(Errors errors, String field, String pem) {
        try {
            Pem.certificates(pem);
        } catch (IllegalArgumentException e) {
            errors.add(field, e.getMessage());
        }
    }

    /**
     * Returns the PEM text of a setting: the value itself when it is inline PEM, else the content of the file it
     * names. Returns null when there is no text to check: no value, a masked secret hint, or a file that cannot be
     * read, which is recorded in {@code errors}. Messages name the path, except for a {@code secret} setting whose
     * value names no file and does not look like a path, because it may be a mistyped inline key.
     */
    private static String pemText(Errors errors, String field, String value, boolean secret) {
        if (value == null || value.startsWith(SECRET_HINT)) {
            return null;
        }
        if (isInline(value)) {
            return value;
        }
        Path path;
        try {
            path = Path.of(value);
        } catch (InvalidPathException e) {
            errors.add(field, "is neither inline PEM (starting with " + PEM_START + ") nor a file path");
            return null;
        }
        if (!Files.isRegularFile(path)) {
            if (!secret || looksLikePath(value)) {
                errors.add(field, "file " + value + " does not exist on this node, or is not a regular file");
            } else {
                errors.add(field, "is not inline PEM (starting with " + PEM_START + ") and names no file on this"
                        + " node; the value is not shown because it does not look like a path");
            }
            return null;
        }
        try {
            // ISO-8859-1 maps every byte, so a binary file reaches the PEM parser and fails there with its reason.
            return Files.readString(path, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            errors.add(field, "file " + value + " cannot be read: " + e);
            return null;
        }
    }

    /**
     * Returns true for one line without whitespace that starts with {@code /} or contains a {@code .}, such as
     * {@code /etc/portico/gateway.key} or {@code certs/gateway.key}. Base64 key text never matches: {@code .} is not
     * in its alphabet, and the base64 of a DER key starts with {@code M}.
     */
    private static boolean looksLikePath(String value) {
        return value.chars().noneMatch(Character::isWhitespace) && (value.startsWith("/") || value.contains("."));
    }

    static HttpClientOptions options(String service, ServiceSpec spec) {
        HttpClientOptions options = new HttpClientOptions()
                .setName("portico-upstream-" + service)
                .setMetricsName("portico-upstream-" + service)
                .setShared(false)
                .setKeepAlive(true)
                .setKeepAliveTimeout(seconds(spec.pool().keepAlive().toMillis()))
                .setHttp2KeepAliveTimeout(seconds(spec.pool().keepAlive().toMillis()))
                .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, spec.timeouts().connect().toMillis()))
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
        // The request host, which is serverName when it is set (see UpstreamGroup.requestOptions), goes out as SNI
        // whether it contains a dot or not, unless it is an IP address.
        options.setSsl(true).setSslEngineOptions(new HostNameSniEngineOptions());
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

    private static boolean isInline(String pem) {
        return ServiceSpec.UpstreamTls.isInlinePem(pem);
    }

    /** Converts to whole seconds for Vert.x's keep-alive settings, rounding up, where 0 would mean no limit. */
    private static int seconds(long millis) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, (millis + 999) / 1000));
    }
}
