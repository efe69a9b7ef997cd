package io.portico.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.portico.net.RequestTargets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
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
        String name,
        String protocol,
        List<Target> targets,
        LoadBalancing loadBalancing,
        HealthCheck healthCheck,
        Timeouts timeouts,
        Retries retries,
        UpstreamTls tls,
        Pool pool,
        CircuitBreakerSpec circuitBreaker) {

    static final Pattern NAME = Pattern.compile("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$");
    private static final Set<String> ALGORITHMS =
            Set.of("round-robin", "least-connections", "consistent-hash", "least-latency");

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
    public record Target(String host, Integer port, Integer weight) {
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
    public record LoadBalancing(String algorithm, String hashOn) {
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
    public record Active(String path, Duration interval, Duration timeout, Integer healthyThreshold,
                         Integer unhealthyThreshold, List<Integer> healthyStatuses) {
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
    public record Passive(Integer unhealthyThreshold, List<Integer> failureStatuses, Duration recovery) {
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
    public record Timeouts(Duration connect, Duration read, Duration total) {
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
    public record Retries(Integer attempts, List<Integer> statuses, Double budget, Integer minRetriesPerSecond) {
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
        public UpstreamTls {
            verify = verify == null ? Boolean.TRUE : verify;
        }
    }

    /**
     * Connection pool towards each target.
     *
     * @param maxConnections most open connections per target
     * @param keepAlive how long an idle connection stays open
     * @param http2 whether to speak HTTP/2 to the targets (h2 over TLS, or h2c with prior knowledge)
     */
    public record Pool(Integer maxConnections, Duration keepAlive, Boolean http2) {
        public Pool {
            maxConnections = maxConnections == null ? 256 : maxConnections;
            keepAlive = keepAlive == null ? Duration.ofSeconds(60) : keepAlive;
            http2 = http2 != null && http2;
        }
    }

    /** Records every invalid field of this service into {@code errors}. */
    public void validate(Errors errors) {
        errors.required(name, "name");
        if (name != null && !NAME.matcher(name).matches()) {
            errors.add("name", "must be 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        errors.check(protocol.equals("http") || protocol.equals("https"), "protocol", "must be 'http' or 'https'");
        errors.check(!targets.isEmpty(), "targets", "must list at least one target");
        for (int i = 0; i < targets.size(); i++) {
            Target target = targets.get(i);
            Errors at = errors.at("targets", i);
            if (target == null) {
                at.add("", "must not be null");
                continue;
            }
            at.required(target.host(), "host");
            if (target.host() != null && !target.host().isBlank() && !HostNames.isTargetHost(target.host())) {
                at.add("host", "must be a host name of dot-separated labels (letters, digits, '-' and '_'), an IPv4"
                        + " address or an IPv6 address, without a port");
            }
            at.check(target.port() != null && target.port() > 0 && target.port() < 65536,
                    "port", "must be between 1 and 65535");
            at.check(target.weight() >= 0 && target.weight() <= 10_000, "weight", "must be between 0 and 10000");
        }
        validateBalancing(errors.at("loadBalancing"));
        validateHealth(errors.at("healthCheck"));
        validateTimeouts(errors.at("timeouts"));
        Errors at = errors.at("retries");
        at.check(retries.attempts() >= 1 && retries.attempts() <= 10, "attempts", "must be between 1 and 10");
        at.check(retries.budget() >= 0 && retries.budget() <= 1, "budget", "must be between 0 and 1");
        at.check(retries.minRetriesPerSecond() >= 0, "minRetriesPerSecond", "must not be negative");
        checkStatuses(at, "statuses", retries.statuses());
        errors.at("pool").check(pool.maxConnections() >= 1, "maxConnections", "must be at least 1");
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

    private void validateBalancing(Errors errors) {
        errors.check(ALGORITHMS.contains(loadBalancing.algorithm()), "algorithm",
                "must be one of " + String.join(", ", ALGORITHMS.stream().sorted().toList()));
        String hashOn = loadBalancing.hashOn();
        boolean valid = hashOn.equals("client-ip") || hashOn.equals("consumer")
                || hashOn.startsWith("header:") && hashOn.length() > "header:".length();
        errors.check(valid, "hashOn", "must be 'client-ip', 'consumer' or 'header:NAME'");
    }

    private void validateHealth(Errors errors) {
        Active active = healthCheck.active();
        if (active != null) {
            Errors at = errors.at("active");
            String targetProblem = RequestTargets.originFormProblem(active.path());
            if (!active.path().startsWith("/")) {
                at.add("path", "must start with '/'");
            } else if (targetProblem != null) {
                at.add("path", "must be a valid request target, but it " + targetProblem);
            }
            at.check(active.interval().toMillis() >= 100, "interval", "must be at least 100ms");
            at.check(active.timeout().toMillis() >= 1, "timeout", "must be positive");
            at.check(active.healthyThreshold() >= 1, "healthyThreshold", "must be at least 1");
            at.check(active.unhealthyThreshold() >= 1, "unhealthyThreshold", "must be at least 1");
            if (active.healthyStatuses() != null) {
                checkStatuses(at, "healthyStatuses", active.healthyStatuses());
            }
        }
        Passive passive = healthCheck.passive();
        if (passive != null) {
            Errors at = errors.at("passive");
            at.check(passive.unhealthyThreshold() >= 1, "unhealthyThreshold", "must be at least 1");
            at.check(!passive.recovery().isNegative() && !passive.recovery().isZero(), "recovery", "must be positive");
            checkStatuses(at, "failureStatuses", passive.failureStatuses());
        }
    }

    private void validateTimeouts(Errors errors) {
        errors.check(timeouts.connect().toMillis() >= 1, "connect", "must be positive");
        errors.check(timeouts.read().toMillis() >= 1, "read", "must be positive");
        errors.check(timeouts.total() == null || timeouts.total().toMillis() >= 1, "total", "must be positive");
    }

    private static void checkStatuses(Errors errors, String field, List<Integer> statuses) {
        for (int i = 0; i < statuses.size(); i++) {
            Integer status = statuses.get(i);
            if (status == null || status < 100 || status > 599) {
                errors.add(field + "[" + i + "]", "must be an HTTP status between 100 and 599");
            }
        }
    }
}
