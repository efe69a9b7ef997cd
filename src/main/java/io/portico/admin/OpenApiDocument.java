package io.portico.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.metrics.MetricsServer;
import io.portico.config.Durations;
import io.portico.config.Names;
import io.portico.config.Required;
import io.portico.config.ResourceKind;
import io.portico.config.ResourceKinds;
import io.portico.config.SecretFields;
import io.portico.config.SpecValidator;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Builds the OpenAPI 3.1 description of the admin API. The resource routes and their schemas come from
 * {@link ResourceKinds#all()} and the specification records, so a new kind appears here without extra work.
 */
final class OpenApiDocument {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final String JSON = "application/json";
    private static final String YAML = "application/yaml";
    private static final String PROBLEM = "application/problem+json";
    private static final String ETAG = "ETag";
    private static final String LOCATION = "Location";
    /** The start of the description of a header map whose credential headers are secret fields. */
    private static final String CREDENTIAL_HEADERS = "The values of credential headers (Authorization,"
            + " Proxy-Authorization, Cookie, and names whose last word is Key, ApiKey, Token, Secret or Password,"
            + " ignoring case and reading _ as -) are secret";

    private OpenApiDocument() {
    }

    /** Returns the OpenAPI document; {@code servesMetrics} adds {@code GET /metrics}. */
    static ObjectNode build(boolean servesMetrics) {
        ObjectNode root = NODES.objectNode();
        root.put("openapi", "3.1.0");
        root.putObject("info")
                .put("title", "Portico admin API")
                .put("version", PorticoVersion.current())
                .put("description", "Manages Portico's configuration. Every /admin/v1 route requires"
                        + " 'Authorization: Bearer <token>' with the admin token or a personal token, or Basic"
                        + " credentials of an admin user, and answers 403 when the user's role does not allow the"
                        + " operation. Errors are RFC 9457 problem documents. Every GET operation also responds to HEAD"
                        + " with the same status and headers and no body.");
        root.putArray("security").addObject().putArray("bearer");
        root.withArray("security").addObject().putArray("basic");
        ObjectNode paths = root.putObject("paths");
        addHealth(paths);
        if (servesMetrics) {
            addMetrics(paths);
        }
        addAdmin(paths);
        addAudit(paths);
        addUsers(paths);
        addMe(paths);
        for (ResourceKind<?> kind : ResourceKinds.all()) {
            addKind(paths, kind);
        }
        addCredentialOperations(paths);
        addSubscriptionWorkflow(paths);
        root.set("components", components());
        return root;
    }

    /**
     * Adds to each admin operation of {@code document}, as {@code x-portico-access}, who may call it according to
     * the {@link Access} of its route in {@code router}.
     */
    static ObjectNode withAccess(ObjectNode document, Router router) {
        for (Route route : router.getRoutes()) {
            if (!(route.getMetadata(AdminRoutes.ACCESS) instanceof Access access) || route.getPath() == null) {
                continue;
            }
            JsonNode path = document.path("paths").path(route.getPath().replaceAll(":(\\w+)", "{$1}"));
            for (HttpMethod method : route.methods()) {
                if (path.get(method.name().toLowerCase(Locale.ROOT)) instanceof ObjectNode operation) {
                    operation.put("x-portico-access", access.description());
                }
            }
        }
        return document;
    }

    private static void addHealth(ObjectNode paths) {
        ObjectNode live = operation(paths, "/health/live", "get", "Liveness: 200 while the process runs");
        live.putArray("security");
        response(live, "200", "The process is running", null);
        ObjectNode ready = operation(paths, "/health/ready", "get", "Readiness: 200 when the node serves a"
                + " configuration version from the store; the body names the served and stored versions");
        ready.putArray("security");
        response(ready, "200", "Ready", null);
        response(ready, "503", "Not ready: starting, shutting down, or no stored version could be applied; the"
                + " body's reason says which", null);
        ObjectNode liveHead = operation(paths, "/health/live", "head", "Liveness as GET, without the body");
        liveHead.putArray("security");
        response(liveHead, "200", "The process is running", null);
        ObjectNode readyHead = operation(paths, "/health/ready", "head", "Readiness as GET, without the body");
        readyHead.putArray("security");
        response(readyHead, "200", "Ready", null);
        response(readyHead, "503", "Not ready", null);
    }

    private static void addMetrics(ObjectNode paths) {
        ObjectNode metrics = operation(paths, MetricsServer.PATH, "get", "Every metric of this node in the Prometheus"
                + " text format, or in OpenMetrics when the Accept header asks for application/openmetrics-text");
        response(metrics, "200", "The metrics", "text/plain");
        metrics.withObjectProperty("responses").withObjectProperty("200").withObjectProperty("content")
                .putObject("application/openmetrics-text");
        problems(metrics, "401", "403");
    }

    private static void addAdmin(ObjectNode paths) {
        ObjectNode openApi = operation(paths, AdminServer.BASE_PATH + "/openapi.json", "get", "This document");
        response(openApi, "200", "The OpenAPI document", JSON);
        ObjectNode status = operation(paths, AdminServer.BASE_PATH + "/status", "get",
                "Portico version, the configuration version this node serves and the store's, resource counts");
        response(status, "200", "Status", JSON);

        ObjectNode export = operation(paths, AdminServer.BASE_PATH + "/config", "get",
                "Exports the whole configuration as a declarative document, secrets masked");
        ObjectNode format = export.putArray("parameters").addObject();
        format.put("name", "format").put("in", "query").put("required", false)
                .putObject("schema").put("type", "string").putArray("enum").add("json").add("yaml");
        ObjectNode exported = response(export, "200", "The document; YAML with Accept: application/yaml", JSON);
        exported.withObjectProperty("content").putObject(YAML);

        addTraffic(paths);
        documentOperation(paths, "/config/diff", "Reports what applying the document would change, writing nothing");
        documentOperation(paths, "/config/apply", "Makes the stored configuration equal to the document in one"
                + " commit: resources the document leaves out are deleted");
    }

    private static void addTraffic(ObjectNode paths) {
        ObjectNode health = operation(paths, AdminServer.BASE_PATH + "/services/{name}/health", "get",
                "Health, counters, latency and circuit breaker of each target of a service, as this node sees them");
        health.putArray("parameters").addObject().put("name", "name").put("in", "path").put("required", true)
                .putObject("schema").put("type", "string");
        response(health, "200", "The service's targets", JSON);
        problems(health, "404");
        ObjectNode breakers = operation(paths, AdminServer.BASE_PATH + "/circuit-breakers", "get",
                "State of every circuit breaker of this node: upstream targets and provider models");
        response(breakers, "200", "The circuit breakers", JSON);
        ObjectNode cache = operation(paths, AdminServer.BASE_PATH + "/cache", "get",
                "Entries, bytes, hits, misses, evictions and expirations of each response cache store of this node");
        response(cache, "200", "The cache stores", JSON);
        ObjectNode purge = operation(paths, AdminServer.BASE_PATH + "/cache", "delete",
                "Purges cached responses: one route's, those under a key prefix, or all of them, in every store or"
                        + " the one that store names");
        ArrayNode parameters = purge.putArray("parameters");
        for (String name : List.of("route", "prefix")) {
            parameters.addObject().put("name", name).put("in", "query").put("required", false)
                    .putObject("schema").put("type", "string");
        }
        parameters.addObject().put("name", "store").put("in", "query").put("required", false)
                .putObject("schema").put("type", "string").putArray("enum").add("local").add("redis");
        response(purge, "200", "The number of entries removed, in total and by store, as"
                + " {\"purged\": N, \"stores\": [{\"type\": \"local\", \"purged\": N}]}", JSON);
        problems(purge, "400", "503");
        ObjectNode quotas = operation(paths, AdminServer.BASE_PATH + "/quotas", "get",
                "Calls counted by quota policies in the current periods, as this node last read them from the store");
        quotas.putArray("parameters").addObject().put("name", "consumer").put("in", "query").put("required", false)
                .putObject("schema").put("type", "string");
        response(quotas, "200", "The quota counters", JSON);
        ObjectNode budgets = operation(paths, AdminServer.BASE_PATH + "/budgets", "get",
                "Spend counted by budget policies in the current periods, with their alert state");
        budgets.putArray("parameters").addObject().put("name", "subject").put("in", "query").put("required", false)
                .putObject("schema").put("type", "string");
        response(budgets, "200", "The budget counters", JSON);
    }

    private static void addAudit(ObjectNode paths) {
        ObjectNode list = operation(paths, AdminServer.BASE_PATH + "/audit", "get", "Lists audit log entries,"
                + " newest first: who changed which resource when, with masked before and after specifications");
        auditFilters(list);
        list.withArray("parameters").addObject().put("name", "limit").put("in", "query")
                .putObject("schema").put("type", "integer").put("minimum", 1).put("maximum", 1000)
                .put("default", 100);
        list.withArray("parameters").addObject().put("name", "cursor").put("in", "query")
                .put("description", "The next value of the previous page").putObject("schema").put("type", "string");
        response(list, "200", "{ \"items\": [...], \"next\": cursor or null }", JSON);
        problems(list, "400");
        ObjectNode export = operation(paths, AdminServer.BASE_PATH + "/audit/export", "get",
                "Exports every matching audit log entry as JSON lines, newest first");
        auditFilters(export);
        response(export, "200", "One JSON object per line", AuditApi.JSON_LINES);
        problems(export, "400");
    }

    private static void addUsers(ObjectNode paths) {
        String users = AdminServer.BASE_PATH + "/users";
        String user = users + "/{name}";
        ObjectNode list = operation(paths, users, "get", "Lists the admin users the caller may see");
        response(list, "200", "{ \"items\": [...] }", JSON);
        ObjectNode create = operation(paths, users, "post", "Creates an admin user: name, role (platform-admin,"
                + " team-admin, developer or viewer), team, and an optional password of 12 to 256 characters");
        userBody(create);
        response(create, "201", "The user, without its password", JSON);
        problems(create, "400", "409", "415");
        ObjectNode get = operation(paths, user, "get", "Reads an admin user");
        pathParameters(get, "name");
        response(get, "200", "The user, without its password", JSON);
        problems(get, "404");
        ObjectNode patch = operation(paths, user, "patch", "Changes role, team or password; a null password"
                + " removes it");
        pathParameters(patch, "name");
        userBody(patch);
        response(patch, "200", "The user", JSON);
        problems(patch, "400", "404", "415");
        ObjectNode delete = operation(paths, user, "delete", "Deletes an admin user and its tokens");
        pathParameters(delete, "name");
        response(delete, "204", "Deleted", null);
        problems(delete, "404");
        tokenOperations(paths, user + "/tokens", "the user's", "name");
    }

    private static void addMe(ObjectNode paths) {
        String me = AdminServer.BASE_PATH + "/me";
        ObjectNode whoAmI = operation(paths, me, "get", "Names the caller: actor, user, role and team");
        response(whoAmI, "200", "The caller", JSON);
        tokenOperations(paths, me + "/tokens", "the caller's own", null);
        ObjectNode password = operation(paths, me + "/password", "put", "Sets the caller's password; send the"
                + " current one as currentPassword when one is set");
        password.putObject("requestBody").put("required", true).putObject("content").putObject(JSON)
                .putObject("schema").put("type", "object").putObject("properties")
                .<ObjectNode>set("password", NODES.objectNode().put("type", "string"))
                .set("currentPassword", NODES.objectNode().put("type", "string"));
        response(password, "204", "Changed", null);
        problems(password, "400", "404", "415");
    }

    private static void tokenOperations(ObjectNode paths, String tokens, String whose, String nameParameter) {
        ObjectNode list = operation(paths, tokens, "get", "Lists " + whose + " personal tokens, without secrets");
        ObjectNode create = operation(paths, tokens, "post", "Creates a personal token of " + whose.replace("the ",
                "") + " account; the response carries the token once, and only its hash is stored");
        ObjectNode delete = operation(paths, tokens + "/{id}", "delete", "Revokes a personal token");
        if (nameParameter != null) {
            pathParameters(list, nameParameter);
            pathParameters(create, nameParameter);
            pathParameters(delete, nameParameter, "id");
        } else {
            pathParameters(delete, "id");
        }
        response(list, "200", "{ \"items\": [...] }", JSON);
        problems(list, "404");
        create.putObject("requestBody").put("required", true).putObject("content").putObject(JSON)
                .putObject("schema").put("type", "object").putObject("properties")
                .<ObjectNode>set("description", NODES.objectNode().put("type", "string"))
                .set("expiresAt", NODES.objectNode().put("type", "string").put("format", "date-time"));
        response(create, "201", "The token's id, description, expiry and the token itself", JSON);
        problems(create, "400", "404", "415");
        response(delete, "204", "Revoked", null);
        problems(delete, "404");
    }

    private static void userBody(ObjectNode operation) {
        ObjectNode properties = operation.putObject("requestBody").put("required", true).putObject("content")
                .putObject(JSON).putObject("schema").put("type", "object").put("additionalProperties", false)
                .putObject("properties");
        for (String field : List.of("name", "team", "password")) {
            properties.putObject(field).put("type", "string");
        }
        ArrayNode roles = properties.putObject("role").put("type", "string").putArray("enum");
        for (Role role : Role.values()) {
            roles.add(role.label());
        }
    }

    private static void pathParameters(ObjectNode operation, String... names) {
        ArrayNode parameters = operation.withArray("parameters");
        for (String name : names) {
            parameters.addObject().put("name", name).put("in", "path").put("required", true)
                    .putObject("schema").put("type", "string");
        }
    }

    private static void auditFilters(ObjectNode operation) {
        ArrayNode parameters = operation.putArray("parameters");
        for (String name : List.of("kind", "name", "actor", "operation", "team", "since", "until")) {
            ObjectNode schema = parameters.addObject().put("name", name).put("in", "query")
                    .putObject("schema").put("type", "string");
            if (name.equals("since") || name.equals("until")) {
                schema.put("format", "date-time");
            }
        }
    }

    private static void documentOperation(ObjectNode paths, String path, String summary) {
        ObjectNode operation = operation(paths, AdminServer.BASE_PATH + path, "post", summary);
        ObjectNode content = operation.putObject("requestBody").put("required", true).putObject("content");
        content.putObject(JSON).putObject("schema").put("$ref", "#/components/schemas/Document");
        content.putObject(YAML).putObject("schema").put("$ref", "#/components/schemas/Document");
        ObjectNode report = response(operation, "200", "Created, updated and deleted resources", JSON);
        report.withObjectProperty("content").withObjectProperty(JSON).putObject("schema")
                .put("$ref", "#/components/schemas/ChangeReport");
        problems(operation, "400", "409", "412", "415");
    }

    private static void addKind(ObjectNode paths, ResourceKind<?> kind) {
        String collection = AdminServer.BASE_PATH + "/" + kind.name();
        String item = collection + "/{name}";
        String schema = "#/components/schemas/" + kind.name();

        ObjectNode list = operation(paths, collection, "get", "Lists the " + kind.name() + "; each query parameter"
                + " names a top-level field without secrets that must equal one of its values, as in ?status=active");
        ObjectNode items = response(list, "200", "{ \"items\": [...] }", JSON).withObjectProperty("content")
                .withObjectProperty(JSON).putObject("schema").put("type", "object");
        items.putArray("required").add("items");
        items.putObject("properties").putObject("items").put("type", "array").putObject("items").put("$ref", schema);
        problems(list, "400");
        ObjectNode create = operation(paths, collection, "post", "Creates one of the " + kind.name());
        requestBody(create, schema, JSON);
        resourceResponse(create, "201", "Created; Location and ETag are set", schema);
        headers(create, "201", ETAG, LOCATION);
        problems(create, "400", "409", "415");

        ObjectNode get = operation(paths, item, "get", "Reads one of the " + kind.name() + "; sets ETag and"
                + " honours If-Match and If-None-Match");
        nameParameter(get);
        conditionParameters(get);
        resourceResponse(get, "200", "The resource, secrets masked", schema);
        headers(get, "200", ETAG);
        response(get, "304", "Not modified: If-None-Match lists the current ETag, or is *", null);
        headers(get, "304", ETAG);
        problems(get, "404", "412");
        ObjectNode put = operation(paths, item, "put", "Replaces the resource, or creates it when absent."
                + " Replacing requires If-Match with the current ETag. The body may leave out the name, which the"
                + " path gives");
        nameParameter(put);
        conditionParameters(put);
        put.putObject("requestBody").put("required", true).putObject("content").putObject(JSON)
                .set("schema", withoutRequiredName(kindSchema(kind)));
        resourceResponse(put, "200", "Replaced", schema);
        headers(put, "200", ETAG);
        resourceResponse(put, "201", "Created", schema);
        headers(put, "201", ETAG, LOCATION);
        problems(put, "400", "409", "412", "415", "428");
        ObjectNode patch = operation(paths, item, "patch", "Changes the resource with a JSON merge patch"
                + " (RFC 7396); honours If-Match and If-None-Match");
        nameParameter(patch);
        conditionParameters(patch);
        ObjectNode mergePatch = NODES.objectNode().put("type", "object")
                .put("description", "A JSON merge patch: each member replaces the field of the same name, and null"
                        + " removes it. The patched resource must match " + schema);
        ObjectNode patchContent = patch.putObject("requestBody").put("required", true).putObject("content");
        patchContent.putObject("application/merge-patch+json").set("schema", mergePatch);
        patchContent.putObject(JSON).set("schema", mergePatch.deepCopy());
        resourceResponse(patch, "200", "Changed", schema);
        headers(patch, "200", ETAG);
        problems(patch, "400", "404", "409", "412", "415");
        ObjectNode delete = operation(paths, item, "delete", "Deletes the resource; honours If-Match and"
                + " If-None-Match");
        nameParameter(delete);
        conditionParameters(delete);
        response(delete, "204", "Deleted", null);
        problems(delete, "404", "409", "412");
    }

    private static void addCredentialOperations(ObjectNode paths) {
        ObjectNode create = operation(paths, AdminServer.BASE_PATH + "/consumers/{name}/credentials", "post",
                "Creates a credential of the consumer. Portico generates the name when absent, every API key, and"
                        + " a password, HMAC secret key or client secret that the body leaves out; the response alone"
                        + " carries the generated secrets");
        nameParameter(create);
        create.putObject("requestBody").put("required", true).putObject("content").putObject(JSON)
                .set("schema", generatedCredentialSchema());
        response(create, "201", "Created; the body adds the generated secrets; Location and ETag are set", JSON);
        problems(create, "400", "404", "409", "415");

        ObjectNode rotate = operation(paths, AdminServer.BASE_PATH + "/credentials/{name}/rotate", "post",
                "Creates a new key-auth or hmac credential for the same consumer with new secrets, and makes this one"
                        + " expire after 'overlap' (a duration, 1h when absent). Optional body: overlap, name,"
                        + " expiresAt of the new credential");
        nameParameter(rotate);
        response(rotate, "201", "The new credential with its generated secrets, and 'previous': the name and"
                + " expiry of the rotated one", JSON);
        problems(rotate, "400", "404", "409", "415");
    }

    private static void addSubscriptionWorkflow(ObjectNode paths) {
        String subscription = "#/components/schemas/subscriptions";
        String apiSubscriptions = AdminServer.BASE_PATH + "/apis/{name}/subscriptions";
        ObjectNode request = operation(paths, apiSubscriptions, "post", "Requests a subscription of the body's"
                + " consumer to the API: active at once when the API's approval is auto, pending otherwise; a"
                + " rejected or revoked subscription is reopened as pending");
        nameParameter(request);
        requestBody(request, "#/components/schemas/SubscriptionRequest", JSON);
        response(request, "201", "Created; Location and ETag are set", JSON);
        response(request, "200", "A rejected or revoked subscription, reopened", JSON);
        problems(request, "400", "404", "409", "415");
        ObjectNode catalog = operation(paths, AdminServer.BASE_PATH + "/catalog/apis", "get", "Lists every API of"
                + " every team that a consumer may subscribe to: name, description, approval and"
                + " subscriptionRequired");
        response(catalog, "200", "{ \"items\": [...] }", JSON);
        ObjectNode byApi = operation(paths, apiSubscriptions, "get", "Lists the API's subscriptions");
        nameParameter(byApi);
        response(byApi, "200", "{ \"items\": [...] }", JSON);
        problems(byApi, "400", "404");
        ObjectNode byConsumer = operation(paths, AdminServer.BASE_PATH + "/consumers/{name}/subscriptions", "get",
                "Lists the consumer's subscriptions");
        nameParameter(byConsumer);
        response(byConsumer, "200", "{ \"items\": [...] }", JSON);
        problems(byConsumer, "400", "404");
        decision(paths, "approve", "Approves a pending subscription; the body, optional, may give reason and"
                + " expiresAt", subscription);
        decision(paths, "reject", "Rejects a pending subscription; the body must give a reason", subscription);
        decision(paths, "revoke", "Revokes an active subscription; the body must give a reason", subscription);
    }

    private static void decision(ObjectNode paths, String verb, String summary, String schema) {
        ObjectNode operation = operation(paths, AdminServer.BASE_PATH + "/subscriptions/{name}/" + verb, "post",
                summary + "; honours If-Match and If-None-Match");
        nameParameter(operation);
        operation.putObject("requestBody").put("required", !verb.equals("approve")).putObject("content")
                .putObject(JSON).putObject("schema").put("$ref", "#/components/schemas/SubscriptionDecision");
        ObjectNode changed = response(operation, "200", "The subscription with its new status and history", JSON);
        changed.withObjectProperty("content").withObjectProperty(JSON).putObject("schema").put("$ref", schema);
        problems(operation, "400", "404", "409", "412", "415");
    }

    private static ObjectNode operation(ObjectNode paths, String path, String method, String summary) {
        ObjectNode operation = paths.withObjectProperty(path).putObject(method);
        operation.put("summary", summary);
        operation.putObject("responses");
        if (path.startsWith(AdminServer.BASE_PATH)) {
            problems(operation, "401", "403");
        }
        return operation;
    }

    private static ObjectNode response(ObjectNode operation, String status, String description, String mediaType) {
        ObjectNode response = operation.withObjectProperty("responses").putObject(status);
        response.put("description", description);
        if (mediaType != null) {
            response.putObject("content").putObject(mediaType);
        }
        return response;
    }

    private static void resourceResponse(ObjectNode operation, String status, String description, String schema) {
        response(operation, status, description, JSON).withObjectProperty("content").withObjectProperty(JSON)
                .putObject("schema").put("$ref", schema);
    }

    private static void problems(ObjectNode operation, String... statuses) {
        for (String status : statuses) {
            operation.withObjectProperty("responses").putObject(status).put("$ref", "#/components/responses/Problem");
        }
    }

    private static void requestBody(ObjectNode operation, String schema, String mediaType) {
        operation.putObject("requestBody").put("required", true).putObject("content")
                .putObject(mediaType).putObject("schema").put("$ref", schema);
    }

    private static void nameParameter(ObjectNode operation) {
        operation.putArray("parameters").addObject()
                .put("name", "name").put("in", "path").put("required", true)
                .putObject("schema").put("type", "string");
    }

    /** Adds the optional {@code If-Match} and {@code If-None-Match} headers (RFC 9110 section 13.1). */
    private static void conditionParameters(ObjectNode operation) {
        for (String name : new String[] {"If-Match", "If-None-Match"}) {
            operation.withArrayProperty("parameters").addObject()
                    .put("name", name).put("in", "header").put("required", false)
                    .put("description", "An entity tag from ETag, a list of them, or *")
                    .putObject("schema").put("type", "string");
        }
    }

    /** Declares the response headers {@code names} on the response of {@code operation} with {@code status}. */
    private static void headers(ObjectNode operation, String status, String... names) {
        ObjectNode headers = operation.withObjectProperty("responses").withObjectProperty(status)
                .withObjectProperty("headers");
        for (String name : names) {
            headers.putObject(name).put("description", name.equals(ETAG) ? "The resource's current entity tag"
                    : "The path of the resource").putObject("schema").put("type", "string");
        }
    }

    private static ObjectNode components() {
        ObjectNode components = NODES.objectNode();
        components.putObject("securitySchemes").putObject("bearer").put("type", "http").put("scheme", "bearer");
        components.withObjectProperty("securitySchemes").putObject("basic").put("type", "http")
                .put("scheme", "basic");
        components.putObject("responses").putObject("Problem")
                .put("description", "An RFC 9457 problem document")
                .putObject("content").putObject(PROBLEM).putObject("schema")
                .put("$ref", "#/components/schemas/Problem");
        ObjectNode schemas = components.putObject("schemas");
        schemas.set("Problem", problemSchema());
        schemas.set("ChangeReport", changeReportSchema());
        schemas.set("SubscriptionRequest", schemaOf(SubscriptionApi.RequestBody.class));
        schemas.set("SubscriptionDecision", schemaOf(SubscriptionApi.DecisionBody.class));
        ObjectNode document = schemas.putObject("Document").put("type", "object");
        document.putObject("properties").putObject("format").put("type", "integer").put("const", 1);
        for (ResourceKind<?> kind : ResourceKinds.all()) {
            schemas.set(kind.name(), kindSchema(kind));
            document.withObjectProperty("properties").putObject(kind.name()).put("type", "array")
                    .putObject("items").put("$ref", "#/components/schemas/" + kind.name());
        }
        return components;
    }

    private static ObjectNode problemSchema() {
        ObjectNode schema = NODES.objectNode().put("type", "object");
        ObjectNode properties = schema.putObject("properties");
        for (String field : List.of("type", "title", "detail", "instance")) {
            properties.putObject(field).put("type", "string");
        }
        properties.putObject("status").put("type", "integer");
        ObjectNode error = properties.putObject("errors").put("type", "array").putObject("items")
                .put("type", "object");
        error.putObject("properties").putObject("field").put("type", "string");
        error.withObjectProperty("properties").putObject("message").put("type", "string");
        return schema;
    }

    private static ObjectNode changeReportSchema() {
        ObjectNode schema = NODES.objectNode().put("type", "object");
        ObjectNode properties = schema.putObject("properties");
        for (String list : List.of("created", "updated", "deleted")) {
            properties.putObject(list).put("type", "array").putObject("items").put("type", "string");
        }
        properties.putObject("unchanged").put("type", "integer");
        ObjectNode change = properties.putObject("fields").put("type", "object")
                .put("description", "For each created resource (kind/name) its fields, and for each updated one its"
                        + " changed fields; secrets masked as secret:sha256:<8 hex digits>")
                .putObject("additionalProperties").put("type", "array").putObject("items").put("type", "object");
        change.putArray("required").add("op").add("path");
        ObjectNode changeProperties = change.putObject("properties");
        changeProperties.putObject("op").put("type", "string").putArray("enum").add("add").add("remove").add("replace");
        changeProperties.putObject("path").put("type", "string")
                .put("description", "Dotted path such as targets[1].port; a removed list element has its stored index");
        changeProperties.putObject("old").put("description", "Stored value; absent for add");
        changeProperties.putObject("new").put("description", "Value in the document; absent for remove");
        changeProperties.putObject("secret").put("type", "boolean")
                .put("description", "True for a secret field, whose old and new are masked");
        return schema;
    }

    private static ObjectNode kindSchema(ResourceKind<?> kind) {
        ObjectNode schema = schemaOf(kind.type());
        ObjectNode properties = schema.withObjectProperty("properties");
        ArrayNode required = schema.withArray("required");
        boolean named = false;
        for (JsonNode field : required) {
            named |= field.asText().equals("name");
        }
        if (!named) {
            // The kind's own validation requires the name.
            required.insert(0, "name");
            properties.set("name", NODES.objectNode().put("type", "string"));
        }
        properties.putObject("revision").put("type", "integer").put("readOnly", true)
                .put("description", "Store version of the last write; the ETag");
        properties.putObject("updatedAt").put("type", "string").put("format", "date-time").put("readOnly", true);
        if (kind.teamOwned() && !properties.has(ResourceKind.TEAM_FIELD)) {
            properties.putObject(ResourceKind.TEAM_FIELD).put("description", "The owning team; a team member's new"
                    + " resource joins the member's team").put("pattern", Names.PATTERN)
                    .putArray("type").add("string").add("null");
        }
        addKnownValues(kind, properties);
        for (String secret : kind.secretFields()) {
            String headerSuffix = "." + SecretFields.CREDENTIAL_HEADER;
            boolean headerMap = secret.endsWith(headerSuffix);
            String field = headerMap ? secret.substring(0, secret.length() - headerSuffix.length()) : secret;
            JsonNode property = properties.at("/" + field.replace("[].", "/items/properties/")
                    .replace(".", "/properties/"));
            if (property instanceof ObjectNode secretProperty) {
                secretProperty.put("description", (headerMap ? CREDENTIAL_HEADERS : "Secret")
                        + ": responses carry secret:sha256:<8 hex digits> instead;"
                        + " sending that value back keeps the stored secret"
                        + unlessChanged(kind.secretDestinations(secret)));
                if (!headerMap) {
                    secretProperty.put("writeOnly", true);
                    allowHint(secretProperty);
                }
            }
        }
        return schema;
    }

    /**
     * Adds to each top-level text property the values that a registered {@link SpecValidator} accepts for it, such
     * as the provider types.
     */
    private static void addKnownValues(ResourceKind<?> kind, ObjectNode properties) {
        properties.properties().forEach(property -> {
            List<String> values = new ArrayList<>();
            for (SpecValidator validator : SpecValidator.registered()) {
                values.addAll(validator.knownValues(kind, property.getKey()));
            }
            if (!values.isEmpty() && property.getValue() instanceof ObjectNode schema) {
                ArrayNode allowed = schema.putArray("enum");
                values.forEach(allowed::add);
                schema.remove("pattern");
                if (schema.get("type") instanceof ArrayNode) {
                    allowed.addNull();
                }
            }
        });
    }

    /**
     * Lets a secret text field with a pattern also take the masked hint that responses carry, which a write may
     * send back to keep the stored secret.
     */
    private static void allowHint(ObjectNode secret) {
        JsonNode pattern = secret.remove("pattern");
        if (pattern != null) {
            ArrayNode forms = secret.putArray("anyOf");
            forms.addObject().put("pattern", pattern.asText());
            forms.addObject().put("pattern", SecretFields.HINT_PATTERN);
        }
    }

    private static String unlessChanged(List<String> destinations) {
        return destinations.isEmpty() ? ""
                : ", unless " + String.join(", ", destinations) + " changed, which needs the secret itself again";
    }

    /** Returns a JSON schema for a specification type: records become objects that allow no other fields. */
    private static ObjectNode schemaOf(Type type) {
        if (type instanceof ParameterizedType parameterized) {
            Type raw = parameterized.getRawType();
            Type[] arguments = parameterized.getActualTypeArguments();
            if (raw == List.class) {
                ObjectNode schema = NODES.objectNode().put("type", "array");
                schema.set("items", schemaOf(arguments[0]));
                return schema;
            }
            if (raw == Map.class) {
                ObjectNode schema = NODES.objectNode().put("type", "object");
                schema.set("additionalProperties", schemaOf(arguments[1]));
                return schema;
            }
            return NODES.objectNode();
        }
        if (!(type instanceof Class<?> cls)) {
            return NODES.objectNode();
        }
        if (cls == String.class) {
            return NODES.objectNode().put("type", "string");
        }
        if (cls == Integer.class) {
            return FieldSchemas.integer("int32");
        }
        if (cls == Long.class) {
            return FieldSchemas.integer("int64");
        }
        if (cls == Double.class) {
            return FieldSchemas.number();
        }
        if (cls == Boolean.class) {
            return FieldSchemas.bool();
        }
        if (cls == Instant.class) {
            return FieldSchemas.instant();
        }
        if (cls == Duration.class) {
            return durationSchema();
        }
        if (cls.isRecord()) {
            ObjectNode schema = NODES.objectNode().put("type", "object").put("additionalProperties", false);
            ObjectNode properties = schema.putObject("properties");
            ArrayNode required = NODES.arrayNode();
            for (RecordComponent component : cls.getRecordComponents()) {
                ObjectNode property = schemaOf(component.getGenericType());
                properties.set(component.getName(), FieldSchemas.property(component, property));
                if (component.isAnnotationPresent(Required.class)) {
                    required.add(component.getName());
                }
            }
            if (!required.isEmpty()) {
                schema.set("required", required);
            }
            FieldSchemas.addRecordRules(cls, schema);
            return schema;
        }
        return NODES.objectNode().put("type", "object");
    }

    /**
     * Returns the schema of a duration in the forms that {@link io.portico.config.Json} reads and that responses
     * repeat as written: a whole number of milliseconds, or digits followed by a unit in any letter case.
     */
    private static ObjectNode durationSchema() {
        ObjectNode schema = NODES.objectNode().put("description", "A duration: a whole number of milliseconds such as"
                + " 1500, or a whole number followed by ms, s, m or h in any letter case, such as 250ms or 10M; at most"
                + " 365 days");
        ArrayNode forms = schema.putArray("anyOf");
        forms.addObject().put("type", "integer").put("minimum", 0).put("maximum", Durations.MAX_MILLIS);
        forms.addObject().put("type", "string").put("pattern", "^[0-9]+([mM][sS]|[sSmMhH])$");
        return schema;
    }

    /**
     * Returns the credential schema of {@code POST /consumers/{name}/credentials}: the path gives the consumer,
     * Portico generates the name when absent, and the fields of {@link CredentialApi#GENERATED_FIELDS} are not
     * required, because Portico fills in those that the body leaves out.
     */
    private static ObjectNode generatedCredentialSchema() {
        ObjectNode schema = withoutRequiredName(kindSchema(ResourceKinds.CREDENTIALS));
        removeRequired(schema, Set.of("consumer"));
        for (JsonNode clause : schema.withArray("allOf")) {
            ObjectNode then = (ObjectNode) clause.get("then");
            removeRequired(then, CredentialApi.GENERATED_FIELDS);
            if (then.get("allOf") instanceof ArrayNode groups) {
                for (int i = groups.size() - 1; i >= 0; i--) {
                    if (namesGenerated(groups.get(i).get("anyOf"))) {
                        groups.remove(i);
                    }
                }
                if (groups.isEmpty()) {
                    then.remove("allOf");
                }
            }
        }
        return schema;
    }

    /** Returns true when one of {@code alternatives}, each requiring one field, requires a generated field. */
    private static boolean namesGenerated(JsonNode alternatives) {
        for (JsonNode alternative : alternatives) {
            if (CredentialApi.GENERATED_FIELDS.contains(alternative.get("required").get(0).asText())) {
                return true;
            }
        }
        return false;
    }

    /** Removes {@code fields} from the {@code required} list of {@code schema}, and the list when it becomes empty. */
    private static void removeRequired(ObjectNode schema, Set<String> fields) {
        if (!(schema.get("required") instanceof ArrayNode required)) {
            return;
        }
        for (int i = required.size() - 1; i >= 0; i--) {
            if (fields.contains(required.get(i).asText())) {
                required.remove(i);
            }
        }
        if (required.isEmpty()) {
            schema.remove("required");
        }
    }

    /** Returns a copy of a resource schema in which {@code name} is optional, for a body whose path names it. */
    private static ObjectNode withoutRequiredName(ObjectNode schema) {
        ObjectNode copy = schema.deepCopy();
        ArrayNode required = copy.withArray("required");
        for (int i = required.size() - 1; i >= 0; i--) {
            if (required.get(i).asText().equals("name")) {
                required.remove(i);
            }
        }
        return copy;
    }
}
