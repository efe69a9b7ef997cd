package io.portico.ai.catalog;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import io.portico.config.Errors;
import io.portico.config.Json;
import io.portico.config.ValidationException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads a catalog document (YAML or JSON) into model entries and rejects it with every invalid field, each named
 * by its path such as {@code models[3].price.input}.
 */
final class CatalogReader {

    private static final Set<String> DOCUMENT_FIELDS = Set.of("models");
    private static final Set<String> MODEL_FIELDS = Set.of("provider", "id", "aliases", "mode", "contextWindow",
            "maxOutputTokens", "capabilities", "price");
    private static final Set<String> PRICE_FIELDS = Set.of("input", "output", "cachedInput", "source", "date");

    private CatalogReader() {
    }

    /** Parses {@code text} with the YAML mapper, or the JSON one when {@code json} is set, and validates it. */
    static List<ModelInfo> read(String text, boolean json, String documentName) {
        ObjectMapper mapper = json ? Json.MAPPER : Json.YAML;
        JsonNode root;
        try {
            // Decimal prices stay exact: 0.1 is read as 0.1, not as the nearest double.
            ObjectReader reader = mapper.reader().with(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
            root = json ? Json.readSingleValue(reader, text) : Json.readYamlDocument(reader, text, documentName);
        } catch (JsonProcessingException e) {
            throw new ValidationException(documentName, "is not valid " + (json ? "JSON" : "YAML") + ": "
                    + e.getOriginalMessage());
        } catch (IOException e) {
            // A parser of a string reports its errors as JsonProcessingException, so no other failure is expected.
            throw new UncheckedIOException(e);
        }
        Errors errors = new Errors();
        List<ModelInfo> models = readDocument(root, errors);
        errors.throwIfAny();
        return models;
    }

    private static List<ModelInfo> readDocument(JsonNode root, Errors errors) {
        if (root == null || !root.isObject()) {
            errors.add("models", "is required: the document must be a mapping with a 'models' list");
            return List.of();
        }
        rejectUnknownFields(root, DOCUMENT_FIELDS, errors);
        JsonNode list = root.get("models");
        if (list == null || !list.isArray()) {
            errors.add("models", "must be a list of model entries");
            return List.of();
        }
        List<ModelInfo> models = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            ModelInfo model = readModel(list.get(i), errors.at("models", i));
            if (model != null) {
                models.add(model);
            }
        }
        rejectDuplicates(list, errors);
        return models;
    }

    private static ModelInfo readModel(JsonNode node, Errors errors) {
        if (!node.isObject()) {
            errors.add("", "must be a mapping");
            return null;
        }
        rejectUnknownFields(node, MODEL_FIELDS, errors);
        String provider = requiredText(node, "provider", errors);
        String id = requiredText(node, "id", errors);
        List<String> aliases = textList(node, "aliases", errors);
        String mode = mode(node, errors);
        Integer contextWindow = positiveInt(node, "contextWindow", errors);
        Integer maxOutputTokens = positiveInt(node, "maxOutputTokens", errors);
        Set<String> capabilities = capabilities(node, errors);
        ModelPrice price = price(node.get("price"), errors.at("price"));
        if (provider == null || id == null || mode == null) {
            return null;
        }
        return new ModelInfo(provider.toLowerCase(Locale.ROOT), id, aliases, mode, contextWindow, maxOutputTokens,
                capabilities, price);
    }

    private static String mode(JsonNode node, Errors errors) {
        JsonNode value = node.get("mode");
        if (value == null || value.isNull()) {
            return ModelInfo.CHAT;
        }
        if (!value.isTextual() || !ModelInfo.MODES.contains(value.asText())) {
            errors.add("mode", "must be one of " + sorted(ModelInfo.MODES) + ", was " + value);
            return null;
        }
        return value.asText();
    }

    private static Set<String> capabilities(JsonNode node, Errors errors) {
        List<String> names = textList(node, "capabilities", errors);
        Set<String> capabilities = new LinkedHashSet<>();
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            if (ModelInfo.CAPABILITIES.contains(name)) {
                capabilities.add(name);
            } else {
                errors.add("capabilities[" + i + "]", "must be one of " + sorted(ModelInfo.CAPABILITIES)
                        + ", was '" + name + "'");
            }
        }
        return capabilities;
    }

    private static ModelPrice price(JsonNode node, Errors errors) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            errors.add("", "must be a mapping with input, output, source and date");
            return null;
        }
        rejectUnknownFields(node, PRICE_FIELDS, errors);
        BigDecimal input = amount(node, "input", true, errors);
        BigDecimal output = amount(node, "output", true, errors);
        BigDecimal cachedInput = amount(node, "cachedInput", false, errors);
        String source = requiredText(node, "source", errors);
        LocalDate date = date(node, errors);
        if (input == null || output == null || source == null || date == null) {
            return null;
        }
        return new ModelPrice(input, output, cachedInput, source, date);
    }

    private static BigDecimal amount(JsonNode node, String field, boolean required, Errors errors) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            if (required) {
                errors.add(field, "is required, in US dollars per million tokens");
            }
            return null;
        }
        if (!value.isNumber()) {
            errors.add(field, "must be a number of US dollars per million tokens, was " + value);
            return null;
        }
        BigDecimal amount = value.decimalValue();
        if (amount.signum() < 0) {
            errors.add(field, "must not be negative, was " + amount.toPlainString());
            return null;
        }
        return amount;
    }

    private static LocalDate date(JsonNode node, Errors errors) {
        String text = requiredText(node, "date", errors);
        if (text == null) {
            return null;
        }
        try {
            return LocalDate.parse(text);
        } catch (DateTimeParseException e) {
            errors.add("date", "must be a date as YYYY-MM-DD, was '" + text + "'");
            return null;
        }
    }

    private static Integer positiveInt(JsonNode node, String field, Errors errors) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt() || value.intValue() <= 0) {
            errors.add(field, "must be a positive whole number of tokens, was " + value);
            return null;
        }
        return value.intValue();
    }

    private static String requiredText(JsonNode node, String field, Errors errors) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull() || value.isTextual() && value.asText().isBlank()) {
            errors.add(field, "is required");
            return null;
        }
        if (!value.isTextual()) {
            errors.add(field, "must be a string, was " + value);
            return null;
        }
        return value.asText().trim();
    }

    private static List<String> textList(JsonNode node, String field, Errors errors) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return List.of();
        }
        if (!value.isArray()) {
            errors.add(field, "must be a list of strings");
            return List.of();
        }
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < value.size(); i++) {
            JsonNode item = value.get(i);
            if (item.isTextual() && !item.asText().isBlank()) {
                texts.add(item.asText().trim());
            } else {
                errors.add(field + "[" + i + "]", "must be a non-blank string, was " + item);
            }
        }
        return texts;
    }

    private static void rejectUnknownFields(JsonNode node, Set<String> known, Errors errors) {
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!known.contains(name)) {
                errors.add(name, "is not a known field; expected one of " + sorted(known));
            }
        }
    }

    /** Rejects a provider and name (id or alias, compared without case) that occur twice in one document. */
    private static void rejectDuplicates(JsonNode list, Errors errors) {
        Map<String, Integer> firstEntry = new HashMap<>();
        for (int i = 0; i < list.size(); i++) {
            JsonNode node = list.get(i);
            if (!node.isObject() || !node.path("provider").isTextual()) {
                continue;
            }
            String provider = node.get("provider").asText().trim().toLowerCase(Locale.ROOT);
            List<String> paths = new ArrayList<>();
            List<String> names = new ArrayList<>();
            if (node.path("id").isTextual()) {
                paths.add("id");
                names.add(node.get("id").asText());
            }
            JsonNode aliases = node.path("aliases");
            for (int j = 0; j < aliases.size(); j++) {
                if (aliases.get(j).isTextual()) {
                    paths.add("aliases[" + j + "]");
                    names.add(aliases.get(j).asText());
                }
            }
            for (int k = 0; k < names.size(); k++) {
                String key = provider + " " + names.get(k).trim().toLowerCase(Locale.ROOT);
                Integer first = firstEntry.putIfAbsent(key, i);
                if (first != null) {
                    errors.at("models", i).add(paths.get(k), "'" + names.get(k) + "' of provider '" + provider
                            + "' is already named by models[" + first + "]");
                }
            }
        }
    }

    private static List<String> sorted(Set<String> names) {
        return names.stream().sorted().toList();
    }
}
