package io.portico.redis;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A Lua script that runs on the Redis server, identified there by the SHA-1 digest of its source, as
 * {@code SCRIPT LOAD} returns it and {@code EVALSHA} expects it.
 */
public final class RedisScript {

    private final String name;
    private final String source;
    private final String sha1;
    private final byte[] sha1Bytes;

    private RedisScript(String name, String source) {
        this.name = requireNonNull(name, "name");
        this.source = requireNonNull(source, "source");
        this.sha1 = sha1(source);
        this.sha1Bytes = sha1.getBytes(StandardCharsets.US_ASCII);
    }

    /** Returns the script {@code source}, named {@code name} in log messages. */
    public static RedisScript of(String name, String source) {
        return new RedisScript(name, source);
    }

    /**
     * Reads the script from the class path resource {@code resource}, relative to {@code owner}'s package.
     *
     * @throws IllegalStateException when the resource is missing
     */
    public static RedisScript fromResource(Class<?> owner, String resource) {
        try (InputStream in = owner.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("Redis script " + resource + " is missing next to " + owner.getName());
            }
            return new RedisScript(resource, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("Redis script " + resource + " cannot be read", e);
        }
    }

    public String name() {
        return name;
    }

    public String source() {
        return source;
    }

    /** The lower-case hexadecimal SHA-1 digest of the source. */
    public String sha1() {
        return sha1;
    }

    /** The digest as {@link #sha1()} writes it, in ASCII bytes, which every {@code EVALSHA} sends; do not modify. */
    byte[] sha1Bytes() {
        return sha1Bytes;
    }

    private static String sha1(String source) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-1").digest(source.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime provides SHA-1", e);
        }
    }

    @Override
    public String toString() {
        return name + " (" + sha1 + ")";
    }
}
