package io.portico.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.deser.std.NumberDeserializers;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;

/** Shared Jackson mappers for configuration documents, the store and the admin API. */
public final class Json {

    /** The start of Jackson's message for a repeated key, which the quoted key follows. */
    private static final String DUPLICATE_FIELD = "Duplicate field ";

    /** JSON mapper that rejects unknown fields, so a misspelt configuration key is reported, not ignored. */
    public static final ObjectMapper MAPPER = configure(JsonMapper.builder().build());

    /** Text that {@link #SPECS} reads as a whole number, such as {@code "8080"}: JSON's integer syntax. */
    public static final String INTEGER_TEXT = "^-?(0|[1-9][0-9]*)$";
    /** Text that {@link #SPECS} reads as a number, such as {@code "0.5"}: JSON's number syntax. */
    public static final String NUMBER_TEXT = "^-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?$";
    /** The texts that {@link #SPECS} reads as a boolean, besides JSON's {@code true} and {@code false}. */
    public static final List<String> BOOLEAN_TEXTS = List.of("true", "false");
    /** The numbers that {@link #SPECS} reads as a boolean: 0 as false and 1 as true. */
    public static final List<Integer> BOOLEAN_NUMBERS = List.of(0, 1);
    /**
     * Text that {@link #SPECS} reads as an instant: an RFC 3339 date and time with upper-case {@code T}, seconds, and
     * {@code Z} or an offset, such as {@code 2026-01-01T00:00:00Z} or {@code 2026-01-01T09:30:00.5+01:00}. A date
     * that the calendar lacks, such as February 30, matches it but is rejected.
     */
    public static final String INSTANT_TEXT =
            "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
                    + "(\\.[0-9]{1,9})?(Z|[+-](0[0-9]|1[0-8]):[0-5][0-9])$";

    /**
     * Maps resource specifications. It rejects a number or a boolean where a text is expected, such as
     * {@code "name": 12345}, which {@link #MAPPER} would turn into text. Where a number is expected, it also reads
     * text of {@link #INTEGER_TEXT} or {@link #NUMBER_TEXT}, as {@code "port": "8080"}. Where a boolean is
     * expected, it also reads {@link #BOOLEAN_TEXTS} and {@link #BOOLEAN_NUMBERS}. An instant must be text of
     * {@link #INSTANT_TEXT}. It rejects the other forms that Jackson would coerce, such as {@code " 8080"},
     * {@code "+8080"}, {@code ""} or {@code "null"} for a number, {@code "NaN"}, {@code 2} or {@code "TRUE"} for a
     * boolean, and a number of seconds for an instant.
     */
    public static final ObjectMapper SPECS = strictScalars(MAPPER.copy());

    /**
     * YAML mapper with the same rules as {@link #MAPPER}; integers are read only in decimal notation. A tree that it
     * reads has each alias replaced by a copy of its anchor's value, within the bound of
     * {@link YamlTreeDeserializer}.
     */
    public static final ObjectMapper YAML = configure(new ObjectMapper(new DecimalYamlFactory(YAMLFactory.builder()
            .loaderOptions(yamlLoaderOptions())
            // A value left empty, as in "key:", is null in YAML, while a quoted '' stays the empty string.
            .enable(YAMLParser.Feature.EMPTY_STRING_AS_NULL)
            // As in YAML 1.2, only true and false are booleans: a country code NO or a word like yes stays text.
            .enable(YAMLParser.Feature.PARSE_BOOLEAN_LIKE_WORDS_AS_STRINGS)
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES))))
            .registerModule(new SimpleModule("portico-yaml-aliases")
                    .addDeserializer(JsonNode.class, new YamlTreeDeserializer()));

    /** The form of an instant, for error messages. */
    static final String INSTANT_FORM = "a date and time such as 2026-01-01T00:00:00Z";

    /** Largest YAML document read, in characters; above the admin API's 10 MiB body limit. */
    private static final int YAML_CODE_POINT_LIMIT = 16 * 1024 * 1024;

    private Json() {
    }

    /**
     * Returns {@code ": duplicate key 'NAME'"} when {@code failure} reports a repeated key, and an empty text
     * otherwise. Parser messages can quote a document's values, which may be secrets, but a key is not a value.
     */
    public static String duplicateKeyNote(JsonProcessingException failure) {
        String original = failure.getOriginalMessage();
        return original != null && original.startsWith(DUPLICATE_FIELD)
                ? ": duplicate key " + original.substring(DUPLICATE_FIELD.length()) : "";
    }

    /**
     * Returns {@code ": "} and the message of {@code failure} when it reports an alias that could not be expanded,
     * and an empty text otherwise. Such a message names the alias but quotes no value of the document.
     */
    public static String aliasNote(JsonProcessingException failure) {
        return failure instanceof YamlTreeDeserializer.AliasException ? ": " + failure.getOriginalMessage() : "";
    }

    /**
     * Reads {@code text} with {@code reader}, a reader of {@link #YAML}, and rejects text that contains more than one
     * YAML document, because every document after the first would otherwise be ignored. An empty document at the
     * end, as after a trailing {@code ---}, is allowed.
     *
     * @return the tree of the only document; null when the text contains no value
     * @throws JsonProcessingException when the text is not valid YAML
     * @throws ValidationException naming {@code field} when the text contains several documents
     */
    public static JsonNode readYamlDocument(ObjectReader reader, String text, String field)
            throws JsonProcessingException {
        try (JsonParser parser = reader.createParser(text)) {
            JsonNode tree = reader.readTree(parser);
            if (parser instanceof DecimalYamlFactory.DecimalYamlParser yaml) {
                while (parser.nextToken() != null) {
                    // Reads the rest of the text so that the parser counts its documents.
                }
                int documents = yaml.documentsWithContent();
                if (documents > 1) {
                    throw new ValidationException(field, "the text contains " + documents + " YAML documents,"
                            + " the second starting at line " + yaml.secondDocumentLine()
                            + ". A configuration is a single document, so merge the documents into one mapping"
                            + " or remove the '---' lines");
                }
            }
            return tree;
        } catch (JsonProcessingException e) {
            throw e;
        } catch (IOException e) {
            // A parser of a string reports its errors as JsonProcessingException, so no other failure is expected.
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Returns {@code ": "} and the message of {@code failure} when it reports content after a JSON value, and an
     * empty text otherwise. That message quotes no content.
     */
    public static String trailingContentNote(JsonProcessingException failure) {
        return failure instanceof TrailingContentException ? ": " + failure.getOriginalMessage() : "";
    }

    /**
     * Describes where {@code failure} happened, as {@code " at line L, column C"}, followed by the notes of
     * {@link #duplicateKeyNote}, {@link #aliasNote} and {@link #trailingContentNote}. The parser's own message may
     * quote text of the document, which can be a secret, so it is left out.
     */
    public static String failurePosition(JsonProcessingException failure) {
        JsonLocation location = failure.getLocation();
        String where = location == null ? "" : " at line " + location.getLineNr() + ", column "
                + location.getColumnNr();
        return where + duplicateKeyNote(failure) + aliasNote(failure) + trailingContentNote(failure);
    }

    /**
     * Reads the one JSON value of {@code json} with {@code reader}. Jackson's {@code readTree} stops after the
     * first value and ignores the rest, so {@code {"a":1} junk} or two objects in a row would read as the first.
     *
     * @throws JsonProcessingException when the text is not valid JSON, and, with a message for
     *     {@link #trailingContentNote}, when anything but whitespace follows the value
     */
    public static JsonNode readSingleValue(ObjectReader reader, byte[] json) throws IOException {
        try (JsonParser parser = reader.createParser(json)) {
            return readSingleValue(reader, parser);
        }
    }

    /** Reads the one JSON value of {@code json} like {@link #readSingleValue(ObjectReader, byte[])}. */
    public static JsonNode readSingleValue(ObjectReader reader, String json) throws IOException {
        try (JsonParser parser = reader.createParser(json)) {
            return readSingleValue(reader, parser);
        }
    }

    private static JsonNode readSingleValue(ObjectReader reader, JsonParser parser) throws IOException {
        JsonNode value = reader.readTree(parser);
        JsonLocation end = parser.currentLocation();
        JsonToken next;
        try {
            next = parser.nextToken();
        } catch (JsonProcessingException e) {
            // The content after the value is not a JSON token at all, such as a bare word.
            throw new TrailingContentException(end);
        }
        if (next != null) {
            throw new TrailingContentException(end);
        }
        return value;
    }

    /** Content after the JSON value of a body or a document, located at the end of that value. */
    private static final class TrailingContentException extends JsonProcessingException {

        private static final long serialVersionUID = 1L;

        TrailingContentException(JsonLocation location) {
            super("content follows the end of the JSON value; the text must contain exactly one JSON value", location);
        }
    }

    private static LoaderOptions yamlLoaderOptions() {
        LoaderOptions options = new LoaderOptions();
        options.setCodePointLimit(YAML_CODE_POINT_LIMIT);
        return options;
    }

    private static ObjectMapper configure(ObjectMapper mapper) {
        SimpleModule durations = new SimpleModule("portico-durations");
        durations.addDeserializer(Duration.class, new DurationDeserializer());
        durations.addSerializer(Duration.class, new DurationSerializer());
        // A repeated key is rejected rather than silently won by its last value.
        mapper.getFactory().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        // JavaTimeModule comes first so that the durations module, registered after it, wins for Duration.
        return mapper.registerModule(new JavaTimeModule())
                .registerModule(durations)
                .registerModule(new Jdk8Module())
                // Instants are written as RFC 3339 text, such as 2026-01-01T00:00:00Z, not as numbers.
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
                .setSerializationInclusion(JsonInclude.Include.NON_NULL);
    }

    private static ObjectMapper strictScalars(ObjectMapper mapper) {
        mapper.coercionConfigFor(LogicalType.Textual)
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        SimpleModule scalars = new SimpleModule("portico-spec-scalars");
        scalars.addDeserializer(Integer.class, new TextFormDeserializer<>(Integer.class, INTEGER_TEXT,
                "a whole number"));
        scalars.addDeserializer(Long.class, new TextFormDeserializer<>(Long.class, INTEGER_TEXT, "a whole number"));
        scalars.addDeserializer(Double.class, new TextFormDeserializer<>(Double.class, NUMBER_TEXT, "a number"));
        scalars.addDeserializer(Boolean.class, new BooleanDeserializer());
        scalars.addDeserializer(Instant.class, new InstantTextDeserializer());
        return mapper.registerModule(scalars);
    }

    /**
     * Reads a number with Jackson's own deserializer, after it checks that text stands for a number in
     * {@code pattern}: Jackson alone would also read text with spaces, a plus sign, other scripts' digits, or
     * {@code "NaN"}, and read {@code ""} and {@code "null"} as absent.
     */
    private static final class TextFormDeserializer<T> extends JsonDeserializer<T> {

        private final Class<T> type;
        private final JsonDeserializer<?> standard;
        private final Pattern pattern;
        private final String expected;

        TextFormDeserializer(Class<T> type, String pattern, String expected) {
            this.type = type;
            this.standard = NumberDeserializers.find(type, type.getName());
            this.pattern = Pattern.compile(pattern);
            this.expected = expected;
        }

        @Override
        public T deserialize(JsonParser parser, DeserializationContext ctx) throws IOException {
            if (parser.currentToken() == JsonToken.VALUE_STRING && !pattern.matcher(parser.getText()).matches()) {
                return type.cast(ctx.handleWeirdStringValue(type, parser.getText(), "expected " + expected));
            }
            return type.cast(standard.deserialize(parser, ctx));
        }
    }

    /** Reads {@code true}, {@code false}, {@link #BOOLEAN_TEXTS} and {@link #BOOLEAN_NUMBERS} as a boolean. */
    private static final class BooleanDeserializer extends JsonDeserializer<Boolean> {

        private static final String EXPECTED = "expected true or false";

        @Override
        public Boolean deserialize(JsonParser parser, DeserializationContext ctx) throws IOException {
            return switch (parser.currentToken()) {
                case VALUE_TRUE -> Boolean.TRUE;
                case VALUE_FALSE -> Boolean.FALSE;
                case VALUE_NUMBER_INT -> parser.getNumberType() == JsonParser.NumberType.INT
                        && BOOLEAN_NUMBERS.contains(parser.getIntValue()) ? parser.getIntValue() == 1
                        : (Boolean) ctx.handleWeirdNumberValue(Boolean.class, parser.getNumberValue(), EXPECTED);
                case VALUE_STRING -> BOOLEAN_TEXTS.contains(parser.getText()) ? Boolean.valueOf(parser.getText())
                        : (Boolean) ctx.handleWeirdStringValue(Boolean.class, parser.getText(), EXPECTED);
                default -> (Boolean) ctx.handleUnexpectedToken(Boolean.class, parser);
            };
        }
    }

    /** Reads text of {@link #INSTANT_TEXT} as an instant, and rejects every other value. */
    private static final class InstantTextDeserializer extends JsonDeserializer<Instant> {

        private static final Pattern SYNTAX = Pattern.compile(INSTANT_TEXT);

        @Override
        public Instant deserialize(JsonParser parser, DeserializationContext ctx) throws IOException {
            if (parser.currentToken() != JsonToken.VALUE_STRING) {
                return (Instant) ctx.handleUnexpectedToken(Instant.class, parser);
            }
            String text = parser.getText();
            if (!SYNTAX.matcher(text).matches()) {
                return (Instant) ctx.handleWeirdStringValue(Instant.class, text, "expected " + INSTANT_FORM);
            }
            try {
                return OffsetDateTime.parse(text).toInstant();
            } catch (DateTimeException e) {
                return (Instant) ctx.handleWeirdStringValue(Instant.class, text, "expected " + INSTANT_FORM);
            }
        }
    }

    private static final class DurationDeserializer extends JsonDeserializer<Duration> {
        @Override
        public Duration deserialize(JsonParser parser, DeserializationContext ctx) throws IOException {
            if (parser.currentToken() == JsonToken.VALUE_NUMBER_FLOAT) {
                return (Duration) ctx.handleWeirdNumberValue(Duration.class, parser.getNumberValue(),
                        "expected a whole number of milliseconds, or a number followed by ms, s, m or h");
            }
            if (parser.currentToken().isNumeric()) {
                try {
                    return Durations.ofMillis(parser.getLongValue());
                } catch (IllegalArgumentException e) {
                    return (Duration) ctx.handleWeirdNumberValue(Duration.class, parser.getNumberValue(),
                            e.getMessage());
                }
            }
            String text = parser.getValueAsString();
            try {
                return Durations.parse(text);
            } catch (IllegalArgumentException e) {
                return (Duration) ctx.handleWeirdStringValue(Duration.class, text, e.getMessage());
            }
        }
    }

    private static final class DurationSerializer extends JsonSerializer<Duration> {
        @Override
        public void serialize(Duration value, JsonGenerator generator, SerializerProvider provider) throws IOException {
            generator.writeString(Durations.format(value));
        }
    }
}
