package dev.hybridge.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hybridge.gateway.testing.Peers;
import dev.hybridge.gateway.testing.TestClient;
import dev.hybridge.gateway.testing.TestGateway;
import dev.hybridge.protocol.RoomError;
import dev.hybridge.protocol.RoomMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Graceful shutdown (close 1001) and a restart on the same key file that clients reconnect to. */
class RestartTest {
    @TempDir Path dir;

    /**
     * A member whose close is answered first during a shutdown must not be announced as gone to
     * the others: they would rekey and drop its media, although everyone is only being moved to
     * the restarted gateway. Forced here: the shutdown has begun when one member leaves.
     */
    @Test
    void noPeerLeftOnceTheShutdownHasBegun() throws Exception {
        byte[] roomId = Peers.roomId();
        try (TestGateway gw = TestGateway.start(dir.resolve("gateway.key"), Map.of());
                TestClient a = TestClient.established(gw.ws(), gw.publicKey());
                TestClient b = TestClient.established(gw.ws(), gw.publicKey())) {
            a.send(new RoomMessage.Join(roomId, Peers.key()));
            a.receive();
            b.send(new RoomMessage.Join(roomId, Peers.key()));
            b.receive();
            assertInstanceOf(RoomMessage.PeerJoined.class, a.receive());
            gw.gateway().beginShutdown();
            b.send(new RoomMessage.Leave());
            assertEquals(
                    null,
                    a.nextRaw(java.time.Duration.ofMillis(500)),
                    "no PEER_LEFT while the gateway shuts down");
        }
    }

    @Test
    void shutdownSays1001AndClientsReconnectToTheRestartedGatewayWithTheSamePin() throws Exception {
        Path key = dir.resolve("gateway.key");
        byte[] pinnedKey;
        String fingerprint;
        byte[] roomId = Peers.roomId();
        TestGateway first = TestGateway.start(key, Map.of());
        try {
            pinnedKey = first.publicKey();
            fingerprint =
                    new ObjectMapper()
                            .readTree(first.get("/.well-known/hybridge.json").body())
                            .path("fingerprint")
                            .asText();
            TestClient joined = TestClient.established(first.ws(), pinnedKey);
            joined.send(new RoomMessage.Join(roomId, Peers.key()));
            joined.receive();
            TestClient handshaking = TestClient.connect(first.ws());

            first.stop();

            RoomMessage.Error e = assertInstanceOf(RoomMessage.Error.class, joined.receive());
            assertEquals(RoomError.SHUTTING_DOWN.code(), e.code());
            assertEquals(new TestClient.Close(1001, "SHUTTING_DOWN"), joined.awaitClose());
            assertEquals(new TestClient.Close(1001, "SHUTTING_DOWN"), handshaking.awaitClose());
            assertFalse(first.isRunning());
        } finally {
            first.close();
        }

        try (TestGateway second = TestGateway.start(key, Map.of())) {
            assertArrayEquals(pinnedKey, second.publicKey(), "same key file, same key");
            assertEquals(
                    fingerprint,
                    new ObjectMapper()
                            .readTree(second.get("/.well-known/hybridge.json").body())
                            .path("fingerprint")
                            .asText());
            try (TestClient again =
                    TestClient.established(second.ws(), pinnedKey)) { // the pinned key still works
                again.send(new RoomMessage.Join(roomId, Peers.key()));
                assertTrue(
                        assertInstanceOf(RoomMessage.Joined.class, again.receive())
                                .peers()
                                .isEmpty(),
                        "rooms were in memory only");
            }
        }
    }

    @Test
    void keyFileReadableByOthersIsRefused() throws Exception {
        Path key = dir.resolve("gateway.key");
        TestGateway.start(key, Map.of()).close();
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
        IllegalStateException e =
                assertThrows(IllegalStateException.class, () -> TestGateway.start(key, Map.of()));
        assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw----r--"));
        assertThrows(IllegalStateException.class, () -> TestGateway.start(key, Map.of()));
    }

    @Test
    void aKeyFileMadeByTheCliIsUsedAsIs() throws Exception {
        Path key = dir.resolve("cli.key");
        byte[] pk =
                dev.hybridge.crypto.KeyFile.create(key, new java.security.SecureRandom())
                        .publicKey();
        try (TestGateway gw = TestGateway.start(key, Map.of())) {
            assertArrayEquals(pk, gw.publicKey());
        }
    }

    @Test
    void keyFileOfTheWrongSizeIsRefused() throws Exception {
        Path key = dir.resolve("gateway.key");
        Files.write(key, new byte[31]);
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        assertThrows(IllegalStateException.class, () -> TestGateway.start(key, Map.of()));
    }
}
