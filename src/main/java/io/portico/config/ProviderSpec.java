package io.portico.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.portico.net.HttpUrls;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.HashMap;
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
        @Required @Matches(value = Names.PATTERN, message = Names.MESSAGE) String name,
        @Required String type,
        String baseUrl,
        List<Key> keys,
        @OneOf({"round-robin", "weighted"}) String keyStrategy,
        @Matches(value = FieldRules.NOT_BLANK, message = FieldRules.NOT_BLANK_MESSAGE) List<String> models,
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

    /** Text without control characters, which would corrupt a header of the call. */
    private static final String NO_CONTROLS = "^[^\\x00-\\x1f\\x7f]*$";
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
    public record Key(@Required @Matches(value = NO_CONTROLS, message = "must not contain control characters")
                      String key,
                      @Range(min = 0, max = 1000) Integer weight, String label) {
        public Key {
            weight = weight == null ? 1 : weight;
        }
    }

    /**
     * Time limits of one call to the provider.
     *
     * @param connect to open a connection
     * @param firstToken from sending a streamed request to the first content or finish reason of its response
     * @param total for the whole response, stream included
     */
    public record Timeouts(@Range(min = 1) Duration connect, @Range(min = 1) Duration firstToken,
                           @Range(min = 1) Duration total) {
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
    public record Retries(@Range(min = 1, max = 10) Integer attempts, Duration backoff, Duration maxBackoff) {
        public Retries {
            attempts = attempts == null ? 2 : attempts;
            backoff = backoff == null ? Duration.ofMillis(250) : backoff;
            maxBackoff = maxBackoff == null ? Duration.ofSeconds(5) : maxBackoff;
        }
    }

    /** Records every invalid field of this provider into {@code errors}. */
    public void validate(Errors errors) {
        FieldRules.check(this, errors);
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
            FieldRules.check(key, at);
        }
        validateDistinctKeys(errors);
        headers.forEach((header, value) -> validateHeader(errors, header, value));
        FieldRules.check(timeouts, errors.at("timeouts"));
        FieldRules.check(retries, errors.at("retries"));
        errors.at("retries").check(retries.maxBackoff().compareTo(retries.backoff()) >= 0, "maxBackoff",
                "must not be shorter than backoff");
        if (circuitBreaker != null) {
            circuitBreaker.validate(errors.at("circuitBreaker"));
        }
    }

    /**
     * Rejects a key listed twice, and two keys with one label, because logs and the admin API name a key by its
     * label. A key without a label is labelled {@code #} and its position from 1, as the key pool does.
     */
    private void validateDistinctKeys(Errors errors) {
        Map<String, Integer> secrets = new HashMap<>();
        Map<String, Integer> labels = new HashMap<>();
        for (int i = 0; i < keys.size(); i++) {
            Key key = keys.get(i);
            if (key == null) {
                continue;
            }
            Errors at = errors.at("keys", i);
            if (key.key() != null) {
                Integer first = secrets.putIfAbsent(key.key(), i);
                at.check(first == null, "key", "is the same key as keys[" + first + "].key; list each key once");
            }
            String label = key.label() != null ? key.label() : "#" + (i + 1);
            Integer first = labels.putIfAbsent(label, i);
            at.check(first == null, "label", "'" + label + "' is already the label of keys[" + first + "]; give each"
                    + " key of a provider its own label (a key without one is labelled # and its position from 1)");
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
