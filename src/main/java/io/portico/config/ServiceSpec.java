package io.portico.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.portico.net.RequestTargets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * An upstream service: the targets that serve it and how Portico balances, checks, times out, retries and
 * secures the connections to them.
 *
 * @param name unique name that routes refer to
 * @param protocol {@code http} or {@code https} towards the targets
 * @param targets the upstream endpoints, at least one
 * @param loadBalancing how a target is chosen for each request
 * @param healthCheck active and passive health checking of the targets
 * @param timeouts connect, read (idle) and total timeouts for one upstream exchange
 * @param retries retry rules for failed exchanges
 * @param tls TLS settings when {@code protocol} is {@code https}
 * @param pool connection pool towards each target
 * @param circuitBreaker a circuit breaker on each target; none when absent
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ServiceSpec(
        @Required @Matches(value = Names.PATTERN, message = Names.MESSAGE) String name,
        @OneOf(value = {"http", "https"}, ignoreCase = true) String protocol,
        @Required(message = "must list at least one target") List<Target> targets,
        LoadBalancing loadBalancing,
        HealthCheck healthCheck,
        Timeouts timeouts,
        Retries retries,
        UpstreamTls tls,
        Pool pool,
        CircuitBreakerSpec circuitBreaker) {

    static final Pattern NAME = Pattern.compile(Names.PATTERN);
    /** The error message for a status outside 100 to 599. */
    static final String STATUS_MESSAGE = "must be an HTTP status between 100 and 599";
    /** The message of a health check path that breaks {@link RequestTargets#ORIGIN_FORM_PATTERN}. */
    static final String PATH_MESSAGE = "must start with '/' and be a valid request target";

    public ServiceSpec {
        protocol = protocol == null ? "http" : protocol.toLowerCase(Locale.ROOT);
        targets = targets == null ? List.of() : List.copyOf(targets);
        loadBalancing = loadBalancing == null ? new LoadBalancing(null, null) : loadBalancing;
        healthCheck = healthCheck == null ? new HealthCheck(null, null) : healthCheck;
        timeouts = timeouts == null ? new Timeouts(null, null, null) : timeouts;
        retries = retries == null ? new Retries(null, null, null, null) : retries;
        pool = pool == null ? new Pool(null, null, null) : pool;
    }

    /** An upstream endpoint and its share of the traffic. */
    public record Target(@Required String host, @Required @Range(min = 1, max = 65_535) Integer port,
                         @Range(min = 0, max = 10_000) Integer weight) {
        public Target {
            weight = weight == null ? 100 : weight;
            if (host != null && host.startsWith("[") && host.endsWith("]") && host.indexOf(':') >= 0) {
                host = host.substring(1, host.length() - 1);
            }
        }

        /** Returns {@code host:port}, the key that identifies this target's state across configuration changes. */
        public String address() {
            return host.contains(":") ? "[" + host + "]:" + port : host + ":" + port;
        }
    }

    /**
     * Load balancing settings.
     *
     * @param algorithm {@code round-robin} (weighted, the default), {@code least-connections},
     *     {@code consistent-hash} or {@code least-latency}
     * @param hashOn for {@code consistent-hash}: {@code client-ip}, {@code consumer} or {@code header:NAME}
     */
    public record LoadBalancing(
            @OneOf({"round-robin", "least-connections", "consistent-hash", "least-latency"}) String algorithm,
            @Matches(value = "^(client-ip|consumer|header:.+)$",
                    message = "must be 'client-ip', 'consumer' or 'header:NAME'") String hashOn) {
        public LoadBalancing {
            algorithm = algorithm == null ? "round-robin" : algorithm;
            hashOn = hashOn == null ? "client-ip" : hashOn;
        }
    }

    /** Active and passive health checking; either may be absent. */
    public record HealthCheck(Active active, Passive passive) {
    }

    /**
     * Active health checks: Portico requests {@code path} on every target each {@code interval}.
     *
     * @param healthyThreshold consecutive successes that mark an unhealthy target healthy again
     * @param unhealthyThreshold consecutive failures that mark a healthy target unhealthy
     * @param healthyStatuses response statuses counted as success; 200-399 when absent
     */
    public record Active(@Matches(value = RequestTargets.ORIGIN_FORM_PATTERN, message = PATH_MESSAGE) String path,
                         @Range(min = 100) Duration interval, @Range(min = 1) Duration timeout,
                         @Range(min = 1) Integer healthyThreshold, @Range(min = 1) Integer unhealthyThreshold,
                         @Range(min = 100, max = 599, message = STATUS_MESSAGE) List<Integer> healthyStatuses) {
        public Active {
            path = path == null ? "/" : path;
            interval = interval == null ? Duration.ofSeconds(5) : interval;
            timeout = timeout == null ? Duration.ofSeconds(2) : timeout;
            healthyThreshold = healthyThreshold == null ? 2 : healthyThreshold;
            unhealthyThreshold = unhealthyThreshold == null ? 3 : unhealthyThreshold;
            healthyStatuses = healthyStatuses == null ? null : List.copyOf(healthyStatuses);
        }
    }

    /**
     * Passive health checks: real traffic counts failures.
     *
     * @param unhealthyThreshold consecutive failed exchanges (connection errors, timeouts or 5xx statuses listed
     *     in {@code failureStatuses}) that take a target out
     * @param recovery how long a target stays out before it receives traffic again
     */
    public record Passive(@Range(min = 1) Integer unhealthyThreshold,
                          @Range(min = 100, max = 599, message = STATUS_MESSAGE) List<Integer> failureStatuses,
                          @Range(min = 1) Duration recovery) {
        public Passive {
            unhealthyThreshold = unhealthyThreshold == null ? 5 : unhealthyThreshold;
            failureStatuses = failureStatuses == null ? List.of(502, 503, 504) : List.copyOf(failureStatuses);
            recovery = recovery == null ? Duration.ofSeconds(10) : recovery;
        }
    }

    /**
     * Timeouts of one upstream exchange.
     *
     * @param connect time to establish the TCP (and TLS) connection
     * @param read longest silence while waiting for response bytes
     * @param total limit on the whole exchange, response body included; none when absent
     */
    public record Timeouts(@Range(min = 1) Duration connect, @Range(min = 1) Duration read,
                           @Range(min = 1) Duration total) {
        public Timeouts {
            connect = connect == null ? Duration.ofSeconds(5) : connect;
            read = read == null ? Duration.ofSeconds(60) : read;
        }
    }

    /**
     * Retry rules. Connection failures are retried for every method whose request body was not sent yet;
     * {@code statuses} are retried only for idempotent methods.
     *
     * @param attempts tries in all, the first included
     * @param budget largest share of requests that may be retries, between 0 and 1
     */
    public record Retries(@Range(min = 1, max = 10) Integer attempts,
                          @Range(min = 100, max = 599, message = STATUS_MESSAGE) List<Integer> statuses,
                          @Range(min = 0, max = 1) Double budget, @Range(min = 0) Integer minRetriesPerSecond) {
        public Retries {
            attempts = attempts == null ? 2 : attempts;
            statuses = statuses == null ? List.of() : List.copyOf(statuses);
            budget = budget == null ? 0.2 : budget;
            minRetriesPerSecond = minRetriesPerSecond == null ? 10 : minRetriesPerSecond;
        }
    }

    /**
     * TLS towards the targets.
     *
     * @param verify whether the target's certificate chain and host name are verified (default true)
     * @param caCertificate PEM text or file path of the CA certificates to trust instead of the JVM's
     * @param clientCertificate PEM text or file path of the client certificate chain for mTLS
     * @param clientKey PEM text or file path of the client private key for mTLS; write-only: the admin API and
     *     exported documents carry its masked hint instead
     * @param serverName SNI and verification host name, when it differs from the target host
     */
    public record UpstreamTls(Boolean verify, String caCertificate, String clientCertificate, String clientKey,
                              String serverName) {

        /** The start of inline PEM text in a certificate or key field. */
        public static final String PEM_START = "-----BEGIN";
        /** The start of the masked hint of a stored key, which a write sends back to keep that key. */
        public static final String SECRET_HINT = "secret:";

        public UpstreamTls {
            verify = verify == null ? Boolean.TRUE : verify;
        }

        /** Returns whether {@code value}, possibly after leading whitespace, starts with {@link #PEM_START}. */
        public static boolean isInlinePem(String value) {
            return value.stripLeading().startsWith(PEM_START);
        }

        /** Returns whether {@code value} of a certificate or key field names a file on the node. */
        public static boolean namesFile(String value) {
            return value != null && !value.startsWith(SECRET_HINT) && !isInlinePem(value);
        }
    }

    /**
     * Connection pool towards each target.
     *
     * @param maxConnections most open connections per target
     * @param keepAlive how long an idle connection stays open, rounded up to whole seconds. It is at least 1 ms,
     *     because the clients cannot be built without an idle timeout. The default of 4 s stays below the 5 s idle
     *     timeout of Node.js servers (versions 18 to 22), so Portico closes an idle connection before they do.
     * @param http2 whether to speak HTTP/2 to the targets (h2 over TLS, or h2c with prior knowledge)
     */
    public record Pool(@Range(min = 1) Integer maxConnections, @Range(min = 1) Duration keepAlive, Boolean http2) {
        public Pool {
            maxConnections = maxConnections == null ? 256 : maxConnections;
            keepAlive = keepAlive == null ? Duration.ofSeconds(4) : keepAlive;
            http2 = http2 != null && http2;
        }
    }

    /** Records every invalid field of this service into {@code errors}. */
    public void validate(Errors errors) {
        FieldRules.check(this, errors);
        for (int i = 0; i < targets.size(); i++) {
            Target target = targets.get(i);
            Errors at = errors.at("targets", i);
            if (target == null) {
                at.add("", "must not be null");
                continue;
            }
            FieldRules.check(target, at);
            if (target.host() != null && !target.host().isBlank() && !HostNames.isTargetHost(target.host())) {
                at.add("host", "must be a host name of dot-separated labels (letters, digits, '-' and '_'), an IPv4"
                        + " address or an IPv6 address, without a port");
            }
        }
        FieldRules.check(loadBalancing, errors.at("loadBalancing"));
        validateHealth(errors.at("healthCheck"));
        FieldRules.check(timeouts, errors.at("timeouts"));
        FieldRules.check(retries, errors.at("retries"));
        FieldRules.check(pool, errors.at("pool"));
        if (tls != null && !protocol.equals("https")) {
            errors.add("tls", "is only allowed when protocol is 'https'");
        }
        if (tls != null && (tls.clientCertificate() == null) != (tls.clientKey() == null)) {
            errors.at("tls").add("clientKey", "clientCertificate and clientKey must be given together");
        }
        if (circuitBreaker != null) {
            circuitBreaker.validate(errors.at("circuitBreaker"));
        }
    }

    private void validateHealth(Errors errors) {
        Active active = healthCheck.active();
        if (active != null) {
            Errors at = errors.at("active");
            String targetProblem = RequestTargets.originFormProblem(active.path());
            Active checked = active;
            if (!active.path().startsWith("/") || targetProblem != null) {
                at.add("path", active.path().startsWith("/") ? "must be a valid request target, but it "
                        + targetProblem : "must start with '/'");
                // The message above states what is wrong with the path, so the annotations check the other fields only.
                checked = new Active("/", active.interval(), active.timeout(), active.healthyThreshold(),
                        active.unhealthyThreshold(), active.healthyStatuses());
            }
            FieldRules.check(checked, at);
        }
        if (healthCheck.passive() != null) {
            FieldRules.check(healthCheck.passive(), errors.at("passive"));
        }
    }
}
