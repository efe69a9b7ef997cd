package io.portico.config;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * A kind of configuration object, such as services, routes or certificates. It names the kind in the admin API
 * and in declarative documents, and gives its Java type, its validation and the fields that responses mask.
 *
 * @param <T> the specification type
 */
public final class ResourceKind<T> {

    /** The field that names the team owning a resource. */
    public static final String TEAM_FIELD = "team";
    /** The maximum number of mapping errors one specification reports. */
    static final int MAX_MAPPING_ERRORS = 20;

    private final String name;
    private final Class<T> type;
    private final BiConsumer<T, Errors> validator;
    private final List<String> secretFields;
    private final Map<String, List<String>> secretDestinations;
    private final boolean teamOwned;
    private final boolean typeHasTeam;
    private final StoredForm storedForm;

    /** Creates a kind whose resources belong to no team. */
    public ResourceKind(String name, Class<T> type, BiConsumer<T, Errors> validator, List<String> secretFields) {
        this(name, type, validator, secretFields, false, (written, stored) -> written);
    }

    /** Creates a kind whose resources may name their owning team; see the full constructor. */
    public ResourceKind(String name, Class<T> type, BiConsumer<T, Errors> validator, List<String> secretFields,
                        boolean teamOwned) {
        this(name, type, validator, secretFields, teamOwned, (written, stored) -> written);
    }

    /**
     * Creates a kind.
     *
     * @param teamOwned whether each resource may name the team that owns it in a {@code team} field; when the
     *     specification type has no such field, the kind accepts and checks it here, and the type never sees it
     * @param storedForm changes each written specification before it is stored, for example to replace a
     *     password by its hash
     */
    public ResourceKind(String name, Class<T> type, BiConsumer<T, Errors> validator, List<String> secretFields,
                        boolean teamOwned, StoredForm storedForm) {
        this(name, type, validator, secretFields, Map.of(), teamOwned, storedForm);
    }

    private ResourceKind(String name, Class<T> type, BiConsumer<T, Errors> validator, List<String> secretFields,
                         Map<String, List<String>> secretDestinations, boolean teamOwned, StoredForm storedForm) {
        this.name = requireNonNull(name, "name");
        this.type = requireNonNull(type, "type");
        this.validator = requireNonNull(validator, "validator");
        this.secretFields = List.copyOf(secretFields);
        this.secretDestinations = Map.copyOf(secretDestinations);
        this.teamOwned = teamOwned;
        this.typeHasTeam = type.isRecord() && Arrays.stream(type.getRecordComponents())
                .anyMatch(component -> component.getName().equals(TEAM_FIELD));
        this.storedForm = requireNonNull(storedForm, "storedForm");
    }

    /** The plural name used in admin API paths and as the key in declarative documents. */
    public String name() {
        return name;
    }

    public Class<T> type() {
        return type;
    }

    /** Fields, as dotted paths, whose values are secrets: write-only through the admin API and masked in exports. */
    public List<String> secretFields() {
        return secretFields;
    }

    /**
     * Returns a copy of this kind in which each secret field of {@code destinations} is sent to where the listed
     * fields point, such as a client secret to an {@code introspectionUrl}. A write that keeps such a secret by
     * its masked hint must leave these fields as they are; see {@link #secretDestinations(String)}.
     *
     * @param destinations secret field to the dotted paths of the fields that determine where it is sent. A path
     *     may pass through the lists that the secret field passes through, as {@code policies[].name} for
     *     {@code policies[].config.clientSecret}, and then means the field of the same list element.
     * @throws IllegalArgumentException when a key is not a secret field of this kind, or a path passes through a
     *     list that its secret field does not pass through
     */
    public ResourceKind<T> withSecretDestinations(Map<String, List<String>> destinations) {
        destinations.forEach((secret, paths) -> {
            if (!secretFields.contains(secret)) {
                throw new IllegalArgumentException(secret + " is not a secret field of " + name);
            }
            for (String path : paths) {
                int list = path.lastIndexOf("[]");
                if (list >= 0 && !secret.startsWith(path.substring(0, list + 2))) {
                    throw new IllegalArgumentException(path + " passes through a list that " + secret + " does not");
                }
            }
        });
        return new ResourceKind<>(name, type, validator, secretFields, destinations, teamOwned, storedForm);
    }

    /**
     * Returns the fields, as dotted paths, that determine where the secret field {@code secretField} is sent: a
     * URL, a host, a region or a type whose default endpoint it is sent to. Empty when the secret is never sent,
     * such as a key that only verifies signatures.
     */
    public List<String> secretDestinations(String secretField) {
        return secretDestinations.getOrDefault(secretField, List.of());
    }

    /** Whether each resource of this kind may name its owning team in a {@code team} field. */
    public boolean teamOwned() {
        return teamOwned;
    }

    /**
     * Returns the team named in {@code spec}'s {@code team} field, or null when it names none or this kind is not
     * owned by teams.
     */
    public String teamOf(JsonNode spec) {
        JsonNode team = spec == null ? null : spec.get(TEAM_FIELD);
        return teamOwned && team != null && team.isTextual() ? team.asText() : null;
    }

    /**
     * Returns the form in which a valid specification is stored. Every write path (the admin API's create, replace
     * and patch, and declarative apply) calls it after validation, so that secrets such as API keys and passwords
     * are stored only as hashes. It may compute a slow password hash: call it on a worker thread.
     *
     * @param written the specification as written, masked secrets already restored
     * @param stored the stored specification of the same name, or null when there is none
     */
    public ObjectNode storedForm(ObjectNode written, ObjectNode stored) {
        return storedForm.apply(written, stored);
    }

    /**
     * Converts {@code spec} to the typed specification and validates it.
     *
     * @throws ValidationException listing each invalid field
     */
    public T parse(JsonNode spec) {
        return parse(spec, true);
    }

    /**
     * Converts {@code spec} like {@link #parse}, but skips the validators that read local files
     * ({@link SpecValidator#readsLocalFiles()}). A node uses it for the configuration it loads from the store, and
     * the admin API on its event loop, before it runs {@link #parse} again on a worker thread.
     *
     * @throws ValidationException listing each invalid field
     */
    public T parseWithoutLocalFiles(JsonNode spec) {
        return parse(spec, false);
    }

    /**
     * Runs only the validators that read local files ({@link SpecValidator#readsLocalFiles()}) on {@code spec},
     * which {@link #parseWithoutLocalFiles} has accepted. It reads files, so call it off the event loop.
     *
     * @throws ValidationException listing each invalid field
     */
    public void checkLocalFiles(JsonNode spec) {
        List<SpecValidator> fileReaders = SpecValidator.registered().stream()
                .filter(SpecValidator::readsLocalFiles)
                .toList();
        if (fileReaders.isEmpty()) {
            return;
        }
        T value = map(withoutAddedTeam(spec));
        Errors errors = new Errors();
        fileReaders.forEach(reader -> reader.validate(this, value, errors));
        errors.throwIfAny();
    }

    private T parse(JsonNode spec, boolean checkLocalFiles) {
        Mapping<T> mapping = mapLeavingOutInvalidFields(withoutAddedTeam(spec));
        Errors errors = new Errors();
        if (!mapping.errors().isEmpty()) {
            throw new ValidationException(withValidatorErrors(mapping), mapping.incomplete());
        }
        validator.accept(mapping.value(), errors);
        if (errors.isEmpty()) {
            for (SpecValidator extra : SpecValidator.registered()) {
                if (checkLocalFiles || !extra.readsLocalFiles()) {
                    extra.validate(this, mapping.value(), errors);
                }
            }
        }
        errors.throwIfAny();
        return mapping.value();
    }

    /**
     * Returns the mapping errors followed by the errors that the kind's validator finds in the value mapped without
     * the invalid fields, so that one response lists them all. Errors about a left-out field, such as "is
     * required", or about a field inside it are dropped, because its mapping error already names it.
     */
    private List<FieldError> withValidatorErrors(Mapping<T> mapping) {
        List<FieldError> all = new ArrayList<>(mapping.errors());
        if (mapping.value() == null) {
            return all;
        }
        Errors errors = new Errors();
        try {
            validator.accept(mapping.value(), errors);
        } catch (RuntimeException e) {
            // A validator may rely on a field that was left out; the mapping errors still describe the request.
            return all;
        }
        // A list that lost an element is not the list as written, so errors about the whole list are dropped.
        List<String> shortenedLists = mapping.leftOut().stream()
                .filter(field -> field.endsWith("]"))
                .map(field -> field.substring(0, field.lastIndexOf('[')))
                .toList();
        for (FieldError validatorError : errors.list()) {
            FieldError error = new FieldError(LeftOutElements.writtenField(validatorError.field(),
                    mapping.writtenIndices()), validatorError.message());
            if (mapping.leftOut().stream().noneMatch(field -> within(error.field(), field))
                    && !shortenedLists.contains(error.field())) {
                all.add(error);
            }
        }
        return all;
    }

    /** Returns true when {@code field} is {@code outer} or a field or element inside it. */
    private static boolean within(String field, String outer) {
        return field.equals(outer) || field.startsWith(outer + ".") || field.startsWith(outer + "[");
    }

    /** Maps {@code spec} to the type, or throws listing each field that {@link #mapLeavingOutInvalidFields} names. */
    private T map(JsonNode spec) {
        Mapping<T> mapping = mapLeavingOutInvalidFields(spec);
        if (!mapping.errors().isEmpty()) {
            throw new ValidationException(mapping.errors(), mapping.incomplete());
        }
        return mapping.value();
    }

    /**
     * The result of mapping a specification. The value lacks the fields and list elements that could not be mapped,
     * and each of them has an error and its path as written.
     *
     * @param value the mapped value, or null when mapping stopped at {@link #MAX_MAPPING_ERRORS}
     * @param incomplete true when mapping stopped at that cap, so other fields may be invalid too
     * @param writtenIndices for each list that lost elements, keyed by its path in {@code value}, the index as
     *     written of each element that {@code value} kept
     */
    private record Mapping<T>(T value, List<FieldError> errors, List<String> leftOut, boolean incomplete,
                              Map<String, List<Integer>> writtenIndices) {
    }

    /**
     * Maps {@code spec} to the type, listing every unknown field and every field or list element of the wrong type
     * or format. After such an error the field or element is left out and the mapping tried again, up to
     * {@link #MAX_MAPPING_ERRORS} times. Errors name list elements by their index in {@code spec}.
     *
     * @throws ValidationException for other mapping errors, which are reported only when they come first, because
     *     leaving a field out can cause them
     */
    private Mapping<T> mapLeavingOutInvalidFields(JsonNode spec) {
        List<FieldError> errors = new ArrayList<>();
        List<String> leftOut = new ArrayList<>();
        JsonNode remaining = spec;
        LeftOutElements elements = new LeftOutElements();
        if (LeftOutElements.hasNullElement(spec)) {
            // Jackson maps a null element into the list, where a record's constructor then fails without a path.
            remaining = spec.deepCopy();
            for (String field : elements.removeNullElements(remaining)) {
                if (errors.size() >= MAX_MAPPING_ERRORS) {
                    return new Mapping<>(null, errors, leftOut, true, Map.of());
                }
                errors.add(new FieldError(field, "must not be null"));
                leftOut.add(field);
            }
        }
        while (true) {
            try {
                T value = Json.SPECS.treeToValue(remaining, type);
                return new Mapping<>(value, errors, leftOut, false, elements.writtenIndices(remaining));
            } catch (JsonProcessingException e) {
                boolean fieldError = e instanceof UnrecognizedPropertyException || e instanceof InvalidFormatException
                        || e instanceof MismatchedInputException;
                List<JsonMappingException.Reference> path = e instanceof JsonMappingException mapping
                        ? mapping.getPath() : List.of();
                String field = elements.writtenPath(remaining, path);
                if (errors.isEmpty() || fieldError) {
                    // The message about a field that may hold a secret must not quote the value.
                    errors.add(new FieldError(field, SecretFields.mayHoldSecret(this, field)
                            ? MappingErrors.messageWithoutValue(e) : MappingErrors.message(e)));
                }
                if (!fieldError) {
                    throw new ValidationException(errors);
                }
                if (errors.size() >= MAX_MAPPING_ERRORS) {
                    return new Mapping<>(null, errors, leftOut, true, Map.of());
                }
                if (remaining == spec) {
                    remaining = spec.deepCopy();
                }
                if (!elements.remove(remaining, path)) {
                    throw new ValidationException(errors);
                }
                leftOut.add(field);
            }
        }
    }

    /**
     * Checks and removes the {@code team} field that this kind accepts for a type without one.
     *
     * @throws ValidationException when that field is not a valid team name
     */
    private JsonNode withoutAddedTeam(JsonNode spec) {
        if (!teamOwned || typeHasTeam || !(spec instanceof ObjectNode object) || !object.has(TEAM_FIELD)) {
            return spec;
        }
        JsonNode team = object.get(TEAM_FIELD);
        if (!team.isNull()) {
            Errors errors = new Errors();
            errors.check(team.isTextual(), TEAM_FIELD, "must be the name of a team");
            if (team.isTextual()) {
                Names.validateReference(errors, TEAM_FIELD, team.asText());
            }
            errors.throwIfAny();
        }
        ObjectNode copy = object.deepCopy();
        copy.remove(TEAM_FIELD);
        return copy;
    }

    /** Returns the JSON form of a typed specification. */
    public ObjectNode toJson(T value) {
        return Json.MAPPER.valueToTree(value);
    }

    @Override
    public String toString() {
        return name;
    }

    /** Turns a written specification into the form that is stored; see {@link #storedForm(ObjectNode, ObjectNode)}. */
    @FunctionalInterface
    public interface StoredForm {

        /** Returns the stored form of {@code written}, given the {@code stored} specification or null. */
        ObjectNode apply(ObjectNode written, ObjectNode stored);
    }
}
