package io.portico.node;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.portico.config.Errors;
import io.portico.config.HeaderNames;
import io.portico.net.IpRange;
import io.portico.net.UrlRedaction;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Settings of one Portico process: its listeners, data directory and store. Unlike the configuration in the
 * store, these are read once at start from a YAML file, environment variables and command-line options.
 *
 * @param dataDirectory where the embedded database, the generated admin token and other node files live
 * @param drainTimeout how long a graceful shutdown waits for in-flight requests
 * @param requestIdHeader header that carries the request id; generated when the client sent none
 * @param maxBodySize default largest request body in bytes for routes that set none; unlimited when absent
 * @param accessLog whether each request writes one access-log line
 * @param ai settings of the AI gateway
 * @param limits limits on the requests the gateway listeners accept
 * @param upstreams restrictions on the addresses the gateway connects to for upstream targets
 * @param clientAddress how the client address of a request is determined behind proxies
 * @param identityHeaders names of the headers that carry the authenticated identity to upstreams
 * @param cache settings of the response cache
 * @param redis the Redis server that cluster-wide rate limits and other shared state use; none when absent
 * @param metrics settings of the Prometheus metrics
 * @param transport the network transport, one of {@link NetworkTransport#NAMES}; {@code auto} when absent
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record NodeConfig(
        Listener http,
        HttpsListener https,
        AdminListener admin,
        String dataDirectory,
        Store store,
        Duration drainTimeout,
        String requestIdHeader,
        Long maxBodySize,
        Boolean accessLog,
        Ai ai,
        Limits limits,
        Upstreams upstreams,
        ClientAddress clientAddress,
        IdentityHeaders identityHeaders,
        Cache cache,
        Redis redis,
        Metrics metrics,
        String transport) {

    /**
     * Smallest value of a size limit in bytes. A header section limit below it rejects even a minimal request with a
     * few ordinary headers, and an image or cache limit below it leaves that feature nothing to work with.
     */
    private static final long MIN_SIZE = 1024;
    /** Smallest {@code limits.maxUriLength}: a request line with a short path and query. */
    private static final long MIN_URI_LENGTH = 256;

    public NodeConfig {
        http = http == null ? new Listener(null, null, null) : http;
        https = https == null ? new HttpsListener(null, null, null, null, null) : https;
        admin = admin == null ? new AdminListener(null, null, null) : admin;
        dataDirectory = dataDirectory == null ? "data" : dataDirectory;
        store = store == null ? new Store(null, null, null, null) : store;
        drainTimeout = drainTimeout == null ? Duration.ofSeconds(30) : drainTimeout;
        requestIdHeader = requestIdHeader == null ? "X-Request-Id" : requestIdHeader;
        accessLog = accessLog == null || accessLog;
        ai = ai == null ? new Ai(null, null, null) : ai;
        limits = limits == null ? new Limits(null, null, null, null, null) : limits;
        upstreams = upstreams == null ? new Upstreams(null, null) : upstreams;
        clientAddress = clientAddress == null ? new ClientAddress(null, null) : clientAddress;
        identityHeaders = identityHeaders == null ? new IdentityHeaders(null, null, null, null, null)
                : identityHeaders;
        cache = cache == null ? new Cache(null, null) : cache;
        redis = redis == null ? new Redis(null, null, null, null, null, null, null, null, null) : redis;
        metrics = metrics == null ? new Metrics(null, null, null) : metrics;
        if (maxBodySize != null && maxBodySize < 0) {
            throw new IllegalArgumentException("maxBodySize must not be negative, got " + maxBodySize
                    + "; leave it out for no limit");
        }
        checkRequestIdHeader(requestIdHeader, identityHeaders);
        distinctPorts(http, https, admin, metrics);
        transport = transport == null ? "auto" : transport.trim().toLowerCase(Locale.ROOT);
        if (!NetworkTransport.NAMES.contains(transport)) {
            throw new IllegalArgumentException("invalid transport '" + transport + "': expected one of "
                    + String.join(", ", NetworkTransport.NAMES));
        }
    }

    /**
     * Rejects a request id header that could not carry a request id on its own: one that Portico sets or removes
     * for other reasons, or an identity header, whose value a client could then choose.
     */
    private static void checkRequestIdHeader(String name, IdentityHeaders identityHeaders) {
        if (!HeaderNames.isToken(name)) {
            throw new IllegalArgumentException("requestIdHeader: '" + name + "' is not a valid header name");
        }
        if (HeaderNames.isSetByPortico(name)) {
            throw new IllegalArgumentException("requestIdHeader: '" + name + "' is a header that Portico sets or"
                    + " removes itself on every upstream request; choose another name");
        }
        identityHeaders.byRole().forEach((role, header) -> {
            if (HeaderNames.canonical(header).equals(HeaderNames.canonical(name))) {
                throw new IllegalArgumentException("requestIdHeader and identityHeaders." + role + " both use the"
                        + " header '" + name + "'; give each its own header name");
            }
        });
    }

    /** Returns the defaults: HTTP on 0.0.0.0:8080, admin on 127.0.0.1:9080, the embedded store under ./data. */
    public static NodeConfig defaults() {
        return new NodeConfig(null, null, null, null, null, null, null, null, null, null, null, null, null, null,
                null, null, null, null);
    }

    /**
     * Settings of the AI gateway.
     *
     * @param catalog a YAML or JSON model catalog file merged over the built-in one; see docs/model-catalog.md
     * @param images how images given by URL are fetched for providers that accept only inline images
     * @param maxResponseBytes largest response body of a provider that is not a stream, in bytes, at least 1 KiB;
     *     32 MiB when absent
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Ai(String catalog, Images images, Long maxResponseBytes) {
        public Ai {
            images = images == null ? new Images(null, null, null, null) : images;
            maxResponseBytes = atLeast("ai.maxResponseBytes",
                    maxResponseBytes == null ? 32L * 1024 * 1024 : maxResponseBytes, MIN_SIZE);
        }
    }

    /**
     * Limits on fetching images that clients give by URL.
     *
     * @param maxBytes largest image in bytes, at least 1 KiB; 10 MiB when absent
     * @param timeout longest wait for the response head and, after it, for each next bytes of the body; 10 seconds
     *     when absent
     * @param totalTimeout longest time for one fetch, from the connection to the last byte; 30 seconds when absent
     * @param allowPrivateAddresses fetch from loopback, private and link-local addresses too; false when absent
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Images(Long maxBytes, Duration timeout, Duration totalTimeout, Boolean allowPrivateAddresses) {
        public Images {
            maxBytes = atLeast("ai.images.maxBytes", maxBytes == null ? 10L * 1024 * 1024 : maxBytes, MIN_SIZE);
            timeout = positive("ai.images.timeout", timeout == null ? Duration.ofSeconds(10) : timeout);
            totalTimeout = positive("ai.images.totalTimeout",
                    totalTimeout == null ? Duration.ofSeconds(30) : totalTimeout);
            allowPrivateAddresses = allowPrivateAddresses != null && allowPrivateAddresses;
        }
    }

    /**
     * Limits on the requests the gateway listeners accept. Larger requests are rejected before routing.
     *
     * @param maxUriLength longest HTTP/1.x request line in bytes (method, target and version), at least 256;
     *     8 KiB when absent
     * @param maxHeaderSize largest header section in bytes, for HTTP/1.x and as the HTTP/2 header list size that
     *     the gateway accepts, at least 1 KiB; 16 KiB when absent
     * @param headerTimeout longest time a client may take to send an HTTP/1.x request head, from its first byte;
     *     30 seconds when absent
     * @param http2MaxConcurrentStreams most HTTP/2 streams one client connection may have open; 128 when absent
     * @param bodyTimeout longest time the gateway waits for the next bytes of a request body while it reads the body;
     *     60 seconds when absent
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Limits(Integer maxUriLength, Integer maxHeaderSize, Duration headerTimeout,
                         Integer http2MaxConcurrentStreams, Duration bodyTimeout) {
        public Limits {
            maxUriLength = (int) atLeast("limits.maxUriLength", maxUriLength == null ? 8 * 1024 : maxUriLength,
                    MIN_URI_LENGTH);
            maxHeaderSize = (int) atLeast("limits.maxHeaderSize", maxHeaderSize == null ? 16 * 1024 : maxHeaderSize,
                    MIN_SIZE);
            headerTimeout = headerTimeout == null ? Duration.ofSeconds(30) : headerTimeout;
            if (headerTimeout.isNegative() || headerTimeout.isZero()) {
                throw new IllegalArgumentException("limits.headerTimeout must be positive, got " + headerTimeout);
            }
            http2MaxConcurrentStreams = positive("limits.http2MaxConcurrentStreams", http2MaxConcurrentStreams, 128);
            bodyTimeout = bodyTimeout == null ? Duration.ofSeconds(60) : bodyTimeout;
            if (bodyTimeout.isNegative() || bodyTimeout.isZero()) {
                throw new IllegalArgumentException("limits.bodyTimeout must be positive, got " + bodyTimeout);
            }
        }

        private static int positive(String name, Integer value, int defaultValue) {
            if (value == null) {
                return defaultValue;
            }
            if (value <= 0) {
                throw new IllegalArgumentException(name + " must be positive, got " + value);
            }
            return value;
        }
    }

    /**
     * Settings of the connections to upstream targets: restrictions on their addresses, as protection against
     * server-side request forgery, and the drain time of the clients that a configuration change replaces.
     *
     * @param allowPrivateAddresses connect to upstream targets on loopback, private, link-local, cloud metadata and
     *     other non-public addresses (see {@code AddressRules}); true when absent, because upstreams usually live on
     *     private networks. When false, each new upstream connection whose resolved address is not public is closed
     *     before a request is sent on it.
     * @param retiredClientDrain how long the clients of a service that a configuration change replaced keep the
     *     requests in flight on them when the service sets no {@code timeouts.total}; 5 minutes when absent, at
     *     least 1 ms
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Upstreams(Boolean allowPrivateAddresses, Duration retiredClientDrain) {
        public Upstreams {
            allowPrivateAddresses = allowPrivateAddresses == null || allowPrivateAddresses;
            retiredClientDrain = retiredClientDrain == null ? Duration.ofMinutes(5) : retiredClientDrain;
            if (retiredClientDrain.toMillis() < 1) {
                throw new IllegalArgumentException("upstreams.retiredClientDrain must be at least 1ms, got "
                        + retiredClientDrain);
            }
        }
    }

    /**
     * Where the client address of a request comes from. It is the socket peer's address, unless the peer lies in
     * {@code trustedProxies}: then {@code header} is read from the right, and the first address that is not a
     * trusted proxy is the client's.
     *
     * @param trustedProxies IPv4 and IPv6 addresses and CIDR ranges of the proxies in front of Portico. None
     *     when absent, so that forwarding headers are never read.
     * @param header {@code X-Forwarded-For} (the default) or {@code Forwarded} (RFC 7239)
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ClientAddress(List<String> trustedProxies, String header) {
        /** Header names {@code header} accepts, in the spelling used in documentation. */
        public static final List<String> HEADERS = List.of("X-Forwarded-For", "Forwarded");

        public ClientAddress {
            trustedProxies = trustedProxies == null ? List.of() : List.copyOf(trustedProxies);
            header = header == null ? HEADERS.get(0) : header;
        }

        /** Records every trusted proxy entry that is not an address or CIDR range, and an unknown header. */
        public void validate(Errors errors) {
            for (int i = 0; i < trustedProxies.size(); i++) {
                try {
                    IpRange.parse(trustedProxies.get(i));
                } catch (IllegalArgumentException e) {
                    errors.at("trustedProxies", i).add("", e.getMessage());
                }
            }
            if (HEADERS.stream().noneMatch(header::equalsIgnoreCase)) {
                errors.add("header", "'" + header + "' is not supported; use X-Forwarded-For or Forwarded");
            }
        }

        /** Returns true when {@code header} names {@code Forwarded} rather than {@code X-Forwarded-For}. */
        public boolean usesForwarded() {
            return header.equalsIgnoreCase("Forwarded");
        }
    }

    /**
     * Names of the headers that tell an upstream who sent a request, set from the identity that an authentication
     * policy established. The proxy removes every one of these headers from each client request before it sets
     * them, so a client can never forge them. A header name that is absent or empty takes its default.
     *
     * @param consumer the consumer's name; {@code X-Consumer-Name} when absent
     * @param team the consumer's team; {@code X-Consumer-Team} when absent
     * @param credential the name of the credential presented; {@code X-Credential-Name} when absent
     * @param method the authentication method, such as {@code key-auth}; {@code X-Authenticated-Method} when absent
     * @param labels consumer labels to send, from label name to header name; none when absent
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record IdentityHeaders(String consumer, String team, String credential, String method,
                                  Map<String, String> labels) {
        public IdentityHeaders {
            consumer = consumer == null || consumer.isBlank() ? "X-Consumer-Name" : consumer;
            team = team == null || team.isBlank() ? "X-Consumer-Team" : team;
            credential = credential == null || credential.isBlank() ? "X-Credential-Name" : credential;
            method = method == null || method.isBlank() ? "X-Authenticated-Method" : method;
            labels = labels == null ? Map.of() : Map.copyOf(labels);
            Map<String, String> roles = roles(consumer, team, credential, method, labels);
            Map<String, String> roleByHeader = new HashMap<>();
            roles.forEach((role, name) -> {
                if (!HeaderNames.isToken(name)) {
                    throw new IllegalArgumentException("identityHeaders: '" + name + "' is not a valid header name");
                }
                if (HeaderNames.isSetByPortico(name)) {
                    throw new IllegalArgumentException("identityHeaders: " + role + " uses the header '" + name
                            + "', which Portico sets or removes itself on every upstream request; choose another"
                            + " name");
                }
                // A label header equal to another identity header would let whoever edits consumer labels set
                // that header, such as the consumer name, for the upstream.
                String other = roleByHeader.putIfAbsent(HeaderNames.canonical(name), role);
                if (other != null) {
                    throw new IllegalArgumentException("identityHeaders: " + role + " and " + other
                            + " both use the header '" + name + "'; give each its own header name");
                }
            });
        }

        /** Returns each header name keyed by what it carries, such as {@code consumer} or {@code labels.tier}. */
        public Map<String, String> byRole() {
            return roles(consumer, team, credential, method, labels);
        }

        private static Map<String, String> roles(String consumer, String team, String credential, String method,
                                                 Map<String, String> labels) {
            Map<String, String> roles = new LinkedHashMap<>();
            roles.put("consumer", consumer);
            roles.put("team", team);
            roles.put("credential", credential);
            roles.put("method", method);
            new TreeMap<>(labels).forEach((label, header) -> roles.put("labels." + label, header));
            return roles;
        }
    }

    /**
     * Settings of the response cache that {@code cache} policies fill.
     *
     * @param maxBytes largest size of the node's local store, keys and values counted, in bytes, at least 1 KiB;
     *     64 MiB when absent
     * @param redis a Redis of the cache's own for {@code store: redis}, with the fields of the node's {@code redis}.
     *     Without a URL, the cache shares the node's {@code redis}. A separate server may evict cached responses
     *     when it is full, which a Redis that stores rate limit counters must not do.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Cache(Long maxBytes, Redis redis) {
        public Cache {
            maxBytes = atLeast("cache.maxBytes", maxBytes == null ? 64L * 1024 * 1024 : maxBytes, MIN_SIZE);
            redis = redis == null ? new Redis(null, null, null, null, null, null, null, null, null) : redis;
        }
    }

    /**
     * Settings of the Prometheus metrics, which the admin listener always serves at {@code GET /metrics} to callers
     * with an admin token.
     *
     * @param host address of the metrics listener; {@code 127.0.0.1} when absent
     * @param port port of a separate listener that serves {@code GET /metrics} without authentication, for
     *     scrapers that cannot send a token; no such listener when absent or negative, and {@code 0} picks a free
     *     port
     * @param consumerLabels whether {@code portico_requests_total} carries the authenticated consumer as a
     *     {@code consumer} tag; false when absent, because every consumer then adds series
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Metrics(String host, Integer port, Boolean consumerLabels) {
        public Metrics {
            host = host == null ? "127.0.0.1" : host;
            port = port == null ? -1 : port;
            if (port > 65535) {
                throw new IllegalArgumentException("metrics.port must be at most 65535, got " + port);
            }
            consumerLabels = consumerLabels != null && consumerLabels;
        }

        /** Returns whether the separate metrics listener starts. */
        public boolean listenerEnabled() {
            return port >= 0;
        }
    }

    public Path dataPath() {
        return Path.of(dataDirectory);
    }

    /**
     * A plain listener.
     *
     * @param enabled whether the listener starts (default true)
     */
    public record Listener(String host, Integer port, Boolean enabled) {
        public Listener {
            host = host == null ? "0.0.0.0" : host;
            port = validPort("http.port", port == null ? 8080 : port);
            enabled = enabled == null || enabled;
        }
    }

    /**
     * The HTTPS listener. It starts when {@code certificates} lists a file pair or the store contains a certificate.
     *
     * @param certificates certificate and key files; each is watched and reloaded when it changes on disk
     * @param reloadInterval how often the files are checked for changes
     * @param clientAuth whether the TLS handshake asks for a client certificate: {@code auto} (the default) asks
     *     while a route or API uses the {@code mtls} policy, {@code request} always asks, {@code required} rejects
     *     connections without one, and {@code none} never asks. A certificate that a client sends must chain to a
     *     store certificate with {@code usage: client-ca}, or the handshake fails.
     */
    public record HttpsListener(String host, Integer port, List<CertificateFiles> certificates,
                                Duration reloadInterval, String clientAuth) {

        /** The values of {@code clientAuth}. */
        public static final List<String> CLIENT_AUTH_MODES = List.of("auto", "none", "request", "required");

        public HttpsListener {
            host = host == null ? "0.0.0.0" : host;
            port = validPort("https.port", port == null ? 8443 : port);
            certificates = certificates == null ? List.of() : List.copyOf(certificates);
            reloadInterval = reloadInterval == null ? Duration.ofSeconds(5) : reloadInterval;
            clientAuth = clientAuth == null ? "auto" : clientAuth.toLowerCase(Locale.ROOT);
            if (!CLIENT_AUTH_MODES.contains(clientAuth)) {
                throw new IllegalArgumentException("https.clientAuth must be auto, none, request or required, not '"
                        + clientAuth + "'");
            }
        }

        /** Creates the settings with {@code clientAuth} {@code auto}. */
        public HttpsListener(String host, Integer port, List<CertificateFiles> certificates, Duration reloadInterval) {
            this(host, port, certificates, reloadInterval, null);
        }
    }

    /** A PEM certificate chain file and the PEM private key file that goes with it. */
    public record CertificateFiles(String certificate, String key) {
    }

    /**
     * The admin API listener.
     *
     * @param token the bearer token every admin request must carry; taken from {@code PORTICO_ADMIN_TOKEN}, or
     *     generated into the data directory on first start when absent
     */
    public record AdminListener(String host, Integer port, String token) {
        public AdminListener {
            host = host == null ? "127.0.0.1" : host;
            port = validPort("admin.port", port == null ? 9080 : port);
        }
    }

    /** Returns {@code url} with a password in its user part, or in that of each URL of a list, replaced by ****. */
    private static String redactUserInfo(String url) {
        return UrlRedaction.maskPassword(url);
    }

    /**
     * The configuration store.
     *
     * @param url JDBC URL; an embedded H2 file database in the data directory when absent
     * @param pollInterval how often the store version is read to pick up changes made by other nodes
     * @param auditRetention how long audit entries are kept; kept for ever when absent
     */
    public record Store(String url, String username, String password, Duration pollInterval,
                        Duration auditRetention) {

        private static final Pattern SECRET_PARAMETER =
                Pattern.compile("(?i)\\b(password|pwd|sslpassword|sslkeypassword)=[^&;]*");
        /** A user part before the host, which the PostgreSQL driver does not read and repeats in its errors. */
        private static final Pattern USER_INFO = Pattern.compile("^jdbc:[a-zA-Z0-9]+://[^/?#]*@");

        public Store {
            if (url != null && USER_INFO.matcher(url).find()) {
                // The message names no part of the URL, since the part before '@' can hold a password.
                throw new IllegalArgumentException("store.url must not carry a user or password before the host;"
                        + " set store.username and store.password (PORTICO_STORE_USERNAME, PORTICO_STORE_PASSWORD)");
            }
            pollInterval = pollInterval == null ? Duration.ofMillis(250) : pollInterval;
            if (auditRetention != null) {
                positive("store.auditRetention", auditRetention);
            }
        }

        public Store(String url, String username, String password, Duration pollInterval) {
            this(url, username, password, pollInterval, null);
        }

        /**
         * Returns {@code jdbcUrl} with the values of password parameters, and a password before the host, replaced
         * by {@code ****}, for logs and messages.
         */
        public static String redact(String jdbcUrl) {
            String withoutParameters = SECRET_PARAMETER.matcher(jdbcUrl).replaceAll("$1=****");
            return redactUserInfo(withoutParameters);
        }

        @Override
        public String toString() {
            return "Store[url=" + (url == null ? null : redact(url)) + ", username=" + username + ", password="
                    + (password == null ? null : "****") + ", pollInterval=" + pollInterval + ", auditRetention="
                    + auditRetention + "]";
        }
    }

    /**
     * The Redis server or servers that hold state shared by the nodes, such as cluster-wide rate limit counters.
     *
     * @param url one {@code redis://} or {@code rediss://} URL, or several separated by commas: the server in
     *     standalone mode, the sentinels in sentinel mode, seed nodes in cluster mode; Redis is not used when absent
     * @param mode {@code standalone} (default), {@code sentinel} or {@code cluster}
     * @param masterName the name of the monitored master in sentinel mode
     * @param username the ACL user; the default user when absent
     * @param password the password; never logged
     * @param timeout longest wait for one command, after which Redis counts as unavailable; 500 ms when absent.
     *     A reply that is late only because the node or Redis was busy still sends cluster-wide limits into their
     *     fallback for a whole retry interval, so the default leaves room for such stalls.
     * @param connectTimeout longest wait for a new connection; 1 second when absent
     * @param retryInterval how often an unavailable Redis is probed until it replies again; 1 second when absent
     * @param keyPrefix prefix of every key Portico writes, so several deployments can share a server;
     *     {@code portico:} when absent
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Redis(String url, String mode, String masterName, String username, String password,
                        Duration timeout, Duration connectTimeout, Duration retryInterval, String keyPrefix) {
        /** The accepted values of {@code mode}. */
        public static final List<String> MODES = List.of("standalone", "sentinel", "cluster");
        /** The password part of the user information in a URL: {@code redis://user:PASSWORD@host}. */

        public Redis {
            mode = mode == null ? "standalone" : mode.trim().toLowerCase(Locale.ROOT);
            if (!MODES.contains(mode)) {
                throw new IllegalArgumentException("invalid redis.mode '" + mode + "': expected one of " + MODES);
            }
            timeout = positive("redis.timeout", timeout == null ? Duration.ofMillis(500) : timeout);
            connectTimeout = positive("redis.connectTimeout",
                    connectTimeout == null ? Duration.ofSeconds(1) : connectTimeout);
            retryInterval = positive("redis.retryInterval",
                    retryInterval == null ? Duration.ofSeconds(1) : retryInterval);
            keyPrefix = keyPrefix == null ? "portico:" : keyPrefix;
            if (mode.equals("sentinel") && url != null && !url.isBlank()
                    && (masterName == null || masterName.isBlank())) {
                throw new IllegalArgumentException("redis.masterName is required in sentinel mode: the name of the"
                        + " master that the sentinels monitor");
            }
        }

        /** Returns whether a Redis URL is configured. */
        public boolean enabled() {
            return url != null && !url.isBlank();
        }

        /** Returns the URLs with any password they contain replaced by {@code ****}, for logs. */
        public String redactedUrl() {
            return url == null ? null : redactUserInfo(url);
        }

        @Override
        public String toString() {
            return "Redis[url=" + redactedUrl() + ", mode=" + mode + ", masterName=" + masterName
                    + ", username=" + username + ", password=" + (password == null ? null : "****")
                    + ", timeout=" + timeout + ", connectTimeout=" + connectTimeout + ", retryInterval="
                    + retryInterval + ", keyPrefix=" + keyPrefix + "]";
        }
    }

    /**
     * Throws when two listeners have the same fixed port. Vert.x shares a port between servers of one node, so the
     * node would start and hand each connection to either listener.
     */
    private static void distinctPorts(Listener http, HttpsListener https, AdminListener admin, Metrics metrics) {
        Map<Integer, String> portOwners = new HashMap<>();
        if (http.enabled()) {
            claimPort(portOwners, "http.port", http.port());
        }
        claimPort(portOwners, "https.port", https.port());
        claimPort(portOwners, "admin.port", admin.port());
        if (metrics.listenerEnabled()) {
            claimPort(portOwners, "metrics.port", metrics.port());
        }
    }

    /** Records that {@code field} uses {@code port}, or throws when another listener uses it; 0 is never taken. */
    private static void claimPort(Map<Integer, String> portOwners, String field, int port) {
        if (port == 0) {
            return;
        }
        String other = portOwners.putIfAbsent(port, field);
        if (other != null) {
            throw new IllegalArgumentException(other + " and " + field + " are both " + port
                    + "; each listener needs a port of its own");
        }
    }

    /** Returns {@code port}, or throws naming {@code field} when it is not from 0 (a free port) to 65535. */
    private static int validPort(String field, int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(field + " must be from 0 to 65535, got " + port);
        }
        return port;
    }

    /** Returns {@code value}, or throws naming {@code field} when it is below {@code minimum}. */
    private static long atLeast(String field, long value, long minimum) {
        if (value < minimum) {
            throw new IllegalArgumentException(field + " must be at least " + minimum + " bytes, got " + value);
        }
        return value;
    }

    /** Returns {@code value}, or throws naming {@code field} when it is zero or negative. */
    private static Duration positive(String field, Duration value) {
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(field + " must be positive, got " + value);
        }
        return value;
    }
}
