package io.portico.declarative;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.portico.config.ConfigSnapshot;
import io.portico.config.FieldError;
import io.portico.config.Json;
import io.portico.config.Resource;
import io.portico.config.ResourceKind;
import io.portico.config.ResourceKinds;
import io.portico.config.ValidationException;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A declarative configuration document: the whole configuration as one YAML or JSON file.
 *
 * <pre>
 * format: 1            # optional; the only format this version reads
 * services: [ ... ]    # one list per resource kind, in the order of ResourceKinds.all()
 * routes: [ ... ]
 * certificates: [ ... ]
 * </pre>
 *
 * <p>Each list contains resource specifications, each with its {@code name}. A kind that is absent has no
 * resources. Invalid fields are named by their place in the document, for example {@code routes[2].paths[0]}.
 */
public final class DeclarativeDocument {

    /** The document format version this code reads and writes. */
    public static final int FORMAT = 1;

    private static final String FORMAT_FIELD = "format";
    private static final ObjectReader JSON_READER =
            Json.MAPPER.reader().with(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private static final ObjectReader YAML_READER =
            Json.YAML.reader().with(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private static final ObjectWriter JSON_WRITER = Json.MAPPER.writer(SerializationFeature.INDENT_OUTPUT);
    private static final ObjectWriter YAML_WRITER = new YAMLMapper(YAMLFactory.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
            .enable(YAMLGenerator.Feature.LITERAL_BLOCK_STYLE)
            .stringQuotingChecker(new ReadBackQuotingChecker())
            .build()).writer();

    private final Map<String, List<ObjectNode>> resources;

    private DeclarativeDocument(Map<String, List<ObjectNode>> resources) {
        this.resources = resources;
    }

    /**
     * Parses a YAML or JSON document and substitutes {@code ${NAME}} references in its string values from
     * {@code env}; {@code $${NAME}} stands for a literal {@code ${NAME}}. The admin API parses with
     * {@link #parseLiteral} instead, so the server's own environment cannot enter the configuration.
     *
     * @throws ValidationException when the text is not a document, naming each invalid field and each variable
     *     that is not set
     */
    public static DeclarativeDocument parse(String text, Map<String, String> env) {
        return parse(text, Optional.of(env));
    }

    /**
     * Parses a YAML or JSON document and takes every string value as it is, {@code ${...}} included.
     *
     * @throws ValidationException when the text is not a document
     */
    public static DeclarativeDocument parseLiteral(String text) {
        return parse(text, Optional.empty());
    }

    /** Returns the document equal to the stored {@code resources}, secrets masked, sorted by kind and name. */
    public static DeclarativeDocument export(Collection<Resource> resources) {
        Map<String, List<ObjectNode>> byKind = new LinkedHashMap<>();
        for (ResourceKind<?> kind : ResourceKinds.all()) {
            List<ObjectNode> specs = resources.stream()
                    .filter(resource -> resource.kind().equals(kind.name()))
                    .sorted(Comparator.comparing(Resource::name))
                    .map(resource -> Secrets.mask(kind, resource.spec()))
                    .collect(Collectors.toList());
            byKind.put(kind.name(), specs);
        }
        return new DeclarativeDocument(byKind);
    }

    private static DeclarativeDocument parse(String text, Optional<Map<String, String>> env) {
        JsonNode root = readTree(text);
        if (!(root instanceof ObjectNode document)) {
            throw new ValidationException("", "the document must be a mapping with the keys "
                    + String.join(", ", topLevelKeys()));
        }
        List<FieldError> errors = new ArrayList<>();
        env.ifPresent(variables -> errors.addAll(EnvSubstitution.apply(document, variables)));
        Map<String, List<ObjectNode>> byKind = new LinkedHashMap<>();
        for (ResourceKind<?> kind : ResourceKinds.all()) {
            byKind.put(kind.name(), new ArrayList<>());
        }
        for (Map.Entry<String, JsonNode> field : document.properties()) {
            String key = field.getKey();
            if (key.equals(FORMAT_FIELD)) {
                checkFormat(field.getValue(), errors);
            } else if (byKind.containsKey(key)) {
                readSection(key, field.getValue(), byKind.get(key), errors);
            } else {
                errors.add(new FieldError(key, "is not a known section; expected one of "
                        + String.join(", ", topLevelKeys())));
            }
        }
        if (!errors.isEmpty()) {
            throw new ValidationException(errors);
        }
        return new DeclarativeDocument(byKind);
    }

    private static JsonNode readTree(String text) {
        if (text == null || text.isBlank()) {
            throw new ValidationException("", "the document is empty; an empty configuration is written"
                    + " as '{}' or as empty lists");
        }
        boolean json = text.stripLeading().startsWith("{");
        try {
            return json ? Json.readSingleValue(JSON_READER, text) : Json.readYamlDocument(YAML_READER, text, "");
        } catch (JsonProcessingException e) {
            throw new ValidationException("", "the document is not valid " + (json ? "JSON" : "YAML")
                    + Json.failurePosition(e));
        } catch (IOException e) {
            throw new ValidationException("", "the document cannot be read as JSON");
        }
    }

    private static void checkFormat(JsonNode value, List<FieldError> errors) {
        if (!value.isIntegralNumber() || value.asInt() != FORMAT) {
            errors.add(new FieldError(FORMAT_FIELD, "must be " + FORMAT + ", the only format this version reads"));
        }
    }

    private static void readSection(String kind, JsonNode section, List<ObjectNode> into, List<FieldError> errors) {
        if (section.isNull()) {
            return;
        }
        if (!section.isArray()) {
            errors.add(new FieldError(kind, "must be a list of " + kind));
            return;
        }
        for (int i = 0; i < section.size(); i++) {
            if (section.get(i) instanceof ObjectNode spec) {
                into.add(spec);
            } else {
                errors.add(new FieldError(kind + "[" + i + "]", "must be a mapping of fields"));
            }
        }
    }

    private static List<String> topLevelKeys() {
        List<String> keys = new ArrayList<>();
        keys.add(FORMAT_FIELD);
        ResourceKinds.all().forEach(kind -> keys.add(kind.name()));
        return keys;
    }

    /** Returns the specifications of {@code kind}, in document order. */
    public List<ObjectNode> resources(ResourceKind<?> kind) {
        return List.copyOf(resources.getOrDefault(kind.name(), List.of()));
    }

    /** Returns the number of resources of every kind together. */
    public int size() {
        return resources.values().stream().mapToInt(List::size).sum();
    }

    /**
     * Validates every resource offline, rejects duplicate names within a kind and, when every resource is valid,
     * checks the references between resources. A secret field that carries a masked hint is not checked, because
     * only the store has the secret that the hint replaces.
     *
     * @return every invalid field, named like {@code routes[2].paths[0]}; empty when the document is valid
     */
    public List<FieldError> validate() {
        return validateAgainst(null);
    }

    /**
     * Validates the document as it would be written to a store holding {@code stored}: a masked hint that matches
     * the stored secret stands for that secret, and any other hint is invalid.
     */
    public List<FieldError> validate(Collection<Resource> stored) {
        return withStoredSecrets(stored).validateAgainst(specsByKey(stored));
    }

    /**
     * Validates this document like {@link #validate()}.
     *
     * @throws ValidationException listing every invalid field
     */
    public DeclarativeDocument requireValid() {
        List<FieldError> errors = validate();
        if (!errors.isEmpty()) {
            throw new ValidationException(errors);
        }
        return this;
    }

    /** Returns a copy in which each secret hint that matches the stored secret is replaced by that secret. */
    public DeclarativeDocument withStoredSecrets(Collection<Resource> stored) {
        Map<String, ObjectNode> byKey = specsByKey(stored);
        Map<String, List<ObjectNode>> restored = new LinkedHashMap<>();
        for (ResourceKind<?> kind : ResourceKinds.all()) {
            List<ObjectNode> specs = new ArrayList<>();
            for (ObjectNode spec : resources(kind)) {
                specs.add(Secrets.restore(kind, spec, byKey.get(key(kind, spec))));
            }
            restored.put(kind.name(), specs);
        }
        return new DeclarativeDocument(restored);
    }

    private static Map<String, ObjectNode> specsByKey(Collection<Resource> stored) {
        Map<String, ObjectNode> byKey = new HashMap<>();
        stored.forEach(resource -> byKey.put(resource.kind() + "/" + resource.name(), resource.spec()));
        return byKey;
    }

    private static String key(ResourceKind<?> kind, ObjectNode spec) {
        return kind.name() + "/" + spec.path("name").asText();
    }

    /**
     * Validates every resource.
     *
     * @param stored the stored specifications by {@code kind/name}, whose secrets this document's were restored
     *     from, so that a hint left is an error; null to validate offline, where hints are not checked
     */
    private List<FieldError> validateAgainst(Map<String, ObjectNode> stored) {
        List<FieldError> errors = new ArrayList<>();
        List<Resource> checkable = new ArrayList<>();
        for (ResourceKind<?> kind : ResourceKinds.all()) {
            validateKind(kind, stored, errors, checkable);
        }
        if (errors.isEmpty()) {
            // NOTE: offline, a resource with a masked secret cannot be typed, so references to it are reported as
            // dangling. No kind refers to a kind with secrets today.
            for (FieldError dangling : ConfigSnapshot.of(0, checkable).danglingReferences()) {
                errors.add(new FieldError(indexedField(dangling.field()), dangling.message()));
            }
        }
        return errors;
    }

    private void validateKind(ResourceKind<?> kind, Map<String, ObjectNode> stored, List<FieldError> errors,
                              List<Resource> checkable) {
        List<ObjectNode> specs = resources(kind);
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < specs.size(); i++) {
            String prefix = kind.name() + "[" + i + "]";
            ObjectNode spec = specs.get(i);
            List<FieldError> hints = Secrets.unresolvedHints(kind, spec,
                    stored == null ? null : stored.get(key(kind, spec)));
            List<String> hinted = hints.stream().map(FieldError::field).toList();
            if (stored != null) {
                hints.forEach(hint -> errors.add(new FieldError(join(prefix, hint.field()), hint.message())));
            }
            try {
                kind.parse(spec);
                checkable.add(new Resource(kind.name(), spec.path("name").asText(), spec, 0, Instant.EPOCH));
            } catch (ValidationException e) {
                for (FieldError error : e.errors()) {
                    if (!hinted.contains(error.field())) {
                        errors.add(new FieldError(join(prefix, error.field()), error.message()));
                    }
                }
                if (e.incomplete()) {
                    errors.add(new FieldError(prefix, "checking stopped after " + e.errors().size()
                            + " invalid fields, so other fields may be invalid as well"));
                }
            }
            JsonNode name = spec.get("name");
            if (name != null && name.isTextual()) {
                Integer first = seen.putIfAbsent(name.asText(), i);
                if (first != null) {
                    errors.add(new FieldError(prefix + ".name", "duplicates the name '" + name.asText()
                            + "' of " + kind.name() + "[" + first + "]"));
                }
            }
        }
    }

    /** Turns {@code routes/web.service} into {@code routes[3].service}, the resource's place in this document. */
    String indexedField(String field) {
        int slash = field.indexOf('/');
        if (slash < 0 || !resources.containsKey(field.substring(0, slash))) {
            return field;
        }
        String kind = field.substring(0, slash);
        String rest = field.substring(slash + 1);
        List<ObjectNode> specs = resources.get(kind);
        int best = -1;
        int bestLength = -1;
        for (int i = 0; i < specs.size(); i++) {
            String name = specs.get(i).path("name").asText();
            boolean matches = rest.equals(name) || rest.startsWith(name + ".");
            if (matches && name.length() > bestLength) {
                best = i;
                bestLength = name.length();
            }
        }
        return best < 0 ? field : join(kind + "[" + best + "]", rest.substring(bestLength).replaceFirst("^\\.", ""));
    }

    private static String join(String prefix, String field) {
        return field.isEmpty() ? prefix : prefix + "." + field;
    }

    /** Returns the document as a JSON tree: {@code format} first, then one list per kind. */
    public ObjectNode toJson() {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.put(FORMAT_FIELD, FORMAT);
        resources.forEach((kind, specs) -> {
            ArrayNode list = root.putArray(kind);
            specs.forEach(spec -> list.add(spec.deepCopy()));
        });
        return root;
    }

    /**
     * Returns the document as text in {@code format}, every value as it is; multi-line strings such as PEM use YAML
     * block style. The admin API exports this text, because it reads documents without substitution.
     */
    public String toText(DocumentFormat format) {
        return write(toJson(), format);
    }

    /**
     * Returns an exported document as text for the {@code portico} command, which substitutes {@code ${NAME}} when
     * it reads a document. Every {@code ${} in a string value is written as {@code $${}, so {@link #parse} reads
     * each value back as it is stored and the text expands no environment variable.
     */
    public static String toSubstitutionSafeText(ObjectNode exported, DocumentFormat format) {
        ObjectNode escaped = exported.deepCopy();
        EnvSubstitution.escape(escaped);
        return write(escaped, format);
    }

    private static String write(ObjectNode tree, DocumentFormat format) {
        try {
            return format == DocumentFormat.YAML ? YAML_WRITER.writeValueAsString(tree)
                    : JSON_WRITER.writeValueAsString(tree) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree could not be written", e);
        }
    }
}
