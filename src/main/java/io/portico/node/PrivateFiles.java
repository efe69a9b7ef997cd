package io.portico.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/** Creates the node files that only their owner may read, such as the admin token and the master key. */
public final class PrivateFiles {

    /** Read and write for the owner, nothing for group and others: mode 0600. */
    public static final Set<PosixFilePermission> OWNER_ONLY =
            EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

    private PrivateFiles() {
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
}
