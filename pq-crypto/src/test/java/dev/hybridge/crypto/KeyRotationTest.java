package dev.hybridge.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hybridge.crypto.cli.Cli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyRotationTest {
    private static final SecureRandom RNG = new SecureRandom();

    @TempDir Path dir;

    @Test
    void rotateKeepsTheOldSeedOwnerOnlyAndListsItsFingerprint() throws Exception {
        Path key = dir.resolve("gateway.key");
        XWingKeyPair first = KeyFile.create(key, RNG);
        String firstHex = Fingerprint.toHex(first.fingerprint());
        Clock t1 = Clock.fixed(Instant.parse("2026-11-26T10:15:30.123Z"), ZoneOffset.UTC);

        KeyRotation.Result r = KeyRotation.rotate(key, RNG, t1);

        XWingKeyPair now = KeyFile.load(key);
        assertArrayEquals(r.newKey().fingerprint(), now.fingerprint());
        assertFalse(firstHex.equals(Fingerprint.toHex(now.fingerprint())));
        assertEquals(
                dir.resolve("gateway.key.retired-" + firstHex.substring(0, 16)),
                r.retiredKeyFile());
        assertEquals(
                "rw-------",
                PosixFilePermissions.toString(Files.getPosixFilePermissions(r.retiredKeyFile())));
        assertEquals(
                "rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
        assertArrayEquals(
                first.fingerprint(),
                KeyFile.load(r.retiredKeyFile()).fingerprint(),
                "the backup is the old key");
        assertEquals(
                List.of(new KeyRotation.Retired(firstHex, Instant.parse("2026-11-26T10:15:30Z"))),
                KeyRotation.readRetired(key));
        assertFalse(Files.exists(dir.resolve("gateway.key.new")));

        // a second rotation appends, oldest first
        String secondHex = Fingerprint.toHex(now.fingerprint());
        KeyRotation.rotate(
                key, RNG, Clock.fixed(Instant.parse("2026-12-01T00:00:00Z"), ZoneOffset.UTC));
        List<KeyRotation.Retired> list = KeyRotation.readRetired(key);
        assertEquals(2, list.size());
        assertEquals(firstHex, list.get(0).fingerprintHex());
        assertEquals(secondHex, list.get(1).fingerprintHex());
    }

    @Test
    void refusesAKeyFileOthersCanReadAndLeavesItAlone() throws Exception {
        Path key = dir.resolve("gateway.key");
        KeyFile.create(key, RNG);
        byte[] before = Files.readAllBytes(key);
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
        assertThrows(
                IllegalStateException.class, () -> KeyRotation.rotate(key, RNG, Clock.systemUTC()));
        assertArrayEquals(before, Files.readAllBytes(key));
        assertFalse(Files.exists(KeyRotation.retiredList(key)));
    }

    @Test
    void refusesAMissingKeyFile() {
        assertThrows(
                IllegalStateException.class,
                () -> KeyRotation.rotate(dir.resolve("none.key"), RNG, Clock.systemUTC()));
    }

    @Test
    void noListMeansNothingRetiredAndAMalformedListIsAnError() throws Exception {
        Path key = dir.resolve("gateway.key");
        assertTrue(KeyRotation.readRetired(key).isEmpty());
        Files.writeString(
                KeyRotation.retiredList(key),
                "{\"retired\":[{\"fingerprint\":\"XYZ\",\"retired_at\":\"2026-01-01T00:00:00Z\"}]}");
        assertThrows(IllegalStateException.class, () -> KeyRotation.readRetired(key));
        Files.writeString(KeyRotation.retiredList(key), "not json");
        assertThrows(IllegalStateException.class, () -> KeyRotation.readRetired(key));
    }

    @Test
    void cliRotateKeyTellsWhatHappensNext() throws Exception {
        Path key = dir.resolve("gateway.key");
        KeyFile.create(key, RNG);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc =
                Cli.run(
                        new String[] {"rotate-key", key.toString()},
                        new PrintStream(out, true),
                        new PrintStream(err, true));
        assertEquals(0, rc, err.toString());
        String text = out.toString();
        assertTrue(text.contains("Restart the gateway"), text);
        assertTrue(text.contains(".retired-"), text);
        assertEquals(1, KeyRotation.readRetired(key).size());
    }
}
