package io.portico.policy.auth.key;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Errors;
import io.portico.pipeline.Policy;
import io.portico.pipeline.PolicyContext;
import io.portico.pipeline.PolicyFactory;
import io.portico.pipeline.PolicyPhase;
import io.portico.policy.auth.AuthOptions;
import io.portico.policy.auth.CredentialIndex;
import java.util.Set;

/**
 * Creates {@code key-auth} policies. Options: {@code header} (default {@code apikey}), {@code query} (a query
 * parameter name; none by default, because URLs end up in logs), {@code bearer} (also accept
 * {@code Authorization: Bearer pk_...}; default true), and the options of {@link AuthOptions}.
 */
public final class KeyAuthPolicyFactory implements PolicyFactory {

    static final String DEFAULT_HEADER = "apikey";
    private static final String TOKEN = "[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}";

    @Override
    public String name() {
        return "key-auth";
    }

    @Override
    public void validate(ObjectNode config, Errors errors) {
        AuthOptions.validate(config, errors, Set.of("header", "query", "bearer"));
        JsonNode header = config.get("header");
        errors.check(header == null || header.isNull() || header.isTextual() && header.asText().matches(TOKEN),
                "header", "must be a header name (letters, digits and - _ . ! # $ % & ' * + ^ ` | ~), or null for"
                        + " none");
        JsonNode query = config.get("query");
        errors.check(query == null || query.isNull() || query.isTextual() && !query.asText().isEmpty(), "query",
                "must be a query parameter name");
        JsonNode bearer = config.get("bearer");
        errors.check(bearer == null || bearer.isBoolean(), "bearer", "must be true or false");
        boolean headerOff = header != null && header.isNull();
        boolean queryOff = query == null || query.isNull();
        boolean bearerOff = bearer != null && !bearer.asBoolean();
        errors.check(!(headerOff && queryOff && bearerOff), "header",
                "at least one of header, query and bearer must be on");
    }

    /** Returns {@link PolicyPhase#AUTHENTICATION}: the policy establishes the request's identity. */
    @Override
    public PolicyPhase phase(ObjectNode config) {
        return PolicyPhase.AUTHENTICATION;
    }

    @Override
    public Policy create(ObjectNode config, PolicyContext context) {
        JsonNode header = config.get("header");
        String headerName = header == null ? DEFAULT_HEADER : header.isNull() ? null : header.asText();
        JsonNode query = config.get("query");
        String queryName = query == null || query.isNull() ? null : query.asText();
        return new KeyAuthPolicy(CredentialIndex.of(context), AuthOptions.of(config), headerName, queryName,
                config.path("bearer").asBoolean(true));
    }
}
