package io.portico.ai;

import io.portico.ai.spi.AiError;
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
 * so each secret is removed whole and also without its last {@value #KEPT_SUFFIX} characters.
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

    /** Texts to remove, the longest first, so that a whole key is removed before its prefix. */
    private final List<String> texts;

    ProviderSecrets(ProviderSpec spec) {
        Set<String> secrets = new LinkedHashSet<>();
        for (ProviderSpec.Key key : spec.keys()) {
            if (key != null) {
                secrets.add(key.key());
            }
        }
        secrets.add(spec.secretAccessKey());
        secrets.add(spec.sessionToken());
        spec.headers().forEach((name, value) -> {
            if (HeaderNames.isCredential(name) && value != null) {
                secrets.add(value);
                // A scheme such as "Bearer " is not secret, and a provider may echo the credential after it only.
                int space = value.indexOf(' ');
                secrets.add(space < 0 ? null : value.substring(space + 1).trim());
            }
        });
        Set<String> removed = new LinkedHashSet<>();
        for (String secret : secrets) {
            if (secret == null || secret.length() < MIN_LENGTH) {
                continue;
            }
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
