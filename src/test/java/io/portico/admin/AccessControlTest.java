package io.portico.admin;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.portico.store.AdminApiToken;
import io.portico.testing.LogCapture;
import io.portico.testing.TestNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Roles and teams on a real node: every admin route walked without credentials and with each restricted role,
 * and the team boundaries of reads and writes.
 */
class AccessControlTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String PASSWORD = "correct horse battery staple";

    private static TestNode node;
    private static String viewer;
    private static String developer;
    private static String teamAdmin;
    private static String auditor;
    private static String blueAdmin;

    @BeforeAll
    static void start() {
        node = TestNode.start();
        node.apply(json("""
                {"teams": [{"name": "red"}, {"name": "blue"}],
                 "services": [
                   {"name": "red-svc", "team": "red", "targets": [{"host": "127.0.0.1", "port": 8081}]},
                   {"name": "blue-svc", "team": "blue", "targets": [{"host": "127.0.0.1", "port": 8082}]},
                   {"name": "shared-svc", "targets": [{"host": "127.0.0.1", "port": 8083}]}],
                 "routes": [
                   {"name": "red-route", "team": "red", "paths": ["/red"], "service": "red-svc"},
                   {"name": "blue-route", "team": "blue", "paths": ["/blue"], "service": "blue-svc"}],
                 "apis": [{"name": "catalog", "team": "blue", "approval": "manual"},
                   {"name": "red-orders", "team": "red", "approval": "manual"},
                   {"name": "red-open", "team": "red", "approval": "auto"}],
                 "consumers": [{"name": "red-app", "team": "red"}, {"name": "blue-app", "team": "blue"}],
                 "credentials": [
                   {"name": "red-key", "consumer": "red-app", "type": "key-auth", "key": "red-secret-key-0123"},
                   {"name": "blue-key", "consumer": "blue-app", "type": "key-auth", "key": "blue-secret-key-0123"}],
                 "providers": [{"name": "blue-ai", "team": "blue", "type": "openai",
                   "baseUrl": "http://127.0.0.1:1/v1", "keys": [{"key": "sk-blue-provider-key"}]}]}
                """));
        viewer = userWithToken("vera", "viewer", "red");
        developer = userWithToken("dev", "developer", "red");
        teamAdmin = userWithToken("tara", "team-admin", "red");
        auditor = userWithToken("gil", "viewer", null);
        blueAdmin = userWithToken("bob", "team-admin", "blue");
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @Test
    void everyRouteRejectsMissingCredentials() {
        for (String operation : adminOperations()) {
            HttpResponse<String> response = send(operation, null);

            assertThat(response.statusCode()).as(operation).isEqualTo(401);
        }
    }

    @Test
    void viewerWritesNothing() {
        long before = storeVersion();

        for (String operation : adminOperations()) {
            HttpResponse<String> response = send(operation, viewer);

            if (operation.startsWith("GET ")) {
                assertThat(response.statusCode()).as(operation).isIn(200, 403, 404);
                assertHidesBlueTeam(operation, response);
            } else {
                assertThat(response.statusCode()).as(operation).isIn(401, 403);
            }
        }

        assertThat(storeVersion()).as("store version after the walk").isEqualTo(before);
    }

    @Test
    void membersCannotReachOtherTeams() {
        for (String token : List.of(developer, teamAdmin)) {
            for (String operation : adminOperations()) {
                if (operation.contains("/me") || operation.contains("/openapi.json")) {
                    continue;
                }
                HttpResponse<String> response = send(operation, token);

                assertThat(response.statusCode()).as(operation).isIn(200, 400, 403, 404, 415);
                assertHidesBlueTeam(operation, response);
            }
        }
        assertThat(get("/admin/v1/services/blue-svc", TestNode.TOKEN).statusCode()).isEqualTo(200);
        assertThat(get("/admin/v1/services/blue-svc", blueAdmin).statusCode()).isEqualTo(200);
    }

    @Test
    void listsAreFilteredByTeam() {
        assertThat(names(get("/admin/v1/services", teamAdmin))).containsExactly("red-svc");
        assertThat(names(get("/admin/v1/credentials", developer))).containsExactly("red-key");
        assertThat(names(get("/admin/v1/teams", viewer))).containsExactly("red");
        assertThat(names(get("/admin/v1/services", auditor))).containsExactly("blue-svc", "red-svc", "shared-svc");
        assertThat(names(get("/admin/v1/services", TestNode.TOKEN))).hasSize(3);
    }

    @Test
    void otherTeamsResourcesAreNotFound() {
        for (String path : List.of("/admin/v1/services/blue-svc", "/admin/v1/routes/blue-route",
                "/admin/v1/providers/blue-ai", "/admin/v1/consumers/blue-app", "/admin/v1/credentials/blue-key",
                "/admin/v1/teams/blue", "/admin/v1/services/shared-svc", "/admin/v1/users/bob")) {
            assertThat(get(path, teamAdmin).statusCode()).as(path).isEqualTo(404);
        }
        HttpResponse<String> replace = request("PUT", "/admin/v1/services/blue-svc",
                "{\"targets\": [{\"host\": \"127.0.0.1\", \"port\": 9}]}", teamAdmin, "If-None-Match", "*");
        assertThat(replace.statusCode()).isEqualTo(404);
    }

    @Test
    void teamAdminWritesWithinItsTeam() {
        HttpResponse<String> created = request("POST", "/admin/v1/services",
                "{\"name\": \"red-new\", \"targets\": [{\"host\": \"127.0.0.1\", \"port\": 8084}]}", teamAdmin);
        HttpResponse<String> otherTeam = request("POST", "/admin/v1/services",
                "{\"name\": \"red-wrong\", \"team\": \"blue\", \"targets\": [{\"host\": \"127.0.0.1\", \"port\": 1}]}",
                teamAdmin);
        HttpResponse<String> foreignService = request("POST", "/admin/v1/routes",
                "{\"name\": \"red-to-blue\", \"paths\": [\"/x\"], \"service\": \"blue-svc\"}", teamAdmin);
        HttpResponse<String> moved = request("PATCH", "/admin/v1/services/red-new", "{\"team\": \"blue\"}",
                teamAdmin);
        HttpResponse<String> certificate = request("POST", "/admin/v1/certificates", "{}", teamAdmin);

        assertThat(created.statusCode()).isEqualTo(201);
        assertThat(parse(created).path("team").asText()).isEqualTo("red");
        assertThat(otherTeam.statusCode()).isEqualTo(403);
        assertThat(foreignService.statusCode()).isEqualTo(400);
        assertThat(foreignService.body()).contains("refers to service 'blue-svc', which does not exist");
        assertThat(moved.statusCode()).isEqualTo(403);
        assertThat(certificate.statusCode()).isEqualTo(403);
        assertThat(request("DELETE", "/admin/v1/services/red-new", null, teamAdmin).statusCode()).isEqualTo(204);
    }

    @Test
    void developerWritesOnlyConsumerKinds() {
        HttpResponse<String> consumer = request("POST", "/admin/v1/consumers", "{\"name\": \"red-dev-app\"}",
                developer);
        HttpResponse<String> credential = request("POST", "/admin/v1/credentials",
                "{\"name\": \"red-dev-key\", \"consumer\": \"red-dev-app\", \"type\": \"key-auth\","
                        + " \"key\": \"dev-secret-key-0123\"}", developer);
        HttpResponse<String> foreignConsumer = request("POST", "/admin/v1/credentials",
                "{\"name\": \"steal\", \"consumer\": \"blue-app\", \"type\": \"key-auth\", \"key\": \"k-0123456789\"}",
                developer);
        HttpResponse<String> service = request("POST", "/admin/v1/services",
                "{\"name\": \"dev-svc\", \"targets\": [{\"host\": \"127.0.0.1\", \"port\": 1}]}", developer);
        HttpResponse<String> route = request("DELETE", "/admin/v1/routes/red-route", null, developer);

        assertThat(consumer.statusCode()).isEqualTo(201);
        assertThat(parse(consumer).path("team").asText()).isEqualTo("red");
        assertThat(credential.statusCode()).isEqualTo(201);
        assertThat(foreignConsumer.statusCode()).isEqualTo(400);
        assertThat(service.statusCode()).isEqualTo(403);
        assertThat(route.statusCode()).isEqualTo(403);
    }

    @Test
    void apiTeamDecidesSubscriptions() {
        HttpResponse<String> requested = request("POST", "/admin/v1/apis/catalog/subscriptions",
                "{\"consumer\": \"red-app\", \"name\": \"red-catalog\"}", developer);
        HttpResponse<String> foreignConsumer = request("POST", "/admin/v1/apis/catalog/subscriptions",
                "{\"consumer\": \"blue-app\", \"name\": \"stolen\"}", developer);
        HttpResponse<String> apiTeamList = get("/admin/v1/apis/catalog/subscriptions", blueAdmin);
        HttpResponse<String> otherTeamList = get("/admin/v1/apis/catalog/subscriptions", teamAdmin);
        HttpResponse<String> byRequester = request("POST", "/admin/v1/subscriptions/red-catalog/approve", "{}",
                teamAdmin);
        HttpResponse<String> byApiTeam = request("POST", "/admin/v1/subscriptions/red-catalog/approve", "{}",
                blueAdmin);

        assertThat(requested.statusCode()).isEqualTo(201);
        assertThat(parse(requested).path("status").asText()).isEqualTo("pending");
        assertThat(foreignConsumer.statusCode()).isEqualTo(403);
        assertThat(names(apiTeamList)).containsExactly("red-catalog");
        assertThat(otherTeamList.statusCode()).isEqualTo(404);
        assertThat(byRequester.statusCode()).isEqualTo(403);
        assertThat(byApiTeam.statusCode()).as(byApiTeam.body()).isEqualTo(200);
        assertThat(parse(byApiTeam).path("status").asText()).isEqualTo("active");
        assertThat(parse(byApiTeam).at("/history/1/by").asText()).isEqualTo("user:bob");
    }

    @Test
    void developerCannotActivateSubscriptions() {
        String active = "{\"name\": \"dev-orders\", \"consumer\": \"red-app\", \"api\": \"red-orders\","
                + " \"status\": \"active\"}";
        HttpResponse<String> postActive = request("POST", "/admin/v1/subscriptions", active, developer);
        HttpResponse<String> putActive = request("PUT", "/admin/v1/subscriptions/dev-orders", active, developer,
                "If-None-Match", "*");
        HttpResponse<String> postPending = request("POST", "/admin/v1/subscriptions",
                "{\"name\": \"dev-orders\", \"consumer\": \"red-app\", \"api\": \"red-orders\","
                        + " \"status\": \"pending\"}", developer);
        String etag = postPending.headers().firstValue("ETag").orElseThrow();
        HttpResponse<String> putExisting = request("PUT", "/admin/v1/subscriptions/dev-orders", active, developer,
                "If-Match", etag);
        HttpResponse<String> patchActive = request("PATCH", "/admin/v1/subscriptions/dev-orders",
                "{\"status\": \"active\"}", developer);
        HttpResponse<String> patchReason = request("PATCH", "/admin/v1/subscriptions/dev-orders",
                "{\"reason\": \"needs order data\"}", developer);
        HttpResponse<String> apply = request("POST", "/admin/v1/config/apply", "{\"subscriptions\": [" + active
                + "]}", developer);

        assertThat(postActive.statusCode()).as(postActive.body()).isEqualTo(403);
        assertThat(postActive.body()).contains("may not set status 'active'");
        assertThat(putActive.statusCode()).as(putActive.body()).isEqualTo(403);
        assertThat(postPending.statusCode()).as(postPending.body()).isEqualTo(201);
        assertThat(parse(postPending).path("status").asText()).isEqualTo("pending");
        assertThat(putExisting.statusCode()).as(putExisting.body()).isEqualTo(403);
        assertThat(patchActive.statusCode()).as(patchActive.body()).isEqualTo(403);
        assertThat(patchReason.statusCode()).as(patchReason.body()).isEqualTo(200);
        assertThat(apply.statusCode()).as(apply.body()).isEqualTo(403);
        assertThat(parse(get("/admin/v1/subscriptions/dev-orders", TestNode.TOKEN)).path("status").asText())
                .isEqualTo("pending");
    }

    @Test
    void developerCannotExtendActiveSubscription() {
        node.admin("POST", "/admin/v1/consumers", json("{\"name\": \"red-extend\", \"team\": \"red\"}"), 201);
        request("POST", "/admin/v1/subscriptions", "{\"name\": \"dev-extend\", \"consumer\": \"red-extend\","
                + " \"api\": \"red-orders\", \"status\": \"active\", \"expiresAt\": \"2030-01-01T00:00:00Z\"}",
                TestNode.TOKEN);

        HttpResponse<String> extend = request("PATCH", "/admin/v1/subscriptions/dev-extend",
                "{\"expiresAt\": null}", developer);
        HttpResponse<String> move = request("PATCH", "/admin/v1/subscriptions/dev-extend",
                "{\"api\": \"red-open\"}", developer);
        HttpResponse<String> note = request("PATCH", "/admin/v1/subscriptions/dev-extend",
                "{\"reason\": \"still needed\"}", developer);
        HttpResponse<String> backToPending = request("PATCH", "/admin/v1/subscriptions/dev-extend",
                "{\"status\": \"pending\"}", developer);

        assertThat(extend.statusCode()).as(extend.body()).isEqualTo(403);
        assertThat(move.statusCode()).as(move.body()).isEqualTo(403);
        assertThat(note.statusCode()).as(note.body()).isEqualTo(200);
        assertThat(backToPending.statusCode()).as(backToPending.body()).isEqualTo(200);
    }

    @Test
    void approverActivatesSubscriptionsDirectly() {
        // A consumer has one open subscription per API, so each write below uses a consumer of its own.
        for (String consumer : List.of("red-requested", "red-direct", "red-approved")) {
            node.admin("POST", "/admin/v1/consumers", json("{\"name\": \"" + consumer + "\", \"team\": \"red\"}"),
                    201);
        }
        HttpResponse<String> requestedAuto = request("POST", "/admin/v1/apis/red-open/subscriptions",
                "{\"consumer\": \"red-requested\", \"name\": \"dev-open-requested\"}", developer);
        HttpResponse<String> developerAuto = request("POST", "/admin/v1/subscriptions",
                "{\"name\": \"dev-open\", \"consumer\": \"red-direct\", \"api\": \"red-open\","
                        + " \"status\": \"active\"}", developer);
        HttpResponse<String> teamAdminActive = request("POST", "/admin/v1/subscriptions",
                "{\"name\": \"tara-orders\", \"consumer\": \"red-approved\", \"api\": \"red-orders\","
                        + " \"status\": \"active\"}", teamAdmin);
        HttpResponse<String> otherTeamApi = request("POST", "/admin/v1/subscriptions",
                "{\"name\": \"tara-catalog\", \"consumer\": \"red-app\", \"api\": \"catalog\","
                        + " \"status\": \"active\"}", teamAdmin);

        assertThat(requestedAuto.statusCode()).as(requestedAuto.body()).isEqualTo(201);
        assertThat(parse(requestedAuto).path("status").asText()).isEqualTo("active");
        assertThat(developerAuto.statusCode()).as(developerAuto.body()).isEqualTo(201);
        assertThat(teamAdminActive.statusCode()).as(teamAdminActive.body()).isEqualTo(201);
        assertThat(parse(teamAdminActive).path("status").asText()).isEqualTo("active");
        assertThat(otherTeamApi.statusCode()).as(otherTeamApi.body()).isEqualTo(403);
    }

    @Test
    void revokedSubscriptionComesBackPending() {
        node.admin("POST", "/admin/v1/consumers", json("{\"name\": \"red-revoked\", \"team\": \"red\"}"), 201);
        String requestBody = "{\"consumer\": \"red-revoked\", \"name\": \"revoked-open\"}";
        request("POST", "/admin/v1/apis/red-open/subscriptions", requestBody, developer);
        request("POST", "/admin/v1/subscriptions/revoked-open/revoke", "{\"reason\": \"abuse\"}", teamAdmin);

        HttpResponse<String> delete = request("DELETE", "/admin/v1/subscriptions/revoked-open", null, developer);
        HttpResponse<String> renamed = request("POST", "/admin/v1/subscriptions", "{\"name\": \"revoked-open-2\","
                + " \"consumer\": \"red-revoked\", \"api\": \"red-open\", \"status\": \"active\"}", developer);
        HttpResponse<String> moved = request("PATCH", "/admin/v1/subscriptions/revoked-open",
                "{\"api\": \"red-orders\"}", developer);
        // The renamed one is open, and a consumer has one open subscription per API.
        HttpResponse<String> deleteRenamed = request("DELETE", "/admin/v1/subscriptions/revoked-open-2", null,
                developer);
        HttpResponse<String> reopened = request("PUT", "/admin/v1/subscriptions/revoked-open", "{\"consumer\":"
                + " \"red-revoked\", \"api\": \"red-open\", \"status\": \"pending\"}", developer,
                "If-Match", get("/admin/v1/subscriptions/revoked-open", developer).headers().firstValue("ETag")
                        .orElseThrow());
        HttpResponse<String> deleteReopened = request("DELETE", "/admin/v1/subscriptions/revoked-open", null,
                developer);

        assertThat(delete.statusCode()).as(delete.body()).isEqualTo(403);
        assertThat(renamed.statusCode()).as(renamed.body()).isEqualTo(201);
        assertThat(parse(renamed).path("status").asText()).isEqualTo("pending");
        assertThat(moved.statusCode()).as(moved.body()).isEqualTo(403);
        assertThat(deleteRenamed.statusCode()).as(deleteRenamed.body()).isEqualTo(204);
        assertThat(reopened.statusCode()).as(reopened.body()).isEqualTo(200);
        assertThat(parse(reopened).path("history")).hasSize(3);
        assertThat(deleteReopened.statusCode()).as(deleteReopened.body()).isEqualTo(403);
        assertThat(request("DELETE", "/admin/v1/subscriptions/revoked-open", null, teamAdmin).statusCode())
                .isEqualTo(204);
    }

    @Test
    void rejectedSubscriptionIsNotAutoApprovedAgain() {
        node.admin("POST", "/admin/v1/consumers", json("{\"name\": \"red-rejected\", \"team\": \"red\"}"), 201);
        request("POST", "/admin/v1/subscriptions", "{\"name\": \"rejected-open\", \"consumer\": \"red-rejected\","
                + " \"api\": \"red-open\"}", developer);
        request("POST", "/admin/v1/subscriptions/rejected-open/reject", "{\"reason\": \"no contract\"}", teamAdmin);

        HttpResponse<String> delete = request("DELETE", "/admin/v1/subscriptions/rejected-open", null, developer);
        HttpResponse<String> again = request("POST", "/admin/v1/apis/red-open/subscriptions",
                "{\"consumer\": \"red-rejected\"}", developer);

        assertThat(delete.statusCode()).as(delete.body()).isEqualTo(403);
        assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
        assertThat(parse(again).path("name").asText()).isEqualTo("rejected-open");
        assertThat(parse(again).path("status").asText()).isEqualTo("pending");
        assertThat(parse(again).at("/history/1/by").asText()).isEqualTo("user:dev");
    }

    @Test
    void deletedDecisionStillHolds() {
        node.admin("POST", "/admin/v1/consumers", json("{\"name\": \"red-deleted\", \"team\": \"red\"}"), 201);
        request("POST", "/admin/v1/apis/red-open/subscriptions", "{\"consumer\": \"red-deleted\"}", developer);
        request("POST", "/admin/v1/subscriptions/red-deleted.red-open/revoke", "{\"reason\": \"abuse\"}", teamAdmin);
        HttpResponse<String> adminDelete = request("DELETE", "/admin/v1/subscriptions/red-deleted.red-open", null,
                teamAdmin);

        HttpResponse<String> requested = request("POST", "/admin/v1/apis/red-open/subscriptions",
                "{\"consumer\": \"red-deleted\"}", developer);
        // The request is open, and a consumer has one open subscription per API.
        HttpResponse<String> deleteRequested = request("DELETE", "/admin/v1/subscriptions/red-deleted.red-open",
                null, developer);
        HttpResponse<String> direct = request("POST", "/admin/v1/subscriptions", "{\"name\": \"red-deleted-2\","
                + " \"consumer\": \"red-deleted\", \"api\": \"red-open\", \"status\": \"active\"}", developer);
        request("POST", "/admin/v1/subscriptions/red-deleted-2/approve", "{}", teamAdmin);
        request("DELETE", "/admin/v1/subscriptions/red-deleted-2", null, teamAdmin);
        HttpResponse<String> afterApproval = request("POST", "/admin/v1/apis/red-open/subscriptions",
                "{\"consumer\": \"red-deleted\"}", developer);

        assertThat(adminDelete.statusCode()).as(adminDelete.body()).isEqualTo(204);
        assertThat(requested.statusCode()).as(requested.body()).isEqualTo(201);
        assertThat(parse(requested).path("status").asText()).isEqualTo("pending");
        assertThat(deleteRequested.statusCode()).as(deleteRequested.body()).isEqualTo(204);
        assertThat(direct.statusCode()).as(direct.body()).isEqualTo(201);
        assertThat(parse(direct).path("status").asText()).isEqualTo("pending");
        assertThat(afterApproval.statusCode()).as(afterApproval.body()).isEqualTo(201);
        assertThat(parse(afterApproval).path("status").asText()).isEqualTo("active");
    }

    @Test
    void historyIsWrittenByPorticoOnly() {
        node.admin("POST", "/admin/v1/consumers", json("{\"name\": \"red-history\", \"team\": \"red\"}"), 201);
        request("POST", "/admin/v1/apis/red-orders/subscriptions",
                "{\"consumer\": \"red-history\", \"name\": \"history-orders\"}", developer);
        request("POST", "/admin/v1/subscriptions/history-orders/approve", "{}", teamAdmin);
        String forged = "[{\"status\": \"active\", \"by\": \"user:bob\", \"at\": \"2026-01-01T00:00:00Z\"}]";

        HttpResponse<String> patch = request("PATCH", "/admin/v1/subscriptions/history-orders",
                "{\"history\": " + forged + "}", developer);
        HttpResponse<String> byAdmin = request("PATCH", "/admin/v1/subscriptions/history-orders",
                "{\"history\": " + forged + "}", TestNode.TOKEN);
        HttpResponse<String> created = request("POST", "/admin/v1/subscriptions", "{\"name\": \"history-forged\","
                + " \"consumer\": \"red-app\", \"api\": \"catalog\", \"history\": " + forged + "}", developer);
        HttpResponse<String> note = request("PATCH", "/admin/v1/subscriptions/history-orders",
                "{\"reason\": \"still needed\"}", developer);

        assertThat(patch.statusCode()).as(patch.body()).isEqualTo(400);
        assertThat(patch.body()).contains("history");
        assertThat(byAdmin.statusCode()).as(byAdmin.body()).isEqualTo(400);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(400);
        assertThat(note.statusCode()).as(note.body()).isEqualTo(200);
        assertThat(parse(note).at("/history/1/by").asText()).isEqualTo("user:tara");
    }

    @Test
    void approvalCannotExpireInThePast() {
        node.admin("POST", "/admin/v1/consumers", json("{\"name\": \"red-expiry\", \"team\": \"red\"}"), 201);
        request("POST", "/admin/v1/apis/red-orders/subscriptions",
                "{\"consumer\": \"red-expiry\", \"name\": \"expired-orders\"}", developer);

        HttpResponse<String> past = request("POST", "/admin/v1/subscriptions/expired-orders/approve",
                "{\"expiresAt\": \"2020-01-01T00:00:00Z\"}", teamAdmin);

        assertThat(past.statusCode()).as(past.body()).isEqualTo(400);
        assertThat(past.body()).contains("expiresAt");
        assertThat(parse(get("/admin/v1/subscriptions/expired-orders", teamAdmin)).path("status").asText())
                .isEqualTo("pending");
    }

    @Test
    void duplicateValuesHideOtherTeams() {
        node.admin("POST", "/admin/v1/credentials", json("{\"name\": \"blue-basic\", \"consumer\": \"blue-app\","
                + " \"type\": \"basic-auth\", \"username\": \"shared-user\", \"password\": \"" + PASSWORD
                + "\"}"), 201);

        HttpResponse<String> key = request("POST", "/admin/v1/credentials", "{\"name\": \"red-copy\","
                + " \"consumer\": \"red-app\", \"type\": \"key-auth\", \"key\": \"blue-secret-key-0123\"}", developer);
        HttpResponse<String> username = request("POST", "/admin/v1/credentials", "{\"name\": \"red-basic\","
                + " \"consumer\": \"red-app\", \"type\": \"basic-auth\", \"username\": \"shared-user\","
                + " \"password\": \"" + PASSWORD + "\"}", developer);
        HttpResponse<String> name = request("POST", "/admin/v1/consumers", "{\"name\": \"blue-app\"}", developer);
        HttpResponse<String> user = request("POST", "/admin/v1/users",
                "{\"name\": \"bob\", \"role\": \"developer\"}", teamAdmin);
        HttpResponse<String> byAdmin = request("POST", "/admin/v1/credentials", "{\"name\": \"admin-copy\","
                + " \"consumer\": \"red-app\", \"type\": \"key-auth\", \"key\": \"blue-secret-key-0123\"}",
                TestNode.TOKEN);

        for (HttpResponse<String> response : List.of(key, username)) {
            assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
            assertThat(response.body()).contains("already in use").doesNotContain("blue");
        }
        assertThat(parse(key).at("/errors/0/field").asText()).isEqualTo("key");
        assertThat(name.statusCode()).as(name.body()).isEqualTo(409);
        assertThat(name.body()).contains("already in use").doesNotContain("team");
        assertThat(user.statusCode()).as(user.body()).isEqualTo(409);
        assertThat(user.body()).contains("already in use").doesNotContain("blue");
        assertThat(byAdmin.statusCode()).as(byAdmin.body()).isEqualTo(400);
        assertThat(byAdmin.body()).contains("credentials/blue-key");
        assertThat(parse(byAdmin).at("/errors/0/field").asText()).isEqualTo("key");
    }

    @Test
    void jwtIssuerAndSubjectAreUnique() {
        node.admin("POST", "/admin/v1/credentials", json("{\"name\": \"blue-jwt\", \"consumer\": \"blue-app\","
                + " \"type\": \"jwt\", \"issuer\": \"https://idp.test\", \"subject\": \"svc\"}"), 201);
        String sameClaims = "{\"name\": \"red-jwt\", \"consumer\": \"red-app\", \"type\": \"jwt\","
                + " \"issuer\": \"https://idp.test\", \"subject\": \"svc\"}";

        HttpResponse<String> byDeveloper = request("POST", "/admin/v1/credentials", sameClaims, developer);
        HttpResponse<String> byAdmin = request("POST", "/admin/v1/credentials", sameClaims, TestNode.TOKEN);
        HttpResponse<String> issuerOnly = request("POST", "/admin/v1/credentials", "{\"name\": \"red-jwt-issuer\","
                + " \"consumer\": \"red-app\", \"type\": \"jwt\", \"issuer\": \"https://idp.test\"}", developer);

        assertThat(byDeveloper.statusCode()).as(byDeveloper.body()).isEqualTo(400);
        assertThat(byDeveloper.body()).contains("already in use").doesNotContain("blue");
        assertThat(byAdmin.statusCode()).as(byAdmin.body()).isEqualTo(400);
        assertThat(byAdmin.body()).contains("credentials/blue-jwt");
        assertThat(issuerOnly.statusCode()).as(issuerOnly.body()).isEqualTo(201);
    }

    @Test
    void catalogListsEveryTeamsApis() {
        HttpResponse<String> catalog = get("/admin/v1/catalog/apis", developer);

        assertThat(names(catalog)).containsExactly("catalog", "red-open", "red-orders");
        assertThat(parse(catalog).at("/items/0/approval").asText()).isEqualTo("manual");
        assertThat(parse(catalog).at("/items/1/approval").asText()).isEqualTo("auto");
        assertThat(parse(catalog).at("/items/0/subscriptionRequired").asBoolean()).isTrue();
        assertThat(catalog.body()).doesNotContain("\"team\"");
        assertThat(get("/admin/v1/apis/catalog", developer).statusCode()).isEqualTo(404);
    }

    @Test
    void wholeConfigNeedsGlobalAccess() {
        assertThat(get("/admin/v1/config", teamAdmin).statusCode()).isEqualTo(403);
        assertThat(get("/admin/v1/config", auditor).statusCode()).isEqualTo(200);
        assertThat(request("POST", "/admin/v1/config/apply", "{}", teamAdmin).statusCode()).isEqualTo(403);
        assertThat(request("POST", "/admin/v1/config/apply", "{}", auditor).statusCode()).isEqualTo(403);
    }

    @Test
    void auditLogFollowsTeams() {
        JsonNode red = parse(get("/admin/v1/audit?limit=1000", teamAdmin)).path("items");
        HttpResponse<String> developerAudit = get("/admin/v1/audit", developer);
        JsonNode all = parse(get("/admin/v1/audit?limit=1000", auditor)).path("items");

        assertThat(red).isNotEmpty();
        red.forEach(entry -> assertThat(entry.path("team").asText()).isEqualTo("red"));
        assertThat(get("/admin/v1/audit?team=blue", teamAdmin).body()).doesNotContain("blue-");
        assertThat(developerAudit.statusCode()).isEqualTo(403);
        assertThat(all.toString()).contains("blue-svc").contains("\"actor\":\"admin-token\"");
    }

    @Test
    void teamAdminManagesTeamUsers() {
        HttpResponse<String> created = request("POST", "/admin/v1/users",
                "{\"name\": \"rick\", \"role\": \"developer\"}", teamAdmin);
        HttpResponse<String> platform = request("POST", "/admin/v1/users",
                "{\"name\": \"root\", \"role\": \"platform-admin\"}", teamAdmin);
        HttpResponse<String> blue = request("POST", "/admin/v1/users",
                "{\"name\": \"bill\", \"role\": \"developer\", \"team\": \"blue\"}", teamAdmin);
        HttpResponse<String> promote = request("PATCH", "/admin/v1/users/rick", "{\"role\": \"platform-admin\","
                + " \"team\": null}", teamAdmin);

        assertThat(created.statusCode()).isEqualTo(201);
        assertThat(parse(created).path("team").asText()).isEqualTo("red");
        assertThat(platform.statusCode()).isEqualTo(403);
        assertThat(blue.statusCode()).isEqualTo(403);
        assertThat(promote.statusCode()).isEqualTo(403);
        assertThat(names(get("/admin/v1/users", teamAdmin))).contains("rick", "tara", "vera").doesNotContain("bob");
        assertThat(request("DELETE", "/admin/v1/users/bob", null, teamAdmin).statusCode()).isEqualTo(404);
        assertThat(request("DELETE", "/admin/v1/users/rick", null, teamAdmin).statusCode()).isEqualTo(204);
    }

    @Test
    void tokensShownOnceStoredHashed() throws Exception {
        JsonNode created = parse(request("POST", "/admin/v1/me/tokens", "{\"description\": \"laptop\"}", developer));
        String token = created.path("token").asText();
        HttpResponse<String> listed = get("/admin/v1/me/tokens", developer);

        assertThat(token).startsWith("pat_");
        assertThat(listed.body()).contains("laptop").doesNotContain(token);
        AdminApiToken stored = node.portico().store().accounts().token(created.path("id").asText()).orElseThrow();
        assertThat(stored.tokenHash()).isEqualTo(ApiTokens.hash(token)).doesNotContain(token);
        assertThat(parse(get("/admin/v1/me", token)).path("user").asText()).isEqualTo("dev");

        assertThat(request("DELETE", "/admin/v1/me/tokens/" + created.path("id").asText(), null, developer)
                .statusCode()).isEqualTo(204);
        assertThat(get("/admin/v1/me", token).statusCode()).isEqualTo(401);
    }

    @Test
    void expiredTokenIsRejected() throws Exception {
        JsonNode created = parse(request("POST", "/admin/v1/users/vera/tokens",
                "{\"expiresAt\": \"" + Instant.now().plusSeconds(1) + "\"}", TestNode.TOKEN));
        String token = created.path("token").asText();

        assertThat(get("/admin/v1/me", token).statusCode()).isEqualTo(200);
        Thread.sleep(1_200);
        assertThat(get("/admin/v1/me", token).statusCode()).isEqualTo(401);
    }

    @Test
    void passwordsSignInWithBasic() {
        request("POST", "/admin/v1/users", "{\"name\": \"paula\", \"role\": \"viewer\", \"team\": \"red\","
                + " \"password\": \"" + PASSWORD + "\"}", TestNode.TOKEN);

        HttpResponse<String> right = basic("paula", PASSWORD);
        HttpResponse<String> wrong = basic("paula", PASSWORD + "!");
        HttpResponse<String> unknown = basic("nobody", PASSWORD);

        assertThat(right.statusCode()).isEqualTo(200);
        assertThat(parse(right).path("role").asText()).isEqualTo("viewer");
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(unknown.statusCode()).isEqualTo(401);
        assertThat(node.portico().store().accounts().user("paula").orElseThrow().passwordHash())
                .startsWith("$argon2id$v=19$").doesNotContain(PASSWORD);
        assertThat(get("/admin/v1/users/paula", TestNode.TOKEN).body()).contains("\"passwordSet\":true")
                .doesNotContain("argon2");
    }

    @Test
    void failedPasswordsLockAccount() {
        for (String name : List.of("lena", "otto")) {
            request("POST", "/admin/v1/users", "{\"name\": \"" + name + "\", \"role\": \"viewer\","
                    + " \"team\": \"red\", \"password\": \"" + PASSWORD + "\"}", TestNode.TOKEN);
        }

        try (LogCapture log = new LogCapture(SignInThrottle.class)) {
            for (int i = 0; i < SignInThrottle.ACCOUNT_FAILURES; i++) {
                assertThat(basic("lena", "wrong-guess-" + i).statusCode()).isEqualTo(401);
            }
            HttpResponse<String> locked = basic("lena", PASSWORD);
            HttpResponse<String> lockedAgain = basic("lena", "wrong-guess-again");
            HttpResponse<String> otherAccount = basic("otto", PASSWORD);

            assertThat(locked.statusCode()).isEqualTo(429);
            assertThat(parse(locked).path("type").asText()).endsWith("/rate-limited");
            assertThat(Long.parseLong(locked.headers().firstValue("Retry-After").orElseThrow()))
                    .isBetween(1L, SignInThrottle.WINDOW.toSeconds());
            assertThat(lockedAgain.statusCode()).isEqualTo(429);
            assertThat(otherAccount.statusCode()).isEqualTo(200);
            assertThat(log.messages(Level.WARN)).hasSize(1);
            assertThat(log.messages(Level.WARN).get(0)).contains("'lena'").doesNotContain("wrong-guess")
                    .doesNotContain(PASSWORD);
        }
    }

    @Test
    void shortPasswordIsRejected() {
        HttpResponse<String> response = request("POST", "/admin/v1/users",
                "{\"name\": \"shorty\", \"role\": \"viewer\", \"password\": \"short\"}", TestNode.TOKEN);

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).contains("at least 12 characters");
    }

    @Test
    void adminTokenStaysPlatformAdmin() {
        JsonNode me = parse(get("/admin/v1/me", TestNode.TOKEN));

        assertThat(me.path("role").asText()).isEqualTo("platform-admin");
        assertThat(me.path("actor").asText()).isEqualTo("admin-token");
    }

    @Test
    void userChangesAreAudited() {
        JsonNode entries = parse(get("/admin/v1/audit?kind=users&name=vera", auditor)).path("items");

        assertThat(entries).hasSize(1);
        assertThat(entries.get(0).path("after").path("role").asText()).isEqualTo("viewer");
        assertThat(entries.get(0).toString()).doesNotContain("argon2");
    }

    /**
     * Checks that a response reveals nothing of team blue: a success names none of its resources, and a failure
     * names at most the resource the request asked for.
     */
    private static void assertHidesBlueTeam(String operation, HttpResponse<String> response) {
        if (response.statusCode() == 200) {
            assertThat(response.body()).as(operation).doesNotContain("blue-").doesNotContain("\"bob\"");
        } else {
            assertThat(response.body()).as(operation).doesNotContain("8082").doesNotContain("sk-blue")
                    .doesNotContain("blue-secret").doesNotContain("\"team\":\"blue\"");
        }
    }

    private static String userWithToken(String name, String role, String team) {
        ObjectNode user = Json.MAPPER.createObjectNode().put("name", name).put("role", role).put("team", team);
        node.admin("POST", "/admin/v1/users", user, 201);
        return node.admin("POST", "/admin/v1/users/" + name + "/tokens", json("{}"), 201).path("token").asText();
    }

    /** Returns every admin operation of the OpenAPI document, such as {@code DELETE /admin/v1/services/{name}}. */
    private static List<String> adminOperations() {
        List<String> operations = new ArrayList<>();
        JsonNode paths = node.admin("GET", "/admin/v1/openapi.json", null, 200).path("paths");
        for (Map.Entry<String, JsonNode> path : paths.properties()) {
            if (path.getKey().startsWith("/admin/v1/")) {
                path.getValue().fieldNames().forEachRemaining(method ->
                        operations.add(method.toUpperCase(Locale.ROOT) + " " + path.getKey()));
            }
        }
        assertThat(operations).hasSizeGreaterThan(60);
        return operations;
    }

    /** Sends an operation with the path parameters set to another team's resources. */
    private static HttpResponse<String> send(String operation, String token) {
        String method = operation.split(" ")[0];
        String template = operation.split(" ")[1];
        String kind = template.split("/")[3];
        String name = switch (kind) {
            case "users" -> "bob";
            case "teams" -> "blue";
            case "credentials" -> "blue-key";
            case "consumers" -> "blue-app";
            case "providers" -> "blue-ai";
            case "routes" -> "blue-route";
            default -> "blue-svc";
        };
        String path = template.replace("{name}", name).replace("{id}", "0123456789abcdef");
        String body = method.equals("GET") || method.equals("DELETE") ? null
                : "{\"name\": \"" + name + "\", \"team\": \"blue\"}";
        return request(method, path, body, token);
    }

    private static long storeVersion() {
        return node.portico().store().version();
    }

    private static HttpResponse<String> get(String path, String token) {
        return request("GET", path, null, token);
    }

    private static HttpResponse<String> basic(String user, String password) {
        String credentials = Base64.getEncoder().encodeToString((user + ":" + password)
                .getBytes(StandardCharsets.UTF_8));
        return raw("GET", "/admin/v1/me", null, "Basic " + credentials);
    }

    private static HttpResponse<String> request(String method, String path, String body, String token,
                                                String... headers) {
        return raw(method, path, body, token == null ? null : "Bearer " + token, headers);
    }

    private static HttpResponse<String> raw(String method, String path, String body, String authorization,
                                            String... headers) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(node.adminUrl() + path))
                .timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            builder.header("Content-Type", "application/json");
        }
        if (authorization != null) {
            builder.header("Authorization", authorization);
        }
        for (int i = 0; i < headers.length; i += 2) {
            builder.header(headers[i], headers[i + 1]);
        }
        try {
            return HTTP.send(builder.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(method + " " + path + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static List<String> names(HttpResponse<String> response) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        List<String> names = new ArrayList<>();
        parse(response).path("items").forEach(item -> names.add(item.path("name").asText()));
        return names;
    }

    private static JsonNode parse(HttpResponse<String> response) {
        try {
            return Json.MAPPER.readTree(response.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + response.body(), e);
        }
    }

    private static ObjectNode json(String text) {
        try {
            return (ObjectNode) Json.MAPPER.readTree(text);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
