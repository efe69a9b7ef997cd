package io.portico.node;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Errors;
import io.portico.config.MappingErrors;
import io.portico.config.Json;
import io.portico.config.ValidationException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Builds a {@link NodeConfig} from, in increasing precedence: the defaults, a YAML file, {@code PORTICO_*}
 * environment variables, and explicit overrides from the command line.
 */
public final class NodeConfigLoader {

    /** Environment variables and the node setting each one sets, as a dotted path. */
    public static final Map<String, String> ENVIRONMENT = environment();
    /** Settings that are lists: given as text, in the environment or on the command line, they are comma-separated. */
    private static final Set<String> LIST_SETTINGS = Set.of("clientAddress.trustedProxies");
    /** Listener ports, whose valid range is narrower than the int they map to. */
    private static final Set<String> PORT_SETTINGS = Set.of("http.port", "https.port", "admin.port", "metrics.port");

    private NodeConfigLoader() {
    }

    private static Map<String, String> environment() {
        Map<String, String> variables = new LinkedHashMap<>();
        variables.put("PORTICO_HTTP_HOST", "http.host");
        variables.put("PORTICO_HTTP_PORT", "http.port");
        variables.put("PORTICO_HTTPS_HOST", "https.host");
        variables.put("PORTICO_HTTPS_PORT", "https.port");
        variables.put("PORTICO_ADMIN_HOST", "admin.host");
        variables.put("PORTICO_ADMIN_PORT", "admin.port");
        variables.put("PORTICO_DATA_DIR", "dataDirectory");
        variables.put("PORTICO_STORE_URL", "store.url");
        variables.put("PORTICO_STORE_USERNAME", "store.username");
        variables.put("PORTICO_STORE_PASSWORD", "store.password");
        variables.put("PORTICO_DRAIN_TIMEOUT", "drainTimeout");
        variables.put("PORTICO_AI_CATALOG", "ai.catalog");
        variables.put("PORTICO_TRUSTED_PROXIES", "clientAddress.trustedProxies");
        variables.put("PORTICO_CLIENT_ADDRESS_HEADER", "clientAddress.header");
        variables.put("PORTICO_CACHE_MAX_BYTES", "cache.maxBytes");
        variables.put("PORTICO_CACHE_REDIS_URL", "cache.redis.url");
        variables.put("PORTICO_CACHE_REDIS_MODE", "cache.redis.mode");
        variables.put("PORTICO_CACHE_REDIS_MASTER_NAME", "cache.redis.masterName");
        variables.put("PORTICO_CACHE_REDIS_USERNAME", "cache.redis.username");
        variables.put("PORTICO_CACHE_REDIS_PASSWORD", "cache.redis.password");
        variables.put("PORTICO_CACHE_REDIS_TIMEOUT", "cache.redis.timeout");
        variables.put("PORTICO_REDIS_URL", "redis.url");
        variables.put("PORTICO_REDIS_MODE", "redis.mode");
        variables.put("PORTICO_REDIS_MASTER_NAME", "redis.masterName");
        variables.put("PORTICO_REDIS_USERNAME", "redis.username");
        variables.put("PORTICO_REDIS_PASSWORD", "redis.password");
        variables.put("PORTICO_REDIS_TIMEOUT", "redis.timeout");
        variables.put("PORTICO_METRICS_HOST", "metrics.host");
        variables.put("PORTICO_METRICS_PORT", "metrics.port");
        variables.put("PORTICO_TRANSPORT", "transport");
        return Map.copyOf(variables);
    }

    /**
     * Loads the node settings.
     *
     * @param file YAML file, or null for none
     * @param env the process environment
     * @param overrides dotted setting paths (for example {@code http.port}) to values, from the command line
     * @throws ValidationException when the file cannot be read or a setting is invalid
     */
    public static NodeConfig load(Path file, Map<String, String> env, Map<String, String> overrides) {
        ObjectNode tree = file == null ? JsonNodeFactory.instance.objectNode() : read(file);
        ENVIRONMENT.forEach((variable, path) -> {
            String value = env.get(variable);
            if (value != null && !value.isEmpty()) {
                set(tree, path, value);
            }
        });
        overrides.forEach((path, value) -> {
            if (value != null) {
                set(tree, path, value);
            }
        });
        NodeConfig node;
        try {
            node = Json.MAPPER.treeToValue(tree, NodeConfig.class);
        } catch (JsonProcessingException e) {
            throw mappingError(e);
        }
        Errors errors = new Errors();
        node.clientAddress().validate(errors.at("clientAddress"));
        errors.throwIfAny();
        return node;
    }

    /**
     * Turns a failed mapping into a {@link ValidationException} on the setting that failed. A settings record names
     * the full dotted setting at the start of its message ({@code http.port must be ...}) while the mapper's
     * path ends at the record ({@code http}), so such a message is split into that setting and the rest.
     */
    private static ValidationException mappingError(JsonProcessingException e) {
        String field = MappingErrors.field(e);
        String message = MappingErrors.message(e);
        if (field.endsWith(".redis")) {
            // The Redis settings record names its fields redis.NAME, also where it sits under another setting.
            message = message.replace("redis.", field + ".");
        }
        if (PORT_SETTINGS.contains(field) && message.startsWith("is out of range")) {
            return new ValidationException(field, "is out of range: expected a whole number from 0 to 65535");
        }
        int space = message.indexOf(' ');
        if (!field.isEmpty() && space > field.length() && message.startsWith(field + ".")) {
            return new ValidationException(message.substring(0, space), message.substring(space + 1));
        }
        return new ValidationException(field.isEmpty() ? "node" : field, message);
    }

    private static ObjectNode read(Path file) {
        try {
            JsonNode tree = Json.readYamlDocument(Json.YAML.reader(), Files.readString(file), file.toString());
            if (tree == null || tree.isMissingNode() || tree.isNull()) {
                return JsonNodeFactory.instance.objectNode();
            }
            if (!tree.isObject()) {
                throw new ValidationException(file.toString(), "must be a YAML mapping of node settings");
            }
            return (ObjectNode) tree;
        } catch (JsonProcessingException e) {
            throw new ValidationException(file.toString(), "is not valid YAML" + Json.failurePosition(e));
        } catch (IOException e) {
            throw new ValidationException(file.toString(), "cannot be read: " + e.getMessage());
        }
    }

    private static void set(ObjectNode tree, String path, String value) {
        String[] parts = path.split("\\.");
        ObjectNode parent = tree;
        for (int i = 0; i < parts.length - 1; i++) {
            JsonNode child = parent.get(parts[i]);
            parent = child instanceof ObjectNode object ? object : parent.putObject(parts[i]);
        }
        String name = parts[parts.length - 1];
        if (LIST_SETTINGS.contains(path)) {
            ArrayNode list = parent.putArray(name);
            for (String item : value.split(",")) {
                if (!item.isBlank()) {
                    list.add(item.trim());
                }
            }
        } else {
            parent.put(name, value);
        }
    }
}
