package io.portico.gateway.tls;

import io.portico.node.NodeConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One certificate and key file pair from the node settings, with the certificate last loaded from it.
 *
 * <p>A reload reads both files and compares their content with what was last loaded, so it detects a change even when
 * the modification time stays the same (two writes within the file system's time resolution, or a symbolic link
 * switched to another file as Kubernetes does for mounted secrets), and a file that was only touched is not parsed
 * again. Methods other than {@link #certificate()} are called from one thread at a time.
 */
final class FileCertificate {

    private static final Logger LOG = LoggerFactory.getLogger(FileCertificate.class);
    private static final int SHA_256_LENGTH = 32;

    private final Path certificatePath;
    private final Path keyPath;
    private byte[] loadedFingerprint;
    private String reportedProblem;
    private volatile ServedCertificate certificate;

    FileCertificate(NodeConfig.CertificateFiles files) {
        Objects.requireNonNull(files, "files");
        this.certificatePath = Path.of(Objects.requireNonNull(files.certificate(), "certificate file path"));
        this.keyPath = Path.of(Objects.requireNonNull(files.key(), "key file path"));
    }

    /** Returns the certificate last loaded successfully; null before {@link #load()}. */
    ServedCertificate certificate() {
        return certificate;
    }

    /**
     * Loads the files for the first time.
     *
     * @throws IllegalArgumentException when a file cannot be read or is invalid, naming the file and the problem
     */
    void load() {
        Contents contents = read();
        certificate = parse(contents);
        loadedFingerprint = contents.fingerprint();
    }

    /**
     * Reads the files again and loads them when their content changed since the last successful load.
     * When the new content cannot be read or is invalid, logs a warning once for that content and keeps serving
     * the previous certificate.
     *
     * @return whether a new certificate was loaded
     */
    boolean reload() {
        try {
            Contents contents = read();
            if (Arrays.equals(contents.fingerprint(), loadedFingerprint)) {
                problemCleared();
                return false;
            }
            try {
                certificate = parse(contents);
            } catch (IllegalArgumentException e) {
                report(e.getMessage(), HexFormat.of().formatHex(contents.fingerprint()));
                return false;
            }
            loadedFingerprint = contents.fingerprint();
            reportedProblem = null;
            return true;
        } catch (IllegalArgumentException e) {
            report(e.getMessage(), "");
            return false;
        }
    }

    private void report(String problem, String contentFingerprint) {
        String key = problem + contentFingerprint;
        if (!key.equals(reportedProblem)) {
            reportedProblem = key;
            LOG.warn("Reloading the HTTPS certificate failed, so the certificate loaded earlier from {} is still "
                    + "served: {}. Fix the file; it is checked again at every reload interval", certificatePath,
                    problem);
        }
    }

    private void problemCleared() {
        if (reportedProblem != null) {
            reportedProblem = null;
            LOG.info("HTTPS certificate files {} and {} are back to the content loaded earlier", certificatePath,
                    keyPath);
        }
    }

    private ServedCertificate parse(Contents contents) {
        return ServedCertificate.load(certificatePath.toString(), "certificate file " + certificatePath,
                contents.certificate(), "key file " + keyPath, contents.key());
    }

    private Contents read() {
        byte[] certificateBytes = readFile(certificatePath, "certificate");
        byte[] keyBytes = readFile(keyPath, "key");
        byte[] fingerprint = ByteBuffer.allocate(2 * SHA_256_LENGTH)
                .put(sha256(certificateBytes))
                .put(sha256(keyBytes))
                .array();
        return new Contents(new String(certificateBytes, StandardCharsets.US_ASCII),
                new String(keyBytes, StandardCharsets.US_ASCII), fingerprint);
    }

    private static byte[] readFile(Path path, String kind) {
        try {
            return Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(kind + " file " + path + " does not exist", e);
        } catch (AccessDeniedException e) {
            throw new IllegalArgumentException(kind + " file " + path + " is not readable: permission denied", e);
        } catch (IOException e) {
            throw new IllegalArgumentException("reading " + kind + " file " + path + " failed: " + e, e);
        }
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK provides no SHA-256", e);
        }
    }

    /** The text of both files and a fingerprint made of the SHA-256 digests of the two files. */
    private record Contents(String certificate, String key, byte[] fingerprint) {
    }
}
