package dev.hybridge.crypto.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hybridge.crypto.Fingerprint;
import dev.hybridge.crypto.XWingKeyPair;
import dev.hybridge.crypto.vectors.VectorsCli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliTest {
    @TempDir Path tmp;

    @Test
    void keygenWritesAnOwnerOnlyKeyAndFingerprintReadsItBack() throws Exception {
        Path file = tmp.resolve("keys/gateway.key");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(
                0,
                Cli.run(
                        new String[] {"keygen", file.toString()},
                        new PrintStream(out),
                        System.err));
        assertEquals(
                "rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals(32, Files.size(file));

        XWingKeyPair key = dev.hybridge.crypto.KeyFile.load(file);
        assertTrue(
                out.toString(StandardCharsets.UTF_8)
                        .contains(Fingerprint.toDisplay(key.fingerprint())));
        ByteArrayOutputStream fp = new ByteArrayOutputStream();
        assertEquals(
                0,
                Cli.run(
                        new String[] {"fingerprint", file.toString()},
                        new PrintStream(fp),
                        System.err));
        assertTrue(
                fp.toString(StandardCharsets.UTF_8)
                        .contains(Fingerprint.toBase64Url(key.fingerprint())));
        // The seed on disk is the key: loading twice gives the same public key.
        assertArrayEquals(key.publicKey(), dev.hybridge.crypto.KeyFile.load(file).publicKey());
    }

    @Test
    void refusesToOverwriteAKey() throws Exception {
        Path file = tmp.resolve("gateway.key");
        dev.hybridge.crypto.KeyFile.create(file, new SecureRandom());
        assertThrows(
                FileAlreadyExistsException.class,
                () -> dev.hybridge.crypto.KeyFile.create(file, new SecureRandom()));
    }

    @Test
    void refusesAKeyOthersCanRead() throws Exception {
        Path file = tmp.resolve("gateway.key");
        dev.hybridge.crypto.KeyFile.create(file, new SecureRandom());
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        IllegalStateException e =
                assertThrows(
                        IllegalStateException.class, () -> dev.hybridge.crypto.KeyFile.load(file));
        assertTrue(e.getMessage().contains("chmod 600"));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(
                1,
                Cli.run(
                        new String[] {"fingerprint", file.toString()},
                        System.out,
                        new PrintStream(err)));
    }

    @Test
    void refusesAFileOfTheWrongSize() throws Exception {
        Path file = tmp.resolve("gateway.key");
        Files.createFile(
                file,
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.write(file, new byte[31]);
        assertThrows(IllegalStateException.class, () -> dev.hybridge.crypto.KeyFile.load(file));
    }

    @Test
    void verifyCommandPassesOnTheCommittedVectors() {
        Path dir = dev.hybridge.crypto.vectors.VectorFilesTestAccess.dir();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(
                0,
                VectorsCli.run(
                        new String[] {"vectors", "verify", dir.toString()},
                        new PrintStream(out),
                        System.err));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("0 failed"));
    }

    @Test
    void theDeployableCliHasNoVectorCommands() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(
                2,
                Cli.run(new String[] {"vectors", "verify", "."}, System.out, new PrintStream(err)));
        assertFalse(err.toString(StandardCharsets.UTF_8).contains("vectors"));
    }

    @Test
    void theTestKitCliPassesKeyCommandsToTheDeployableOne() throws Exception {
        Path file = tmp.resolve("gateway.key");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(
                0,
                VectorsCli.run(
                        new String[] {"keygen", file.toString()},
                        new PrintStream(out),
                        System.err));
        assertTrue(Files.exists(file));
    }

    @Test
    void unknownCommandPrintsUsage() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(2, Cli.run(new String[] {"nope"}, System.out, new PrintStream(err)));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("usage"));
    }
}
