package io.portico.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.time.Duration;
import org.yaml.snakeyaml.LoaderOptions;

/** Shared Jackson mappers for configuration documents, the store and the admin API. */
public final class Json {

    /** The start of Jackson's message for a repeated key, which the quoted key follows. */
    private static final String DUPLICATE_FIELD = "Duplicate field ";

    /** JSON mapper that rejects unknown fields, so a misspelt configuration key is reported, not ignored. */
    public static final ObjectMapper MAPPER = configure(JsonMapper.builder().build());

    /**
     * Maps resource specifications. It rejects a number or a boolean where a text is expected, such as
     * {@code "name": 12345}, which {@link #MAPPER} would turn into text. A text where a number is expected, as
     * {@code "port": "8080"}, is still read as the number.
     */
    public static final ObjectMapper SPECS = strictText(MAPPER.copy());

    /** YAML mapper with the same rules as {@link #MAPPER}; integers are read only in decimal notation. */
    public static final ObjectMapper YAML = configure(new ObjectMapper(new DecimalYamlFactory(YAMLFactory.builder()
            .loaderOptions(yamlLoaderOptions())
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES))));

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

    private static ObjectMapper strictText(ObjectMapper mapper) {
        mapper.coercionConfigFor(LogicalType.Textual)
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        return mapper;
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
