package io.portico.policy.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Errors;
import io.portico.pipeline.PolicyChain;
import io.portico.pipeline.RequestContext;
import io.portico.policy.PolicySettings;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The options every authentication policy takes.
 *
 * @param optional pass a request that carries no credential of the policy's kind on without an identity, instead
 *     of rejecting it; a wrong credential is still rejected
 * @param keepCredential forward the credential (header, query parameter) to the upstream instead of removing it
 * @param realm the realm named in the {@code WWW-Authenticate} challenge
 */
public record AuthOptions(boolean optional, boolean keepCredential, String realm) {

    /** The realm when the configuration names none. */
    public static final String DEFAULT_REALM = "portico";

    private static final List<String> FIELDS = List.of("optional", "keepCredential", "realm");

    /**
     * Ends or passes on a request that carries no credential of the policy's kind: 401 with {@code challenge} and
     * {@code detail}, or on to the next policy without an identity when the policy is optional.
     */
    public void noCredential(RequestContext ctx, PolicyChain chain, String challenge, String detail) {
        if (optional) {
            chain.proceed(ctx);
        } else {
            Unauthorized.missing(ctx, challenge, detail);
        }
    }

    /**
     * Passes on a request whose credential matched {@code entry}, with its identity and, unless
     * {@code keepCredential}, without the credential, which {@code removeCredential} takes out of the request. A
     * disabled or expired credential, or one of a disabled consumer, gets 401 with {@code challenge} instead.
     */
    public void admit(RequestContext ctx, PolicyChain chain, CredentialIndex.Entry entry, String challenge,
                      Consumer<RequestContext> removeCredential) {
        String unusable = entry.unusableReason(System.currentTimeMillis());
        if (unusable != null) {
            Unauthorized.invalid(ctx, challenge, unusable);
            return;
        }
        ctx.identity(entry.identity());
        if (!keepCredential) {
            removeCredential.accept(ctx);
        }
        chain.proceed(ctx);
    }

    /** Reads the options from a policy configuration that {@link #validate} accepted. */
    public static AuthOptions of(ObjectNode config) {
        return new AuthOptions(config.path("optional").asBoolean(false),
                config.path("keepCredential").asBoolean(false),
                config.path("realm").asText(DEFAULT_REALM));
    }

    /**
     * Records invalid common options into {@code errors}, and every field that is neither a common option nor one
     * of the policy's own {@code fields}.
     */
    public static void validate(ObjectNode config, Errors errors, Set<String> fields) {
        Set<String> known = new HashSet<>(FIELDS);
        known.addAll(fields);
        PolicySettings.rejectUnknownFields(config, known, errors);
        for (String flag : List.of("optional", "keepCredential")) {
            JsonNode value = config.get(flag);
            errors.check(value == null || value.isBoolean(), flag, "must be true or false");
        }
        JsonNode realm = config.get("realm");
        errors.check(realm == null || realm.isTextual() && realm.asText().matches("[\\x20-\\x7e&&[^\"\\\\]]{1,64}"),
                "realm", "must be 1-64 printable ASCII characters without '\"' or '\\'");
    }
}
