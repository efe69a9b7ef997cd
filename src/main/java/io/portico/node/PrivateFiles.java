package io.portico.node;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates the node files that only their owner may read, such as the admin token and the master key. */
public final class PrivateFiles {

    /** Read and write for the owner, nothing for group and others: mode 0600. */
    public static final Set<PosixFilePermission> OWNER_ONLY =
            EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

    private static final Logger LOG = LoggerFactory.getLogger(PrivateFiles.class);

    private PrivateFiles() {
    }

    /**
     * Creates {@code directory}, and each missing parent, readable by its owner only, because the data directory
     * contains private keys and the database. An existing directory keeps its permissions.
     */
    public static void createPrivateDirectory(Path directory) throws IOException {
        if (Files.isDirectory(directory)) {
            return;
        }
        try {
            Files.createDirectories(directory,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (UnsupportedOperationException e) {
            Files.createDirectories(directory);
        }
    }

    /**
     * Creates {@code file} with mode 0600 where the file system has POSIX permissions.
     *
     * @throws java.nio.file.FileAlreadyExistsException when the file exists, for example because another process
     *     created it first
     */
    public static void createOwnerOnly(Path file) throws IOException {
        if (Files.getFileAttributeView(file.getParent(), PosixFileAttributeView.class) == null) {
            Files.createFile(file);
            return;
        }
        Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        Files.setPosixFilePermissions(file, OWNER_ONLY);
    }

    /**
     * Rejects {@code file} when group or others have any permission on it, or the owner more than read and write,
     * as ssh does with private keys. Passes where the file system has no POSIX permissions.
     *
     * @param description what the file is, for the message, such as {@code the admin token file}
     * @throws IllegalStateException naming the file, its permissions and the {@code chmod 600} that fixes them
     * @throws UncheckedIOException when the permissions cannot be read
     */
    public static void requireOwnerOnly(Path file, String description) {
        Set<PosixFilePermission> permissions;
        try {
            permissions = Files.getPosixFilePermissions(file);
        } catch (UnsupportedOperationException e) {
            LOG.debug("The file system of {} has no POSIX permissions to check", file);
            return;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the permissions of " + description + " " + file, e);
        }
        if (!OWNER_ONLY.containsAll(permissions)) {
            throw new IllegalStateException(description + " " + file + " has the mode "
                    + PosixFilePermissions.toString(permissions) + ", but only its owner may read or write it: run"
                    + " 'chmod 600 " + file + "' and start again");
        }
    }
}
