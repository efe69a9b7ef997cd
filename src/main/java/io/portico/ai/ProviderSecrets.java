package io.portico.ai;

import io.portico.ai.spi.AiError;
import io.portico.ai.spi.ProviderCall;
import io.portico.config.HeaderNames;
import io.portico.config.ProviderSpec;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The credentials in a provider's configuration, removed from the error messages of that provider before they reach
 * a client. Some providers and proxies echo the key they received in an error message, whole or with its end masked,
 * so each secret is removed whole and also without its last {@value #KEPT_SUFFIX} characters. {@link #forCall} adds
 * the credentials of one call, such as the access token that a Vertex AI call obtained for its service account.
 */
final class ProviderSecrets {

    /** The text that stands for a removed secret. */
    static final String MASK = "[redacted]";

    /**
     * The shortest text that is removed. Shorter keys are left in messages, because removing every occurrence of a
     * few common characters would garble them.
     */
    static final int MIN_LENGTH = 8;

    /** Characters at the end of a key that a masked echo may leave out, such as OpenAI's {@code sk-...abcd}. */
    private static final int KEPT_SUFFIX = 4;

    /** The secrets as configured or sent, before the masked forms are derived. */
    private final Set<String> secrets;
    /** Texts to remove, the longest first, so that a whole key is removed before its prefix. */
    private final List<String> texts;

    ProviderSecrets(ProviderSpec spec) {
        this(secretsOf(spec));
    }

    private ProviderSecrets(Set<String> secrets) {
        this.secrets = secrets;
        Set<String> removed = new LinkedHashSet<>();
        for (String secret : secrets) {
            removed.add(secret);
            String prefix = secret.substring(0, secret.length() - KEPT_SUFFIX);
            if (prefix.length() >= MIN_LENGTH) {
                removed.add(prefix);
            }
        }
        List<String> sorted = new ArrayList<>(removed);
        sorted.sort(Comparator.comparingInt(String::length).reversed());
        this.texts = List.copyOf(sorted);
    }

    private static Set<String> secretsOf(ProviderSpec spec) {
        Set<String> secrets = new LinkedHashSet<>();
        for (ProviderSpec.Key key : spec.keys()) {
            if (key != null) {
                add(secrets, key.key());
            }
        }
        add(secrets, spec.secretAccessKey());
        add(secrets, spec.sessionToken());
        spec.headers().forEach((name, value) -> addCredential(secrets, name, value));
        return secrets;
    }

    /**
     * Adds the value of header {@code name} when it is a credential: whole, and after its scheme, because a scheme
     * such as "Bearer " is not secret and a provider may echo the credential after it only.
     */
    private static void addCredential(Set<String> secrets, String name, String value) {
        if (!HeaderNames.isCredential(name) || value == null) {
            return;
        }
        add(secrets, value);
        int space = value.indexOf(' ');
        if (space >= 0) {
            add(secrets, value.substring(space + 1).trim());
        }
    }

    private static void add(Set<String> secrets, String secret) {
        if (secret != null && secret.length() >= MIN_LENGTH) {
            secrets.add(secret);
        }
    }

    /**
     * Returns these secrets together with the credential headers of {@code call}, or this instance when the call
     * has none that it does not already contain. A header may carry a credential that the configuration does not,
     * such as an OAuth access token that an adapter obtained in {@code authorize}.
     */
    ProviderSecrets forCall(ProviderCall call) {
        if (call == null) {
            return this;
        }
        Set<String> combined = new LinkedHashSet<>(secrets);
        call.headers().forEach(header -> addCredential(combined, header.getKey(), header.getValue()));
        return combined.size() == secrets.size() ? this : new ProviderSecrets(combined);
    }

    /** Returns {@code message} with each secret of the provider replaced by {@value #MASK}. */
    String redact(String message) {
        if (message == null) {
            return null;
        }
        String redacted = message;
        for (String text : texts) {
            redacted = redacted.replace(text, MASK);
        }
        return redacted;
    }

    /** Returns {@code error} with its message redacted, or {@code error} itself when it contains no secret. */
    AiError redact(AiError error) {
        String redacted = redact(error.message());
        if (redacted == null || redacted.equals(error.message())) {
            return error;
        }
        return new AiError(error.status(), error.type(), error.code(), redacted, error.retryAfterMillis(),
                error.param());
    }
}
