package io.portico.admin;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.CredentialSecrets;
import io.portico.config.CredentialSpec;
import io.portico.config.Durations;
import io.portico.config.Resource;
import io.portico.config.ResourceKind;
import io.portico.config.ResourceKinds;
import io.portico.config.ValidationException;
import io.portico.store.AuditContext;
import io.portico.store.Change;
import io.portico.store.ConfigStore;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Credential routes beyond plain CRUD, whose responses carry a secret that Portico generated. The secret is
 * returned in that one response only. The store keeps its hash (API keys, passwords), or the secret itself where
 * the gateway needs it to verify signatures (HMAC secret keys).
 *
 * <ul>
 *   <li>{@code POST /admin/v1/consumers/{name}/credentials} creates a credential of the consumer, generating
 *       the name when the body has none and the secret (API key, password, HMAC keys, client secret) when the
 *       type has one and the body gives none. API keys are always generated.</li>
 *   <li>{@code POST /admin/v1/credentials/{name}/rotate} creates a new key-auth or hmac credential for the same
 *       consumer and makes the old one expire after {@code overlap}, in one commit.</li>
 * </ul>
 */
final class CredentialApi {

    /** How long a rotated credential keeps working when the request names no overlap. */
    static final Duration DEFAULT_OVERLAP = Duration.ofHours(1);

    private static final ResourceKind<CredentialSpec> KIND = ResourceKinds.CREDENTIALS;
    private static final Pattern ROTATED_NAME = Pattern.compile("(.+)-r(\\d{1,6})");
    private static final int MAX_NAME_LENGTH = 128;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Vertx vertx;
    private final ConfigStore store;
    private final ResourceApi resources;

    CredentialApi(Vertx vertx, ConfigStore store, ResourceApi resources) {
        this.vertx = requireNonNull(vertx, "vertx");
        this.store = requireNonNull(store, "store");
        this.resources = requireNonNull(resources, "resources");
    }

    /** Adds the routes below {@code base}. */
    void mount(AdminRoutes routes, String base) {
        routes.post(base + "/consumers/:name/credentials", Access.write(KIND), this::create);
        routes.post(base + "/credentials/:name/rotate", Access.write(KIND), this::rotate);
    }

    private void create(RoutingContext ctx) {
        String consumer = ctx.pathParam("name");
        ObjectNode spec = Exchange.jsonObject(ctx);
        ResourceApi.READ_ONLY_FIELDS.forEach(spec::remove);
        JsonNode given = spec.get("consumer");
        if (given != null && !given.isNull() && !given.asText().equals(consumer)) {
            throw new ValidationException("consumer", "must equal the consumer in the path, '" + consumer + "'");
        }
        spec.put("consumer", consumer);
        Tenancy.claim(Principal.of(ctx), KIND, spec);
        Map<String, String> generated = generateSecrets(spec, consumer);
        if (!spec.hasNonNull("name")) {
            spec.put("name", generatedName(consumer, spec.path("type").asText()));
        }
        ResourceApi.validate(KIND, spec);
        String name = spec.get("name").asText();
        vertx.executeBlocking(() -> resources.existing(ctx, ResourceKinds.CONSUMERS, consumer), false)
                .compose(found -> resources.commit(ctx, KIND, Change.create(KIND.name(), name, spec), null))
                .onSuccess(resource -> sendWithSecrets(ctx, resource, generated, null))
                .onFailure(ctx::fail);
    }

    /**
     * The fields that {@link #generateSecrets} fills in when the body leaves them out, for some credential types:
     * the request schema of this route does not require them.
     */
    static final Set<String> GENERATED_FIELDS = Set.of("key", "username", "password", "accessKey", "secretKey",
            "clientSecret");

    /**
     * Fills in the secret fields the body leaves out with generated values and returns those values by field,
     * to be shown once. API keys are always generated, so that each has the full 32 random bytes.
     */
    private static Map<String, String> generateSecrets(ObjectNode spec, String consumer) {
        Map<String, String> generated = new LinkedHashMap<>();
        switch (spec.path("type").asText()) {
            case "key-auth" -> {
                if (spec.has("key") || spec.has("keyHash")) {
                    throw new ValidationException("key", "is generated by Portico on this route; to store a key"
                            + " of your own, use POST " + AdminServer.BASE_PATH + "/credentials");
                }
                generate(spec, generated, "key", CredentialSecrets.generateKey());
            }
            case "basic-auth" -> {
                if (!spec.hasNonNull("username")) {
                    spec.put("username", consumer);
                }
                if (!spec.has("passwordHash")) {
                    generate(spec, generated, "password", CredentialSecrets.generateSecret());
                }
            }
            case "hmac" -> {
                if (!spec.hasNonNull("accessKey")) {
                    spec.put("accessKey", CredentialSecrets.generateAccessKey());
                }
                generate(spec, generated, "secretKey", CredentialSecrets.generateSecret());
            }
            case "oauth-client" -> {
                if (!spec.has("clientSecretHash")) {
                    generate(spec, generated, "clientSecret", CredentialSecrets.generateSecret());
                }
            }
            default -> {
                // jwt and mtls credentials carry no secret that Portico could generate.
            }
        }
        return generated;
    }

    private static void generate(ObjectNode spec, Map<String, String> generated, String field, String value) {
        if (!spec.hasNonNull(field)) {
            spec.put(field, value);
            generated.put(field, value);
        }
    }

    private static String generatedName(String consumer, String type) {
        String kind = switch (type) {
            case "key-auth" -> "key";
            case "basic-auth" -> "basic";
            case "oauth-client" -> "oauth";
            default -> type.isEmpty() ? "credential" : type;
        };
        byte[] random = new byte[4];
        RANDOM.nextBytes(random);
        String suffix = "-" + kind + "-" + HexFormat.of().formatHex(random);
        int room = MAX_NAME_LENGTH - suffix.length();
        return (consumer.length() > room ? consumer.substring(0, room) : consumer) + suffix;
    }

    private void rotate(RoutingContext ctx) {
        String name = ctx.pathParam("name");
        Buffer raw = ctx.body().buffer();
        ObjectNode body = raw == null || raw.length() == 0 ? JsonNodeFactory.instance.objectNode()
                : Exchange.jsonObject(ctx);
        Duration overlap = overlap(body);
        Instant newExpiry = instant(body, "expiresAt");
        String requestedName = body.hasNonNull("name") ? body.get("name").asText() : null;
        AuditContext audit = RequestIds.auditContext(ctx);
        vertx.executeBlocking(() -> {
            Resource existing = resources.existing(ctx, KIND, name);
            CredentialSpec old = KIND.parse(existing.spec());
            if (!old.type().equals("key-auth") && !old.type().equals("hmac")) {
                throw new ValidationException("type", "only key-auth and hmac credentials can be rotated; this one"
                        + " is " + old.type() + ": create a new credential, then delete or disable this one");
            }
            ObjectNode fresh = JsonNodeFactory.instance.objectNode()
                    .put("name", requestedName != null ? requestedName : nextName(name))
                    .put("consumer", old.consumer())
                    .put("type", old.type());
            if (newExpiry != null) {
                fresh.put("expiresAt", newExpiry.toString());
            }
            if (existing.spec().hasNonNull(ResourceKind.TEAM_FIELD)) {
                fresh.set(ResourceKind.TEAM_FIELD, existing.spec().get(ResourceKind.TEAM_FIELD));
            }
            Map<String, String> generated = generateSecrets(fresh, old.consumer());
            ResourceApi.validate(KIND, fresh);
            Instant end = Instant.now().plus(overlap);
            ObjectNode retiring = existing.spec().deepCopy();
            if (old.expiresAt() == null || end.isBefore(old.expiresAt())) {
                retiring.put("expiresAt", end.toString());
            }
            String freshName = fresh.get("name").asText();
            store.commit(List.of(
                    Change.create(KIND.name(), freshName, KIND.storedForm(fresh, null)),
                    Change.update(KIND.name(), name, retiring, existing.revision())), audit);
            return new Rotation(store.get(KIND.name(), freshName).orElseThrow(),
                    store.get(KIND.name(), name).orElseThrow(), generated);
        }, false).compose(done -> resources.refreshSnapshot().map(done))
                .onSuccess(done -> sendWithSecrets(ctx, done.created(), done.secrets(), done.retired()))
                .onFailure(ctx::fail);
    }

    private static Duration overlap(ObjectNode body) {
        JsonNode overlap = body.get("overlap");
        if (overlap == null || overlap.isNull()) {
            return DEFAULT_OVERLAP;
        }
        try {
            return Durations.parse(overlap.asText());
        } catch (IllegalArgumentException e) {
            throw new ValidationException("overlap", e.getMessage());
        }
    }

    private static Instant instant(ObjectNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        try {
            return Instant.parse(value.asText());
        } catch (RuntimeException e) {
            throw new ValidationException(field, "must be an RFC 3339 instant such as 2026-01-01T00:00:00Z");
        }
    }

    /** Returns {@code name-r2} for {@code name}, {@code name-r3} for {@code name-r2}, skipping used names. */
    private String nextName(String name) {
        Matcher rotated = ROTATED_NAME.matcher(name);
        String base = rotated.matches() ? rotated.group(1) : name;
        int next = rotated.matches() ? Integer.parseInt(rotated.group(2)) + 1 : 2;
        while (true) {
            String suffix = "-r" + next;
            String candidate = (base.length() + suffix.length() > MAX_NAME_LENGTH
                    ? base.substring(0, MAX_NAME_LENGTH - suffix.length()) : base) + suffix;
            if (store.get(KIND.name(), candidate).isEmpty()) {
                return candidate;
            }
            next++;
        }
    }

    /**
     * Sends 201 with the credential's representation and the generated secrets, which this response alone
     * carries, and for a rotation the name and new expiry of the credential it replaces.
     */
    private static void sendWithSecrets(RoutingContext ctx, Resource created, Map<String, String> secrets,
                                        Resource retired) {
        ObjectNode body = ResourceApi.representation(KIND, created);
        secrets.forEach(body::put);
        if (retired != null) {
            body.putObject("previous")
                    .put("name", retired.name())
                    .put("expiresAt", retired.spec().path("expiresAt").asText());
        }
        ctx.response().putHeader(HttpHeaders.LOCATION, AdminServer.BASE_PATH + "/" + KIND.name() + "/"
                + created.name());
        ctx.response().putHeader(HttpHeaders.ETAG, created.etag());
        Exchange.sendJson(ctx, 201, body);
    }

    /** The credential a rotation created with its generated secrets, and the credential it set to expire. */
    private record Rotation(Resource created, Resource retired, Map<String, String> secrets) {
    }
}
