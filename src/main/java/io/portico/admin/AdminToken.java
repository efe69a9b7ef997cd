package io.portico.admin;

import io.portico.node.NodeConfig;
import io.portico.node.PrivateFiles;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resolves the bearer token of the admin API. In order of precedence: the {@value #ENV_VAR} environment
 * variable, the {@code admin.token} node setting, or the file {@value #FILE_NAME} in the data directory, which is
 * generated on first start. There is no default token.
 *
 * <p>A generated token is printed once to standard output, never to the log, and stored in a file that only its
 * owner can read. A node does not start when group or others may access the token file, as ssh rejects such a
 * private key. Generation is allowed only while the admin API listens on a loopback address: an admin API that
 * other hosts can reach must be given its token explicitly.
 */
public final class AdminToken {

    /** Environment variable that sets the token. */
    public static final String ENV_VAR = "PORTICO_ADMIN_TOKEN";
    /** Name of the generated token file in the data directory. */
    public static final String FILE_NAME = "admin-token";
    /** Prefix of generated tokens, so that a leaked token is recognisable. */
    public static final String PREFIX = "pat_";

    private static final Logger LOG = LoggerFactory.getLogger(AdminToken.class);
    private static final int TOKEN_BYTES = 32;
    /** Minimum length of the token of an admin API on a non-loopback address. */
    static final int MIN_NETWORK_TOKEN_LENGTH = 24;
    private static final SecureRandom RANDOM = new SecureRandom();

    private AdminToken() {
    }

    /**
     * Returns the admin token, generating the token file when neither the environment nor the node settings give
     * one.
     *
     * @param env the process environment, {@code System.getenv()} in production
     * @param stdout where a newly generated token is printed
     * @throws IllegalStateException when the admin listener is not on a loopback address and no token is set, or
     *     when group or others may access the token file
     * @throws UncheckedIOException when the token file cannot be read or written
     */
    public static String resolve(NodeConfig.AdminListener admin, Path dataDirectory, Map<String, String> env,
                                 PrintStream stdout) {
        String fromEnv = env.get(ENV_VAR);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return checkedForNetwork(admin, fromEnv.trim(), ENV_VAR);
        }
        if (admin.token() != null && !admin.token().isBlank()) {
            return checkedForNetwork(admin, admin.token().trim(), "admin.token");
        }
        if (!isLoopback(admin.host())) {
            throw new IllegalStateException("the admin API is set to listen on " + admin.host()
                    + ", which is not a loopback address, and no admin token is set: set " + ENV_VAR
                    + " or admin.token, or set admin.host to 127.0.0.1");
        }
        return readOrGenerate(dataDirectory.resolve(FILE_NAME), stdout);
    }

    /**
     * Returns {@code token}, after checking that it has at least {@value #MIN_NETWORK_TOKEN_LENGTH} characters when the
     * admin API listens on an address other hosts can reach. Requests with wrong tokens are not rate limited, so
     * such a token must not be one that can be guessed.
     */
    private static String checkedForNetwork(NodeConfig.AdminListener admin, String token, String source) {
        if (token.length() < MIN_NETWORK_TOKEN_LENGTH && !isLoopback(admin.host())) {
            throw new IllegalStateException("the admin API is set to listen on " + admin.host() + ", which is not a"
                    + " loopback address, and the admin token from " + source + " is shorter than "
                    + MIN_NETWORK_TOKEN_LENGTH + " characters: set a random token, for example the output of"
                    + " 'openssl rand -base64 32'");
        }
        return token;
    }

    /**
     * Reads the token file in {@code dataDirectory}.
     *
     * @return the token, or empty when the file does not exist
     * @throws UncheckedIOException when the file exists but cannot be read
     */
    public static Optional<String> readFile(Path dataDirectory) {
        Path file = dataDirectory.resolve(FILE_NAME);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            String token = Files.readString(file, StandardCharsets.UTF_8).trim();
            if (token.isEmpty()) {
                throw new IllegalStateException("the admin token file " + file
                        + " is empty; delete it to generate a new token on the next start");
            }
            return Optional.of(token);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the admin token file " + file, e);
        }
    }

    /** Returns a new random token: the prefix and 32 random bytes in unpadded base64url. */
    static String generate() {
        byte[] bytes = new byte[TOKEN_BYTES];
        RANDOM.nextBytes(bytes);
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** Returns true when {@code host} is a loopback address or a name that resolves to one. */
    static boolean isLoopback(String host) {
        String literal = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        try {
            return InetAddress.getByName(literal).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static String readOrGenerate(Path file, PrintStream stdout) {
        if (Files.exists(file)) {
            PrivateFiles.requireOwnerOnly(file, "the admin token file");
        }
        Optional<String> existing = readFile(file.getParent());
        if (existing.isPresent()) {
            return existing.get();
        }
        String token = generate();
        try {
            PrivateFiles.createPrivateDirectory(file.getParent());
            PrivateFiles.createOwnerOnly(file);
            Files.writeString(file, token + "\n", StandardCharsets.UTF_8);
        } catch (FileAlreadyExistsException e) {
            // Another process sharing the data directory generated the token first: use that one.
            return readFile(file.getParent()).orElseThrow();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the admin token file " + file, e);
        }
        stdout.println("Generated an admin API token and stored it in " + file + " (readable by its owner only):");
        stdout.println();
        stdout.println("    " + token);
        stdout.println();
        stdout.println("Send it as 'Authorization: Bearer <token>'. It is not printed again.");
        stdout.flush();
        LOG.info("Generated a new admin token in {}", file);
        return token;
    }
}
