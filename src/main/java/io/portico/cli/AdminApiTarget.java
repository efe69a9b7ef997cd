package io.portico.cli;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.portico.declarative.ChangeReport;
import io.portico.declarative.DeclarativeDocument;
import io.portico.declarative.DocumentFormat;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;

/** Talks to a running node through its admin API. */
final class AdminApiTarget implements ConfigTarget {

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);

    private final URI baseUri;
    private final String token;
    private final HttpClient client;

    AdminApiTarget(String adminUrl, String token) {
        this.baseUri = parseUrl(adminUrl);
        this.token = requireNonNull(token, "token");
        this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(CONNECT_TIMEOUT)
                .build();
    }

    private static URI parseUrl(String adminUrl) {
        String trimmed = adminUrl.endsWith("/") ? adminUrl.substring(0, adminUrl.length() - 1) : adminUrl;
        try {
            URI uri = URI.create(trimmed);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
                throw CliException.invalidInput("invalid --admin-url '" + adminUrl
                        + "': expected http://HOST:PORT or https://HOST:PORT");
            }
            return uri;
        } catch (IllegalArgumentException e) {
            throw CliException.invalidInput("invalid --admin-url '" + adminUrl + "': " + e.getMessage());
        }
    }

    @Override
    public String export(DocumentFormat format) {
        // The node exports values as stored. JSON is read back here for any format, to escape each '${'.
        JsonNode exported = readJson(send(request("/admin/v1/config?format=json").GET().build()));
        if (!(exported instanceof ObjectNode document)) {
            throw CliException.unavailable("the admin API sent an export that is not a JSON object");
        }
        return DeclarativeDocument.toSubstitutionSafeText(document, format);
    }

    @Override
    public ChangeReport diff(DeclarativeDocument document) {
        return readReport(send(post("/admin/v1/config/diff", document)));
    }

    @Override
    public ChangeReport apply(DeclarativeDocument document) {
        return readReport(send(post("/admin/v1/config/apply", document)));
    }

    private HttpRequest post(String path, DeclarativeDocument document) {
        String body = document.toText(DocumentFormat.JSON);
        return request(path)
                .header("Content-Type", DocumentFormat.JSON.mediaType())
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
                .build();
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(baseUri + path))
                .timeout(REQUEST_TIMEOUT)
                .header("Authorization", "Bearer " + token)
                .header("Accept", "application/json");
    }

    private String send(HttpRequest request) {
        HttpResponse<String> response;
        try {
            response = client.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw CliException.unavailable("cannot reach the admin API at " + baseUri + ": " + IoErrors.describe(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CliException.unavailable("interrupted while waiting for the admin API at " + baseUri);
        }
        if (response.statusCode() / 100 == 2) {
            return response.body();
        }
        throw failure(response);
    }

    private CliException failure(HttpResponse<String> response) {
        int status = response.statusCode();
        String problem = Problems.describe(response.body());
        String message = "the admin API at " + baseUri + " returned " + status + (problem.isEmpty() ? "" : ": "
                + problem);
        if (status == 401 || status == 403 || status >= 500) {
            return CliException.unavailable(message);
        }
        return CliException.invalidInput(message);
    }

    private static ChangeReport readReport(String body) {
        try {
            return ChangeReport.fromJson(readJson(body));
        } catch (IllegalArgumentException e) {
            throw CliException.unavailable("the admin API sent a change report that cannot be read: "
                    + e.getMessage());
        }
    }

    private static JsonNode readJson(String body) {
        try {
            return Json.MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw CliException.unavailable("the admin API sent a response that is not JSON");
        }
    }

    @Override
    public void close() {
        // Before Java 21, java.net.http.HttpClient has no close method and releases its threads on its own.
    }
}
