package io.portico.config;

import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.ObjectCodec;
import com.fasterxml.jackson.core.io.IOContext;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactoryBuilder;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.CharArrayReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.events.DocumentStartEvent;
import org.yaml.snakeyaml.events.Event;
import org.yaml.snakeyaml.events.NodeEvent;
import org.yaml.snakeyaml.events.ScalarEvent;

/**
 * YAML factory whose parsers read an integer only when it is written in decimal, as in JSON. SnakeYAML resolves
 * scalars by the YAML 1.1 rules, under which {@code 0x10}, {@code 0b10} and {@code 1_000} are integers and
 * {@code 010} is octal 8. These parsers return such a scalar as text, so a field that expects a number or a
 * duration rejects it and names the field, instead of reading a value that the author probably did not mean.
 */
final class DecimalYamlFactory extends YAMLFactory {

    private static final long serialVersionUID = 1L;

    DecimalYamlFactory(YAMLFactoryBuilder builder) {
        super(builder);
    }

    private DecimalYamlFactory(DecimalYamlFactory source) {
        super(source, null);
    }

    @Override
    public YAMLFactory copy() {
        return new DecimalYamlFactory(this);
    }

    @Override
    protected YAMLParser _createParser(InputStream in, IOContext ctxt) throws IOException {
        return parser(ctxt, _createReader(in, null, ctxt));
    }

    @Override
    protected YAMLParser _createParser(Reader reader, IOContext ctxt) {
        return parser(ctxt, reader);
    }

    @Override
    protected YAMLParser _createParser(char[] data, int offset, int len, IOContext ctxt, boolean recyclable) {
        return parser(ctxt, new CharArrayReader(data, offset, len));
    }

    @Override
    protected YAMLParser _createParser(byte[] data, int offset, int len, IOContext ctxt) throws IOException {
        return parser(ctxt, _createReader(data, offset, len, null, ctxt));
    }

    private YAMLParser parser(IOContext ctxt, Reader reader) {
        return new DecimalYamlParser(ctxt, _parserFeatures, _yamlParserFeatures, _loaderOptions, _objectCodec,
                reader);
    }

    /** The parser of a {@link DecimalYamlFactory}. */
    static final class DecimalYamlParser extends YAMLParser {

        /** An optional sign and decimal digits without a leading zero, the integer syntax of JSON. */
        private static final Pattern DECIMAL = Pattern.compile("[-+]?(0|[1-9][0-9]*)");

        /** The number of documents that have started so far. */
        private int documentsStarted;
        /** The 1-based line on which the second document starts, or 0 before it starts. */
        private int secondDocumentLine;
        /** The 1-based number of the last document read so far that has content, or 0 when none has. */
        private int lastDocumentWithContent;

        DecimalYamlParser(IOContext ctxt, int parserFeatures, int yamlFeatures,
                          LoaderOptions options, ObjectCodec codec, Reader reader) {
            super(ctxt, parserFeatures, yamlFeatures, options, codec, reader);
        }

        /**
         * Decodes a scalar and keeps its anchor as the current one, as Jackson does for a mapping or a list but not
         * for a scalar value, so that {@link YamlTreeDeserializer} can expand the aliases of an anchored scalar.
         */
        @Override
        protected JsonToken _decodeScalar(ScalarEvent scalar) throws IOException {
            JsonToken token = super._decodeScalar(scalar);
            if (scalar.getAnchor() != null) {
                _currentAnchor = scalar.getAnchor();
            }
            return token;
        }

        /**
         * Returns the anchor of the mapping key that the parser is at, or null when it is at no key or the key has no
         * anchor. {@link #getCurrentAnchor()} cannot tell, because at the first key of a mapping it still returns the
         * anchor of the mapping.
         */
        String keyAnchor() {
            return _currToken == JsonToken.FIELD_NAME && _lastEvent instanceof ScalarEvent key ? key.getAnchor() : null;
        }

        /**
         * Returns the number of documents up to the last one with content, among those read so far. A document
         * that is empty, such as after a trailing {@code ---}, counts only when a document with content follows it.
         */
        int documentsWithContent() {
            return Math.max(1, lastDocumentWithContent);
        }

        /** Returns the 1-based line on which the second document starts, or 0 when the parser has read none. */
        int secondDocumentLine() {
            return secondDocumentLine;
        }

        /** Returns the next event and counts the documents and the content that it starts. */
        @Override
        protected Event getEvent() {
            Event event = super.getEvent();
            if (event instanceof DocumentStartEvent) {
                documentsStarted++;
                if (documentsStarted == 2) {
                    secondDocumentLine = event.getStartMark().getLine() + 1;
                }
            } else if (event instanceof NodeEvent node && !isEmptyScalar(node)) {
                lastDocumentWithContent = documentsStarted;
            }
            return event;
        }

        /**
         * Returns whether {@code event} is a plain empty scalar without tag or anchor, the only node of a document
         * that has no content.
         */
        private static boolean isEmptyScalar(NodeEvent event) {
            return event instanceof ScalarEvent scalar && scalar.getValue().isEmpty()
                    && scalar.getTag() == null && scalar.getAnchor() == null
                    && scalar.getScalarStyle() == DumperOptions.ScalarStyle.PLAIN;
        }

        @Override
        protected JsonToken _decodeNumberScalar(String value, int len) throws IOException {
            if (DECIMAL.matcher(value).matches()) {
                return super._decodeNumberScalar(value, len);
            }
            // The text of the scalar is already stored, so the value reads as that text.
            return JsonToken.VALUE_STRING;
        }
    }
}
