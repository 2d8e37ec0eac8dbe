package dev.hybridge.gateway.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sealing of bus messages (spec/cluster.md §4) and the cluster key file. */
class BusSealTest {
    private static final SecureRandom RNG = new SecureRandom();

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        RNG.nextBytes(b);
        return b;
    }

    @Test
    void opensWhatAnotherNodeSealedOnceAndOnlyOnTheSameSubjectUnderTheSameKey() {
        byte[] ck = random(32);
        BusSeal a = new BusSeal(ck, random(16));
        BusSeal b = new BusSeal(ck, random(16));
        byte[] plain = "a room message".getBytes();
        byte[] m1 = a.seal("hybridge.node.x", plain);
        byte[] m2 = a.seal("hybridge.node.x", plain);
        assertTrue(indexOf(m1, plain) < 0, "plaintext visible");
        BusSeal.Opened o = b.open("hybridge.node.x", m1);
        assertNotNull(o);
        assertArrayEquals(plain, o.plaintext());
        assertNull(b.open("hybridge.node.x", m1), "a replay was accepted");
        assertNull(b.open("hybridge.node.y", m2), "opened on another subject");
        byte[] flipped = m2.clone();
        flipped[flipped.length - 1] ^= 1;
        assertNull(b.open("hybridge.node.x", flipped), "a changed message opened");
        byte[] otherSender = m2.clone();
        otherSender[5] ^= 1; // the sender id is authenticated
        assertNull(b.open("hybridge.node.x", otherSender));
        assertNull(new BusSeal(random(32), random(16)).open("hybridge.node.x", m2), "wrong key");
        assertNotNull(b.open("hybridge.node.x", m2));
    }

    @Test
    void theKeyFileIsSixtyFourHexDigitsReadableByItsOwnerOnly(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("cluster.key");
        String hex = HexFormat.of().formatHex(random(32));
        Files.writeString(f, hex + "\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        IllegalStateException e =
                assertThrows(IllegalStateException.class, () -> BusSeal.loadKey(f));
        assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        assertEquals(hex, HexFormat.of().formatHex(BusSeal.loadKey(f)));
        Files.writeString(f, "00ff");
        e = assertThrows(IllegalStateException.class, () -> BusSeal.loadKey(f));
        assertTrue(e.getMessage().contains("64 hex digits"), e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> BusSeal.loadKey(dir.resolve("none")));
        assertTrue(e.getMessage().contains("openssl rand -hex 32"), e.getMessage());
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
