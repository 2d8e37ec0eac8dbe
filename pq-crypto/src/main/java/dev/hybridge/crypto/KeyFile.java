package dev.hybridge.crypto;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Set;

/**
 * The gateway's static X-Wing key file: exactly the 32-byte seed (the X-Wing private key
 * format), created on first start with permissions 600 and reused after. A file that group or
 * others can access is refused: whoever reads it can impersonate the gateway to every client
 * that pinned its fingerprint.
 */
public final class KeyFile {
    private KeyFile() {}

    /** Loads {@code path}, or creates it with a fresh key if it does not exist. */
    public static XWingKeyPair loadOrCreate(Path path, SecureRandom rng) throws IOException {
        Path abs = path.toAbsolutePath();
        if (!Files.exists(abs, LinkOption.NOFOLLOW_LINKS)) {
            try {
                return create(abs, rng);
            } catch (FileAlreadyExistsException raced) {
                // another process created it between the check and the create: load theirs
            }
        }
        return load(abs);
    }

    /** Creates {@code path} with a fresh key; refuses to overwrite an existing file. */
    public static XWingKeyPair create(Path path, SecureRandom rng) throws IOException {
        path = path.toAbsolutePath();
        Path dir = path.getParent();
        boolean posix =
                Files.getFileStore(Files.exists(dir) ? dir : dir.getRoot())
                        .supportsFileAttributeView(PosixFileAttributeView.class);
        if (!Files.exists(dir)) {
            if (posix) {
                Files.createDirectories(
                        dir,
                        PosixFilePermissions.asFileAttribute(
                                PosixFilePermissions.fromString("rwx------")));
            } else {
                Files.createDirectories(dir);
            }
        }
        XWingKeyPair key = XWingKeyPair.generate(rng);
        byte[] seed = key.exportSecretSeed();
        try {
            createOwnerOnly(path, seed, posix);
        } finally {
            Arrays.fill(seed, (byte) 0);
        }
        return key;
    }

    /**
     * Creates {@code file} (mode 600 where the file system has POSIX permissions) and writes
     * {@code content}, synced to disk. Refuses an existing file (FileAlreadyExistsException).
     */
    static void createOwnerOnly(Path file, byte[] content, boolean posix) throws IOException {
        if (posix) {
            Files.createFile(
                    file,
                    PosixFilePermissions.asFileAttribute(
                            PosixFilePermissions.fromString("rw-------")));
        } else {
            Files.createFile(file);
        }
        try (OutputStream out =
                Files.newOutputStream(
                        file,
                        StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING,
                        StandardOpenOption.SYNC)) {
            out.write(content);
        }
    }

    /**
     * Refuses ({@link IllegalStateException}, naming {@code what}, the path and the fix) a file
     * that its group or others can access, where the file system has POSIX permissions.
     */
    public static void requireOwnerOnly(Path path, String what) throws IOException {
        if (Files.getFileStore(path).supportsFileAttributeView(PosixFileAttributeView.class)) {
            Set<PosixFilePermission> perms =
                    Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS);
            for (PosixFilePermission p : perms) {
                if (p.name().startsWith("GROUP_") || p.name().startsWith("OTHERS_")) {
                    throw new IllegalStateException(
                            what
                                    + " "
                                    + path
                                    + " has permissions "
                                    + PosixFilePermissions.toString(perms)
                                    + "; it must be accessible by its owner only: chmod 600 "
                                    + path);
                }
            }
        }
    }

    /** Loads {@code path}; refuses a file that is not regular, not owner-only or not 32 bytes. */
    public static XWingKeyPair load(Path path) throws IOException {
        if (!Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) {
            throw new IllegalStateException("key file " + path + " is not a regular file");
        }
        requireOwnerOnly(path, "key file");
        byte[] seed = Files.readAllBytes(path);
        try {
            if (seed.length != XWingKeyPair.SEED_LEN) {
                throw new IllegalStateException(
                        "key file "
                                + path
                                + " must hold exactly "
                                + XWingKeyPair.SEED_LEN
                                + " bytes (an X-Wing seed), it holds "
                                + seed.length);
            }
            return XWingKeyPair.fromSeed(seed);
        } finally {
            Arrays.fill(seed, (byte) 0);
        }
    }
}
