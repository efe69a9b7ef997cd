package io.portico.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.portico.net.HttpUrls;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A model provider account that AI routes reach: its type (the wire protocol and its defaults), where it is,
 * the keys to call it with and how to retry it. Fields that apply to one type only are ignored by the others;
 * which type needs which fields is checked by the AI gateway's own validator.
 *
 * @param type the provider type, such as {@code openai}, {@code anthropic}, {@code gemini} or {@code groq}
 * @param baseUrl the API's base URL; the type's public endpoint when absent
 * @param keys API keys; a key pool when there are several
 * @param keyStrategy {@code round-robin} (default) or {@code weighted}
 * @param models model ids this provider serves, so a request may name them without the provider
 * @param headers extra headers sent with every call
 * @param apiVersion API version sent by types that need one (Azure OpenAI, Anthropic)
 * @param deployments Azure OpenAI: model id to deployment name; the model id itself when absent
 * @param region AWS region (Bedrock) or Google Cloud location (Vertex AI)
 * @param project Google Cloud project (Vertex AI)
 * @param accessKeyId AWS access key id (Bedrock)
 * @param secretAccessKey AWS secret access key (Bedrock)
 * @param sessionToken AWS session token (Bedrock), optional
 * @param serviceAccount Google service account key, the JSON document as text (Vertex AI)
 * @param tokenUrl OAuth token endpoint for the service account; Google's when absent
 * @param circuitBreaker a circuit breaker on each model of this provider; none when absent
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ProviderSpec(
        String name,
        @Required String type,
        String baseUrl,
        List<Key> keys,
        String keyStrategy,
        List<String> models,
        Map<String, String> headers,
        String apiVersion,
        Map<String, String> deployments,
        String region,
        String project,
        String accessKeyId,
        String secretAccessKey,
        String sessionToken,
        String serviceAccount,
        String tokenUrl,
        Timeouts timeouts,
        Retries retries,
        CircuitBreakerSpec circuitBreaker) {

    private static final Set<String> KEY_STRATEGIES = Set.of("round-robin", "weighted");
    /**
     * Headers beside the framing and hop-by-hop ones ({@link HeaderNames#isFraming}) that Portico writes itself for
     * each call, in {@link HeaderNames#canonical} form.
     */
    private static final Set<String> RESERVED_HEADERS = Set.of("host", "expect");

    public ProviderSpec {
        keys = keys == null ? List.of() : List.copyOf(keys);
        keyStrategy = keyStrategy == null ? "round-robin" : keyStrategy;
        models = models == null ? List.of() : List.copyOf(models);
        headers = headers == null ? Map.of() : Map.copyOf(headers);
        deployments = deployments == null ? Map.of() : Map.copyOf(deployments);
        timeouts = timeouts == null ? new Timeouts(null, null, null) : timeouts;
        retries = retries == null ? new Retries(null, null, null) : retries;
    }

    /**
     * One API key of the pool.
     *
     * @param key the secret
     * @param weight share of requests under the {@code weighted} strategy; 1 when absent
     * @param label a name for the key in logs and the admin API, since the key itself is never shown
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Key(String key, Integer weight, String label) {
        public Key {
            weight = weight == null ? 1 : weight;
        }
    }

    /**
     * Time limits of one call to the provider.
     *
     * @param connect to open a connection
     * @param firstToken from sending the request to the response headers and the first streamed event
     * @param total for the whole response, stream included
     */
    public record Timeouts(Duration connect, Duration firstToken, Duration total) {
        public Timeouts {
            connect = connect == null ? Duration.ofSeconds(10) : connect;
            firstToken = firstToken == null ? Duration.ofSeconds(60) : firstToken;
            total = total == null ? Duration.ofMinutes(10) : total;
        }
    }

    /**
     * Retries of one call on 429, 5xx, connection failures and timeouts, before the next target is tried.
     *
     * @param attempts calls to this provider for one request, the first included; 2 when absent
     * @param backoff wait before the first retry, doubled for each further retry
     * @param maxBackoff longest wait, also the cap on a provider's Retry-After
     */
    public record Retries(Integer attempts, Duration backoff, Duration maxBackoff) {
        public Retries {
            attempts = attempts == null ? 2 : attempts;
            backoff = backoff == null ? Duration.ofMillis(250) : backoff;
            maxBackoff = maxBackoff == null ? Duration.ofSeconds(5) : maxBackoff;
        }
    }

    /** Records every invalid field of this provider into {@code errors}. */
    public void validate(Errors errors) {
        errors.required(name, "name");
        if (name != null && !ServiceSpec.NAME.matcher(name).matches()) {
            errors.add("name", "must be 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        errors.required(type, "type");
        if (baseUrl != null) {
            validateUrl(errors, "baseUrl", baseUrl);
        }
        if (tokenUrl != null) {
            validateUrl(errors, "tokenUrl", tokenUrl);
        }
        for (int i = 0; i < keys.size(); i++) {
            Key key = keys.get(i);
            Errors at = errors.at("keys", i);
            if (key == null) {
                at.add("", "must be an object with a key");
                continue;
            }
            at.required(key.key(), "key");
            at.check(key.weight() >= 0 && key.weight() <= 1000, "weight", "must be between 0 and 1000");
            if (key.key() != null) {
                at.check(!containsControl(key.key()), "key", "must not contain control characters");
            }
        }
        errors.check(KEY_STRATEGIES.contains(keyStrategy), "keyStrategy", "must be round-robin or weighted");
        for (int i = 0; i < models.size(); i++) {
            String model = models.get(i);
            errors.check(model != null && !model.isBlank(), "models[" + i + "]", "must not be empty");
        }
        headers.forEach((header, value) -> validateHeader(errors, header, value));
        validateTimeouts(errors.at("timeouts"));
        errors.at("retries").check(retries.attempts() >= 1 && retries.attempts() <= 10, "attempts",
                "must be between 1 and 10");
        errors.at("retries").check(!retries.backoff().isNegative(), "backoff", "must not be negative");
        errors.at("retries").check(!retries.maxBackoff().isNegative(), "maxBackoff", "must not be negative");
        errors.at("retries").check(retries.maxBackoff().compareTo(retries.backoff()) >= 0, "maxBackoff",
                "must not be shorter than backoff");
        if (circuitBreaker != null) {
            circuitBreaker.validate(errors.at("circuitBreaker"));
        }
    }

    private static void validateHeader(Errors errors, String header, String value) {
        String field = "headers." + header;
        if (!header.matches("[A-Za-z0-9!#$%&'*+.^_`|~-]+")) {
            errors.add(field, "must be a header name: letters, digits and !#$%&'*+-.^_`|~");
        } else if (HeaderNames.isFraming(header) || RESERVED_HEADERS.contains(HeaderNames.canonical(header))) {
            errors.add(field, "is set by Portico for each call and cannot be configured");
        }
        errors.check(value != null && !containsControl(value), field,
                "must not contain CR, LF or other control characters");
    }

    private void validateTimeouts(Errors errors) {
        errors.check(timeouts.connect().toMillis() > 0, "connect", "must be positive");
        errors.check(timeouts.firstToken().toMillis() > 0, "firstToken", "must be positive");
        errors.check(timeouts.total().toMillis() > 0, "total", "must be positive");
    }

    private static void validateUrl(Errors errors, String field, String url) {
        try {
            URI uri = HttpUrls.parse(url);
            errors.check(HttpUrls.isHttp(uri) && uri.getRawQuery() == null && uri.getRawFragment() == null,
                    field, "must be an http or https URL with a host and no query or fragment");
            // Portico never sends user information, and a password in it would show in exports and audit lines.
            errors.check(uri.getRawUserInfo() == null, field, "must not contain user information (user:password@);"
                    + " send credentials as keys or in headers, whose Authorization value is kept secret");
        } catch (URISyntaxException e) {
            errors.add(field, "is not a valid URL: " + e.getReason());
        }
    }

    private static boolean containsControl(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                return true;
            }
        }
        return false;
    }
}
