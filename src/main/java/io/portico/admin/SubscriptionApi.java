package io.portico.admin;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.ApiSpec;
import io.portico.config.ConfigSnapshot;
import io.portico.config.Errors;
import io.portico.config.FieldRules;
import io.portico.config.Length;
import io.portico.config.Matches;
import io.portico.config.Names;
import io.portico.config.Required;
import io.portico.config.Resource;
import io.portico.config.ResourceKind;
import io.portico.config.ResourceKinds;
import io.portico.config.SubscriptionSpec;
import io.portico.config.SubscriptionSpec.StatusChange;
import io.portico.config.ValidationException;
import io.portico.problem.Problem;
import io.portico.problem.ProblemType;
import io.portico.store.AuditEntry;
import io.portico.store.AuditQuery;
import io.portico.store.Change;
import io.portico.store.ConfigStore;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The subscription workflow. A request creates a subscription that is pending, or active at once when the API
 * approves automatically. An admin then approves or rejects a pending subscription and may revoke an active one.
 * Each step appends a {@link StatusChange} (who, when, why) to the subscription's {@code history}. Routes:
 * <ul>
 *   <li>{@code GET /catalog/apis} lists every team's APIs with their approval mode, so that any user finds
 *       the APIs to request;</li>
 *   <li>{@code POST /apis/{name}/subscriptions} requests a subscription; {@code GET} lists the API's;</li>
 *   <li>{@code GET /consumers/{name}/subscriptions} lists the consumer's;</li>
 *   <li>{@code POST /subscriptions/{name}/approve}, {@code /reject} and {@code /revoke}.</li>
 * </ul>
 */
final class SubscriptionApi {

    /** The name recorded as {@code by} when an API whose {@code approval} is {@code auto} approves a request. */
    static final String AUTO_APPROVER = "auto";

    private static final ResourceKind<SubscriptionSpec> KIND = ResourceKinds.SUBSCRIPTIONS;
    private static final ResourceKind<RequestBody> REQUEST_BODY = new ResourceKind<>("subscription request",
            RequestBody.class, RequestBody::validate, List.of());
    private static final ResourceKind<DecisionBody> DECISION_BODY = new ResourceKind<>("subscription decision",
            DecisionBody.class, DecisionBody::validate, List.of());

    private final ResourceApi resources;
    private final ConfigStore store;

    SubscriptionApi(ResourceApi resources, ConfigStore store) {
        this.resources = requireNonNull(resources, "resources");
        this.store = requireNonNull(store, "store");
    }

    /** The body of a subscription request. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record RequestBody(@Required @Matches(value = Names.PATTERN, message = Names.REFERENCE_MESSAGE) String consumer,
                       @Matches(value = Names.PATTERN, message = Names.MESSAGE) String name, Instant expiresAt,
                       @Length(max = SubscriptionSpec.MAX_REASON_LENGTH) String reason) {
        void validate(Errors errors) {
            FieldRules.check(this, errors);
        }
    }

    /** The body of an approval, rejection or revocation. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record DecisionBody(@Length(max = SubscriptionSpec.MAX_REASON_LENGTH) String reason, Instant expiresAt) {
        void validate(Errors errors) {
            FieldRules.check(this, errors);
        }
    }

    /** The decisions an admin makes on a subscription: the status it must have, the status it takes. */
    enum Decision {
        APPROVE("approve", "approved", SubscriptionSpec.PENDING, SubscriptionSpec.ACTIVE, false),
        REJECT("reject", "rejected", SubscriptionSpec.PENDING, SubscriptionSpec.REJECTED, true),
        REVOKE("revoke", "revoked", SubscriptionSpec.ACTIVE, SubscriptionSpec.REVOKED, true);

        private final String verb;
        private final String participle;
        private final String from;
        private final String to;
        private final boolean reasonRequired;

        Decision(String verb, String participle, String from, String to, boolean reasonRequired) {
            this.verb = verb;
            this.participle = participle;
            this.from = from;
            this.to = to;
            this.reasonRequired = reasonRequired;
        }
    }

    /**
     * Adds the routes below {@code base}. Requests are open to the roles that write subscriptions, for consumers of
     * their team and APIs of any team. Decisions are open to platform admins and to the admins of the API's team.
     */
    void mount(AdminRoutes routes, String base) {
        routes.get(base + "/catalog/apis", Access.AUTHENTICATED, this::catalog);
        // Path parameters are all called 'name', as on the resource routes, so one OpenAPI parameter fits all.
        routes.post(base + "/apis/:name/subscriptions", Access.write(KIND), this::request);
        routes.get(base + "/apis/:name/subscriptions", Access.read(KIND),
                ctx -> listOf(ctx, ResourceKinds.APIS, "api", ctx.pathParam("name")));
        routes.get(base + "/consumers/:name/subscriptions", Access.read(KIND),
                ctx -> listOf(ctx, ResourceKinds.CONSUMERS, "consumer", ctx.pathParam("name")));
        for (Decision decision : Decision.values()) {
            routes.post(base + "/subscriptions/:name/" + decision.verb, Access.USER_ADMINS,
                    ctx -> decide(ctx, decision));
        }
    }

    /**
     * Sends the name, description, approval mode and subscription requirement of every API, whichever team owns
     * it. Nothing else of another team's API is shown, not even the team.
     */
    private void catalog(RoutingContext ctx) {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        ArrayNode items = body.putArray("items");
        resources.snapshot().apis().values().stream()
                .sorted(Comparator.comparing(ApiSpec::name))
                .forEach(api -> {
                    ObjectNode item = items.addObject().put("name", api.name());
                    if (api.description() != null) {
                        item.put("description", api.description());
                    }
                    item.put("approval", api.approval()).put("subscriptionRequired", api.subscriptionRequired());
                });
        Exchange.sendJson(ctx, 200, body);
    }

    /**
     * Lists the subscriptions whose {@code field} is {@code owner}, after checking that the caller sees the owner.
     * The team of an API sees every subscription to it, whichever team the consumer belongs to.
     */
    private void listOf(RoutingContext ctx, ResourceKind<?> ownerKind, String field, String owner) {
        resources.blocking(() -> resources.existing(ctx, ownerKind, owner))
                .onSuccess(found -> resources.list(ctx, KIND, Map.of(field, owner),
                        ownerKind == ResourceKinds.APIS))
                .onFailure(ctx::fail);
    }

    private void request(RoutingContext ctx) {
        String api = ctx.pathParam("name");
        RequestBody body = REQUEST_BODY.parse(Exchange.jsonObject(ctx));
        StatusChange requested = new StatusChange(SubscriptionSpec.PENDING, Exchange.actor(ctx), Instant.now(),
                body.reason());
        resources.blocking(() -> plan(api, body, requested))
                .compose(change -> resources.commit(ctx, KIND, change, null).map(resource -> {
                    if (change.operation() == Change.Operation.CREATE) {
                        ResourceApi.sendCreated(ctx, KIND, resource);
                    } else {
                        ResourceApi.sendResource(ctx, 200, KIND, resource);
                    }
                    return resource;
                }))
                .onFailure(ctx::fail);
    }

    /**
     * Returns the change a request makes. A consumer with a pending or active subscription to the API cannot
     * request another. The consumer's latest rejected or revoked subscription is reopened as pending, even when
     * the API approves automatically, so that an admin decides again. Without one, a new subscription is created,
     * pending as well when an admin deleted such a decision and approved nothing since.
     */
    private Change plan(String apiName, RequestBody body, StatusChange requested) {
        ApiSpec api = ResourceKinds.APIS.parse(resources.stored(ResourceKinds.APIS, apiName).spec());
        List<Resource> previous = new ArrayList<>();
        for (Resource resource : store.list(KIND.name())) {
            SubscriptionSpec subscription = KIND.parse(resource.spec());
            if (!subscription.consumer().equals(body.consumer()) || !subscription.api().equals(apiName)) {
                continue;
            }
            if (subscription.status().equals(SubscriptionSpec.PENDING)
                    || subscription.status().equals(SubscriptionSpec.ACTIVE)) {
                throw new Problem(ProblemType.CONFLICT, "consumer '" + body.consumer() + "' already has the "
                        + subscription.status() + " subscription '" + subscription.name() + "' to the API '"
                        + apiName + "'");
            }
            previous.add(resource);
        }
        if (!previous.isEmpty()) {
            Resource latest = previous.stream()
                    .max(Comparator.comparingLong(Resource::revision)).orElseThrow();
            SubscriptionSpec reopened = KIND.parse(latest.spec()).with(requested, body.expiresAt());
            return Change.update(KIND.name(), latest.name(), toJson(reopened), latest.revision());
        }
        String name = body.name() != null ? body.name() : body.consumer() + "." + apiName;
        SubscriptionSpec subscription = new SubscriptionSpec(name, body.consumer(), apiName,
                SubscriptionSpec.PENDING, body.expiresAt(), body.reason(), List.of(requested));
        if (AUTO_APPROVER.equals(api.approval()) && !deletedDecision(store, body.consumer(), apiName)) {
            subscription = subscription.with(new StatusChange(SubscriptionSpec.ACTIVE, AUTO_APPROVER, requested.at(),
                    "the API approves subscriptions automatically"), body.expiresAt());
        }
        ObjectNode spec = toJson(subscription);
        ResourceApi.validate(KIND, spec);
        if (store.get(KIND.name(), name).isPresent()) {
            throw new Problem(ProblemType.CONFLICT, "subscriptions/" + name + " already exists for another consumer"
                    + " or API; send a 'name' for the new subscription");
        }
        return Change.create(KIND.name(), name, spec);
    }

    private void decide(RoutingContext ctx, Decision decision) {
        String name = ctx.pathParam("name");
        DecisionBody body = DECISION_BODY.parse(Exchange.optionalJsonObject(ctx));
        if (decision.reasonRequired && (body.reason() == null || body.reason().isBlank())) {
            throw new ValidationException("reason", "is required to " + decision.verb + " a subscription");
        }
        if (decision != Decision.APPROVE && body.expiresAt() != null) {
            throw new ValidationException("expiresAt", "can be set only when approving a subscription");
        }
        Instant now = Instant.now();
        if (body.expiresAt() != null && !body.expiresAt().isAfter(now)) {
            throw new ValidationException("expiresAt", "must be in the future; an approval that has already expired"
                    + " would admit no calls");
        }
        Preconditions preconditions = Preconditions.of(ctx.request());
        StatusChange change = new StatusChange(decision.to, Exchange.actor(ctx), now, body.reason());
        Principal principal = Principal.of(ctx);
        resources.blocking(() -> decidable(principal, name)).compose(resource -> {
            preconditions.check("subscriptions/" + name, resource);
            SubscriptionSpec subscription = KIND.parse(resource.spec());
            if (!subscription.status().equals(decision.from)) {
                throw new Problem(ProblemType.CONFLICT, "subscriptions/" + name + " is " + subscription.status()
                        + "; only " + (decision.from.equals(SubscriptionSpec.ACTIVE) ? "an " : "a ") + decision.from
                        + " subscription can be " + decision.participle);
            }
            Instant expiresAt = body.expiresAt() != null ? body.expiresAt() : subscription.expiresAt();
            ObjectNode spec = toJson(subscription.with(change, expiresAt));
            return resources.commit(ctx, KIND, Change.update(KIND.name(), name, spec, resource.revision()),
                    resource.spec(), false);
        }).onSuccess(resource -> ResourceApi.sendResource(ctx, 200, KIND, resource)).onFailure(ctx::fail);
    }

    /**
     * Checks a direct write (POST, PUT, PATCH or DELETE of {@code /subscriptions}) by a caller who may not decide on
     * the subscription's API, and returns the specification to store. Such a caller may create only a
     * {@code pending} subscription, or an {@code active} one to an API that approves automatically, may change the
     * status only to {@code pending}, may not move a decided subscription to another consumer or API nor change the
     * expiry of an active one, and may not delete a rejected or revoked one. A new subscription of a consumer to an
     * API that has rejected or revoked one of the consumer's subscriptions is stored as {@code pending}, whatever
     * status it requests, because the request route would reopen the old one.
     *
     * @param before the stored specification, or null when the subscription is created
     * @param after the new specification, or null when the subscription is deleted
     * @return {@code after}, with the status set to {@code pending} where an admin must decide again
     * @throws Problem 403 naming the field and who may set it
     */
    static ObjectNode admit(Principal principal, ObjectNode before, ObjectNode after, ConfigSnapshot snapshot,
                            ConfigStore store) {
        SubscriptionSpec previous = before == null ? null : KIND.parse(before);
        SubscriptionSpec next = after == null ? null : KIND.parse(after);
        SubscriptionSpec subject = next != null ? next : previous;
        Resource api = subject == null ? null : snapshot.find(ResourceKinds.APIS.name(), subject.api());
        if (api == null || decides(principal, api, snapshot)) {
            return after;
        }

        if (next == null) {
            if (decided(previous)) {
                throw new Problem(ProblemType.FORBIDDEN, principal.actor() + " may not delete the "
                        + previous.status() + " subscriptions/" + previous.name() + ": only platform admins and the"
                        + " admins of the API's team may remove a decision on subscriptions to '" + previous.api()
                        + "'");
            }
            return null;
        }

        if (previous == null && !next.status().equals(SubscriptionSpec.PENDING)
                && (hasDecided(snapshot, next.consumer(), next.api())
                || deletedDecision(store, next.consumer(), next.api()))) {
            return after.deepCopy().put("status", SubscriptionSpec.PENDING);
        }

        String from = previous == null ? null : previous.status();
        if (!next.status().equals(from) && !next.status().equals(SubscriptionSpec.PENDING)) {
            boolean autoApproved = previous == null && next.status().equals(SubscriptionSpec.ACTIVE)
                    && AUTO_APPROVER.equals(ResourceKinds.APIS.parse(api.spec()).approval());
            if (!autoApproved) {
                throw new Problem(ProblemType.FORBIDDEN, principal.actor() + " may not set status '"
                        + next.status() + "' on subscriptions/" + next.name() + ": only platform admins and the"
                        + " admins of the API's team decide on subscriptions to '" + next.api() + "'; create it"
                        + " as pending, or request it with POST /admin/v1/apis/" + next.api() + "/subscriptions");
            }
        }

        boolean moved = previous != null && (!next.api().equals(previous.api())
                || !next.consumer().equals(previous.consumer()));
        if (moved && (decided(previous) || previous.status().equals(SubscriptionSpec.ACTIVE))
                || previous != null && next.status().equals(SubscriptionSpec.ACTIVE)
                && !Objects.equals(next.expiresAt(), previous.expiresAt())) {
            throw new Problem(ProblemType.FORBIDDEN, principal.actor() + " may not change the consumer or API of"
                    + " the " + previous.status() + " subscriptions/" + next.name() + ", nor the expiry of an"
                    + " active one: only platform admins and the admins of the API's team decide on subscriptions"
                    + " to '" + next.api() + "'");
        }
        return after;
    }

    /**
     * Returns true for a subscription that an admin rejected or revoked, including one reopened as pending since.
     * The history of a reopened one records the decision, and only an admin's approval ends it.
     */
    private static boolean decided(SubscriptionSpec subscription) {
        return switch (subscription.status()) {
            case SubscriptionSpec.REJECTED, SubscriptionSpec.REVOKED -> true;
            case SubscriptionSpec.PENDING -> subscription.history().stream().map(StatusChange::status)
                    .anyMatch(status -> status.equals(SubscriptionSpec.REJECTED)
                            || status.equals(SubscriptionSpec.REVOKED));
            default -> false;
        };
    }

    /** Returns true when {@code consumer} has a rejected or revoked subscription to {@code api}. */
    private static boolean hasDecided(ConfigSnapshot snapshot, String consumer, String api) {
        return snapshot.subscriptions().values().stream().anyMatch(subscription -> decided(subscription)
                && subscription.consumer().equals(consumer) && subscription.api().equals(api));
    }

    /**
     * Returns true when the audit log shows that a rejected or revoked subscription of {@code consumer} to
     * {@code api} was deleted, and no subscription of theirs was made active since. An admin may delete a decided
     * subscription, and the decision still holds for the consumer's next subscription.
     */
    private static boolean deletedDecision(ConfigStore store, String consumer, String api) {
        // NOTE: this reads every subscription entry of the audit log when none concerns the pair. It runs only
        // when a new subscription would become active without an admin.
        AuditQuery query = new AuditQuery(KIND.name(), null, null, null, null, null, null, null,
                AuditQuery.MAX_LIMIT);
        while (true) {
            List<AuditEntry> page = store.audit(query);
            for (AuditEntry entry : page) {
                ObjectNode spec = entry.after() != null ? entry.after() : entry.before();
                if (spec == null || !consumer.equals(spec.path("consumer").asText())
                        || !api.equals(spec.path("api").asText())) {
                    continue;
                }
                SubscriptionSpec subscription = KIND.parse(spec);
                if (entry.after() == null && decided(subscription)) {
                    return true;
                }
                if (entry.after() != null && subscription.status().equals(SubscriptionSpec.ACTIVE)) {
                    return false;
                }
            }
            if (page.size() < query.limit()) {
                return false;
            }
            query = query.after(page.get(page.size() - 1).id());
        }
    }

    /**
     * Keeps the stored {@code history} in a direct write, which only the workflow routes extend: a body without
     * {@code history} gets the stored one, and a body with another one is rejected.
     *
     * @param before the stored specification, or null when the subscription is created
     * @param after the written specification, changed in place
     * @throws ValidationException naming {@code history}
     */
    static void keepHistory(ObjectNode before, ObjectNode after) {
        if (!after.has("history") && before != null && before.has("history")) {
            after.set("history", before.get("history").deepCopy());
        }
        List<StatusChange> stored = before == null ? List.of() : KIND.parse(before).history();
        if (!KIND.parse(after).history().equals(stored)) {
            throw new ValidationException("history", "is written by Portico only, through the subscription"
                    + " request and decision routes; send it unchanged or leave it out");
        }
    }

    /** Returns true when {@code principal} decides on subscriptions to {@code api}. */
    private static boolean decides(Principal principal, Resource api, ConfigSnapshot snapshot) {
        if (principal.role() == Role.PLATFORM_ADMIN) {
            return true;
        }
        String apiTeam = Tenancy.teamOf(ResourceKinds.APIS, api.spec(), snapshot);
        return principal.role() == Role.TEAM_ADMIN && principal.team() != null && principal.team().equals(apiTeam);
    }

    /**
     * Returns a subscription that {@code principal} may decide on: any for a platform admin, else one to an API of
     * the caller's team.
     *
     * @throws Problem 404 when the caller may neither see the subscription nor decide on it, 403 when the caller
     *     sees it but the API belongs to another team
     */
    private Resource decidable(Principal principal, String name) {
        Resource resource = resources.stored(KIND, name);
        if (principal.role() == Role.PLATFORM_ADMIN) {
            return resource;
        }
        ConfigSnapshot snapshot = resources.snapshot();
        Resource api = snapshot.find(ResourceKinds.APIS.name(), resource.spec().path("api").asText());
        if (api != null && decides(principal, api, snapshot)) {
            return resource;
        }
        if (!Tenancy.sees(principal, KIND, resource, snapshot)) {
            throw new Problem(ProblemType.NOT_FOUND, "subscriptions/" + name + " does not exist");
        }
        throw new Problem(ProblemType.FORBIDDEN, principal.actor() + " may decide only on subscriptions to APIs of"
                + " team " + principal.team());
    }

    private static ObjectNode toJson(SubscriptionSpec subscription) {
        return KIND.toJson(subscription);
    }
}
