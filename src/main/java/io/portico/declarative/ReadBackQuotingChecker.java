package io.portico.declarative;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.util.StringQuotingChecker;
import java.io.IOException;

/**
 * Quotes a string value whenever a YAML parser would not read its plain form back as the same string. Jackson's
 * default check misses texts that YAML 1.1 resolves to numbers or rejects, such as {@code 1e3}, {@code 6.02e23},
 * {@code .inf} or {@code .NaN}, so a document written with it alone may not read back.
 */
final class ReadBackQuotingChecker extends StringQuotingChecker.Default {

    private static final long serialVersionUID = 1L;

    /**
     * Jackson's own YAML factory. Its parsers read more plain scalars as numbers than the document reader does, such
     * as {@code 0x1F} and {@code 1_000}, so texts that either reader would take for a number are quoted.
     */
    private static final YAMLFactory PLAIN_READER = new YAMLFactory();

    @Override
    public boolean needToQuoteValue(String value) {
        return super.needToQuoteValue(value) || !readsBackAsText(value);
    }

    /** Returns whether {@code value}, written as a plain scalar document, reads back as the string itself. */
    private static boolean readsBackAsText(String value) {
        try (JsonParser parser = PLAIN_READER.createParser(value)) {
            return parser.nextToken() == JsonToken.VALUE_STRING
                    && parser.getText().equals(value)
                    && parser.nextToken() == null;
        } catch (IOException e) {
            // The parser rejects the plain form, as it does ".inf" and the alias "*name".
            return false;
        }
    }
}
