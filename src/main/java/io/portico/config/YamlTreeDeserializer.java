package io.portico.config;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.deser.std.JsonNodeDeserializer;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ContainerNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads a YAML document into a tree in which each alias ({@code *name}) is a copy of the value that its anchor
 * ({@code &name}) marks. Jackson's YAML parser reports an alias as the text of its name, so without this a shared
 * mapping or list would be read as a string. An anchor on a mapping key marks the key's text, so an alias of it is
 * a string value. An alias cannot be a mapping key, because Jackson's parser rejects it there.
 *
 * <p>The copies of one document may add at most {@link #MAX_ALIAS_VALUES} values in all, counting every mapping,
 * list and scalar inside each copy. A document whose aliases repeat other aliases grows by a factor with each level,
 * and this bound stops it at about as many values as a 2 MB flow list of one-digit numbers holds.
 */
final class YamlTreeDeserializer extends JsonDeserializer<JsonNode> {

    /** The maximum number of values that the aliases of one document may add to its tree. */
    static final int MAX_ALIAS_VALUES = 1_000_000;

    /** Jackson's own tree deserializer, which reads each scalar. */
    private static final JsonDeserializer<? extends JsonNode> STANDARD = JsonNodeDeserializer.getDeserializer(
            JsonNode.class);

    @Override
    public JsonNode deserialize(JsonParser parser, DeserializationContext ctx) throws IOException {
        if (!(parser instanceof DecimalYamlFactory.DecimalYamlParser yaml)) {
            return STANDARD.deserialize(parser, ctx);
        }
        return new Reading(yaml, ctx).read();
    }

    @Override
    public JsonNode getNullValue(DeserializationContext ctx) {
        return NullNode.getInstance();
    }

    /**
     * A failure to expand an alias. Its message names the alias but quotes no value of the document, so it may be
     * shown where a parser's own message may not.
     */
    static final class AliasException extends JsonParseException {

        private static final long serialVersionUID = 1L;

        AliasException(JsonParser parser, String message) {
            super(parser, message);
        }
    }

    /** The state of reading one document: the values of its anchors so far and the values its aliases added. */
    private static final class Reading {

        private final DecimalYamlFactory.DecimalYamlParser parser;
        private final DeserializationContext ctx;
        private final Map<String, JsonNode> anchors = new HashMap<>();
        private final Deque<Container> open = new ArrayDeque<>();
        private long aliasValues;

        Reading(DecimalYamlFactory.DecimalYamlParser parser, DeserializationContext ctx) {
            this.parser = parser;
            this.ctx = ctx;
        }

        /**
         * Reads the value that starts at the parser's current token. Containers are kept on a stack rather than
         * read recursively, so the parser's nesting limit alone bounds the depth.
         */
        JsonNode read() throws IOException {
            JsonToken token = parser.currentToken();
            while (true) {
                JsonNode value = null;
                if (token == null) {
                    throw new JsonParseException(parser, "the document ends inside a mapping or a list");
                }
                switch (token) {
                    case START_OBJECT -> open.push(new Container(ctx.getNodeFactory().objectNode(), anchor()));
                    case START_ARRAY -> open.push(new Container(ctx.getNodeFactory().arrayNode(), anchor()));
                    case FIELD_NAME -> {
                        open.peek().field = parser.currentName();
                        anchored(parser.keyAnchor(), ctx.getNodeFactory().textNode(parser.currentName()));
                    }
                    case END_OBJECT, END_ARRAY -> {
                        Container done = open.pop();
                        value = anchored(done.anchor, done.node);
                    }
                    default -> value = parser.isCurrentAlias() ? copyOfAnchor(parser.getText())
                            : anchored(anchor(), STANDARD.deserialize(parser, ctx));
                }
                if (value != null) {
                    if (open.isEmpty()) {
                        return value;
                    }
                    open.peek().add(value);
                }
                token = parser.nextToken();
            }
        }

        private String anchor() {
            return parser.getCurrentAnchor();
        }

        /** Records {@code value} as the value of {@code anchor}, which a later anchor of that name replaces. */
        private JsonNode anchored(String anchor, JsonNode value) {
            if (anchor != null) {
                anchors.put(anchor, value);
            }
            return value;
        }

        private JsonNode copyOfAnchor(String name) throws IOException {
            JsonNode value = anchors.get(name);
            if (value == null) {
                throw new AliasException(parser, "the alias *" + name + " refers to no anchor &" + name
                        + " before it; an anchor must come before its aliases and outside the value it marks");
            }
            aliasValues += size(value);
            if (aliasValues > MAX_ALIAS_VALUES) {
                throw new AliasException(parser, "the aliases add more than " + MAX_ALIAS_VALUES + " values to the"
                        + " document; write the shared values out, or share fewer or smaller ones");
            }
            return value.deepCopy();
        }

        /** Returns the number of values in {@code root}, itself included. */
        private static long size(JsonNode root) {
            long count = 0;
            Deque<JsonNode> pending = new ArrayDeque<>();
            pending.push(root);
            while (!pending.isEmpty()) {
                JsonNode node = pending.pop();
                count++;
                if (node.isContainerNode()) {
                    node.elements().forEachRemaining(pending::push);
                }
            }
            return count;
        }
    }

    /** A mapping or list being read, with its anchor and, for a mapping, the name of the field read last. */
    private static final class Container {

        private final ContainerNode<?> node;
        private final String anchor;
        private String field;

        Container(ContainerNode<?> node, String anchor) {
            this.node = node;
            this.anchor = anchor;
        }

        void add(JsonNode value) {
            if (node instanceof ObjectNode object) {
                object.set(field, value);
            } else {
                ((ArrayNode) node).add(value);
            }
        }
    }
}
