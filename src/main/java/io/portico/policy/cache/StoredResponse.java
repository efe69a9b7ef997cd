package io.portico.policy.cache;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A cache entry as the store keeps it: either a response, or a marker at the key of a response that varies. A
 * marker names the request headers (its {@code Vary}) that select a stored variant, the generation that the keys of
 * its variants include, and the variants stored under it, so that they can be removed with it (see
 * {@link Variants}).
 *
 * <p>The encoding is a byte string that starts with a format byte: {@code R} for a response, {@code M} for a marker.
 * A response then has the time it was stored and the end of its freshness (milliseconds since the epoch), its age
 * when received (seconds), its status, its headers and its body. A marker has the generation, the end of the
 * freshness of its longest-lived variant, the header names, and each variant's selection with the end of its
 * freshness. Texts are UTF-8 with an int length before them. A marker in the older {@code G} format, which lists no
 * variants, decodes with an empty list. A value that does not decode, such as a marker without a generation in the
 * {@code V} format, is treated as absent.
 *
 * @param storedAtMillis when the response was received
 * @param freshUntilMillis when the response stops being fresh; for a marker, when its longest-lived variant does
 * @param initialAgeSeconds the response's age when it was received (RFC 9111 section 4.2.3)
 * @param status the response status
 * @param headers the response header fields, in order, as name and value pairs
 * @param body the response body
 * @param varyNames for a marker, the lower-case names of the request headers that select a variant; else empty
 * @param generation for a marker, the value that the keys of its variants include; else 0
 * @param variants for a marker, the variants written under it that may still be stored; else empty
 */
record StoredResponse(long storedAtMillis, long freshUntilMillis, long initialAgeSeconds, int status,
                      List<Map.Entry<String, String>> headers, Buffer body, List<String> varyNames,
                      long generation, List<Variant> variants) {

    private static final byte RESPONSE = 'R';
    private static final byte MARKER = 'M';
    /** The marker format before markers listed their variants. */
    private static final byte UNLISTED_MARKER = 'G';

    /**
     * A variant of a marker.
     *
     * @param selection the request header values that select it, as {@link CacheKeys#selection} writes them
     * @param freshUntilMillis when it stops being fresh, and so leaves the store
     */
    record Variant(String selection, long freshUntilMillis) {
    }

    /** Returns a response entry. */
    static StoredResponse response(long storedAtMillis, long freshUntilMillis, long initialAgeSeconds, int status,
                                   List<Map.Entry<String, String>> headers, Buffer body) {
        return new StoredResponse(storedAtMillis, freshUntilMillis, initialAgeSeconds, status, headers, body,
                List.of(), 0, List.of());
    }

    /**
     * Returns a marker naming the request headers that select a variant, of the given generation, with the variants
     * stored under it. It is kept until its longest-lived variant stops being fresh.
     */
    static StoredResponse marker(List<String> varyNames, long generation, List<Variant> variants) {
        long freshUntil = 0;
        for (Variant variant : variants) {
            freshUntil = Math.max(freshUntil, variant.freshUntilMillis());
        }
        return new StoredResponse(0, freshUntil, 0, 0, List.of(), Buffer.buffer(), List.copyOf(varyNames),
                generation, List.copyOf(variants));
    }

    boolean isMarker() {
        return !varyNames.isEmpty();
    }

    /** Returns the response's current age in seconds at {@code nowMillis}. */
    long ageSeconds(long nowMillis) {
        return initialAgeSeconds + Math.max(0, nowMillis - storedAtMillis) / 1000;
    }

    /** Returns the first value of header {@code name}, compared without case, or null. */
    String header(String name) {
        for (Map.Entry<String, String> header : headers) {
            if (header.getKey().equalsIgnoreCase(name)) {
                return header.getValue();
            }
        }
        return null;
    }

    Buffer encode() {
        Buffer out = Buffer.buffer(64 + body.length());
        if (isMarker()) {
            out.appendByte(MARKER).appendLong(generation).appendLong(freshUntilMillis).appendInt(varyNames.size());
            varyNames.forEach(name -> text(out, name));
            out.appendInt(variants.size());
            for (Variant variant : variants) {
                text(out, variant.selection());
                out.appendLong(variant.freshUntilMillis());
            }
            return out;
        }
        out.appendByte(RESPONSE).appendLong(storedAtMillis).appendLong(freshUntilMillis).appendLong(initialAgeSeconds)
                .appendInt(status).appendInt(headers.size());
        for (Map.Entry<String, String> header : headers) {
            text(out, header.getKey());
            text(out, header.getValue());
        }
        return out.appendInt(body.length()).appendBuffer(body);
    }

    /** Decodes a stored value; returns null when it is not a value this class encoded. */
    static StoredResponse decode(Buffer value) {
        try {
            Reader in = new Reader(value);
            byte format = value.getByte(in.position++);
            if (format == MARKER || format == UNLISTED_MARKER) {
                return decodeMarker(in, format == MARKER);
            }
            if (format != RESPONSE) {
                return null;
            }
            long storedAt = in.readLong();
            long freshUntil = in.readLong();
            long initialAge = in.readLong();
            int status = in.readInt();
            int count = in.count();
            List<Map.Entry<String, String>> headers = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                headers.add(Map.entry(in.text(), in.text()));
            }
            int length = in.count();
            Buffer body = value.slice(in.position, in.position + length);
            return response(storedAt, freshUntil, initialAge, status, headers, body);
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            return null;
        }
    }

    private static StoredResponse decodeMarker(Reader in, boolean listed) {
        long generation = in.readLong();
        long freshUntil = in.readLong();
        int count = in.count();
        List<String> names = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            names.add(in.text());
        }
        List<Variant> variants = new ArrayList<>();
        if (listed) {
            int listedCount = in.count();
            for (int i = 0; i < listedCount; i++) {
                variants.add(new Variant(in.text(), in.readLong()));
            }
        }
        if (names.isEmpty()) {
            return null;
        }
        return new StoredResponse(0, freshUntil, 0, 0, List.of(), Buffer.buffer(), List.copyOf(names), generation,
                List.copyOf(variants));
    }

    private static void text(Buffer out, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        out.appendInt(bytes.length).appendBytes(bytes);
    }

    /** Reads the fields of an encoded value in order. */
    private static final class Reader {
        private final Buffer value;
        private int position;

        Reader(Buffer value) {
            this.value = value;
        }

        long readLong() {
            long result = value.getLong(position);
            position += 8;
            return result;
        }

        int readInt() {
            int result = value.getInt(position);
            position += 4;
            return result;
        }

        /** Reads a length or count, which must fit in the rest of the value. */
        int count() {
            int result = readInt();
            if (result < 0 || result > value.length() - position) {
                throw new IllegalArgumentException("invalid length " + result);
            }
            return result;
        }

        String text() {
            int length = count();
            String result = value.getString(position, position + length, "UTF-8");
            position += length;
            return result;
        }
    }
}
