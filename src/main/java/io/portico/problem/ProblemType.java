package io.portico.problem;

/**
 * The kinds of failure Portico reports to clients, each with a stable type URI, title and HTTP status.
 * Clients may switch on the type; titles and details are for people.
 */
public enum ProblemType {
    ROUTE_NOT_FOUND("route-not-found", 404, "No route matches the request"),
    UPSTREAM_UNAVAILABLE("upstream-unavailable", 502, "The upstream service could not be reached"),
    UPSTREAM_TIMEOUT("upstream-timeout", 504, "The upstream service did not respond in time"),
    UPSTREAM_POOL_EXHAUSTED("upstream-pool-exhausted", 503,
            "No connection to the upstream service became free in time"),
    RATE_LIMITED("rate-limited", 429, "Too many requests"),
    RATE_LIMIT_UNAVAILABLE("rate-limit-unavailable", 503, "The rate limit cannot be checked"),
    CONCURRENCY_LIMITED("concurrency-limited", 503, "Too many requests in progress"),
    NO_HEALTHY_TARGET("no-healthy-target", 503, "The upstream service has no healthy target"),
    CIRCUIT_OPEN("circuit-open", 503, "The circuit breakers of the upstream service's targets are open"),
    NOT_CACHED("not-cached", 504, "The response is not in the cache"),
    BODY_TOO_LARGE("body-too-large", 413, "The request body is too large"),
    BAD_REQUEST("bad-request", 400, "The request is malformed"),
    REQUEST_TIMEOUT("request-timeout", 408, "The request was not received in time"),
    URI_TOO_LONG("uri-too-long", 414, "The request line is too long"),
    HEADERS_TOO_LARGE("headers-too-large", 431, "The request header section is too large"),
    VERSION_NOT_SUPPORTED("version-not-supported", 505, "The HTTP version is not supported"),
    SHUTTING_DOWN("shutting-down", 503, "The gateway is shutting down"),
    INTERNAL_ERROR("internal-error", 500, "The gateway failed to process the request"),
    IP_NOT_ALLOWED("ip-not-allowed", 403, "The client address is not allowed"),
    CORS_REJECTED("cors-rejected", 403, "The cross-origin request is not allowed"),
    INVALID_CONFIGURATION("invalid-configuration", 400, "The configuration is invalid"),
    UNAUTHORIZED("unauthorized", 401, "Authentication is required"),
    FORBIDDEN("forbidden", 403, "The credentials do not allow this operation"),
    SUBSCRIPTION_REQUIRED("subscription-required", 403, "An active subscription to the API is required"),
    AUTHENTICATION_UNAVAILABLE("authentication-unavailable", 503,
            "The credentials cannot be checked because a key set or authorization server is unavailable"),
    NOT_FOUND("not-found", 404, "The resource does not exist"),
    METHOD_NOT_ALLOWED("method-not-allowed", 405, "The method is not allowed on this resource"),
    CONFLICT("conflict", 409, "The resource conflicts with the stored state"),
    PRECONDITION_FAILED("precondition-failed", 412, "The resource was changed by someone else"),
    PRECONDITION_REQUIRED("precondition-required", 428, "The request must be conditional"),
    UNSUPPORTED_MEDIA_TYPE("unsupported-media-type", 415, "The request body must be JSON"),
    STORE_UNAVAILABLE("store-unavailable", 503, "The configuration store is unavailable"),
    CACHE_UNAVAILABLE("cache-unavailable", 503, "A response cache store is unavailable"),
    QUOTA_EXCEEDED("quota-exceeded", 429, "The call quota of the period is used up"),
    TOKEN_LIMIT_EXCEEDED("token-limit-exceeded", 429, "The token or request limit per minute is reached"),
    TOKEN_LIMIT_UNAVAILABLE("token-limit-unavailable", 503, "The token limit cannot be checked"),
    BUDGET_EXCEEDED("budget-exceeded", 429, "The spend budget of the period is used up");

    /** Prefix of every problem type URI. */
    public static final String BASE_URI = "https://portico.dev/problems/";

    private final String slug;
    private final int status;
    private final String title;

    ProblemType(String slug, int status, String title) {
        this.slug = slug;
        this.status = status;
        this.title = title;
    }

    /** Returns the last segment of the type URI, for example {@code route-not-found}. */
    public String slug() {
        return slug;
    }

    /** The type URI, for example {@code https://portico.dev/problems/route-not-found}. */
    public String uri() {
        return BASE_URI + slug;
    }

    public int status() {
        return status;
    }

    public String title() {
        return title;
    }
}
