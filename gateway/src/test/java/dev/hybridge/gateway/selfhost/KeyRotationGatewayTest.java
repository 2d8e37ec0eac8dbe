package dev.hybridge.gateway.selfhost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hybridge.crypto.ErrorCode;
import dev.hybridge.crypto.Fingerprint;
import dev.hybridge.crypto.KeyFile;
import dev.hybridge.crypto.KeyRotation;
import dev.hybridge.crypto.XWingKeyPair;
import dev.hybridge.crypto.handshake.HopClient;
import dev.hybridge.gateway.testing.Peers;
import dev.hybridge.gateway.testing.TestClient;
import dev.hybridge.gateway.testing.TestGateway;
import dev.hybridge.protocol.RoomMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Key rotation, gateway side: the retired fingerprint is announced, the retired key is refused
 * with UNKNOWN_GATEWAY_KEY (never accepted for a grace period: README, "Self-host"), the new key
 * works.
 */
class KeyRotationGatewayTest {
    private static final SecureRandom RNG = new SecureRandom();
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path dir;

    @Test
    void retiredKeyIsAnnouncedAndRefusedNewKeyWorks() throws Exception {
        Path key = dir.resolve("keys/gateway.key");
        XWingKeyPair old = KeyFile.create(key, RNG);
        Instant at = Instant.parse("2026-11-26T09:00:00Z");
        KeyRotation.Result r = KeyRotation.rotate(key, RNG, Clock.fixed(at, ZoneOffset.UTC));

        try (TestGateway gw = TestGateway.start(key, Map.of())) {
            JsonNode doc = JSON.readTree(gw.get("/.well-known/hybridge.json").body());
            assertEquals(
                    Fingerprint.toHex(r.newKey().fingerprint()), doc.get("fingerprint").asText());
            JsonNode retired = doc.get("retired");
            assertEquals(1, retired.size());
            assertEquals(
                    Fingerprint.toHex(old.fingerprint()),
                    retired.get(0).get("fingerprint").asText());
            assertEquals("2026-11-26T09:00:00Z", retired.get(0).get("retired_at").asText());

            // a client that skipped the document (a cached key) and addressed the old key
            try (TestClient c = TestClient.connect(gw.ws())) {
                c.sendRaw(HopClient.start(old.publicKey(), RNG).clientHello());
                assertNull(c.nextRaw(), "no ServerHello for a retired key");
                TestClient.Close close = c.awaitClose();
                assertEquals(ErrorCode.UNKNOWN_GATEWAY_KEY.closeCode(), close.code());
                assertEquals("UNKNOWN_GATEWAY_KEY", close.reason());
            }
            // the new key: handshake and join as usual
            try (TestClient c = TestClient.established(gw.ws(), gw.publicKey())) {
                c.send(new RoomMessage.Join(Peers.roomId(), Peers.key()));
                assertInstanceOf(RoomMessage.Joined.class, c.receive());
            }
        }
    }

    @Test
    void announcementCanBeTurnedOffAndARolledBackKeyIsNotListed() throws Exception {
        Path key = dir.resolve("gateway.key");
        XWingKeyPair old = KeyFile.create(key, RNG);
        KeyRotation.Result r = KeyRotation.rotate(key, RNG, Clock.systemUTC());
        try (TestGateway gw =
                TestGateway.start(key, Map.of("hybridge.announce-retired-keys", "false"))) {
            assertFalse(JSON.readTree(gw.get("/.well-known/hybridge.json").body()).has("retired"));
        }
        // roll back: the retired backup goes back over the key file; it is current, not retired
        Files.move(r.retiredKeyFile(), key, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        try (TestGateway gw = TestGateway.start(key, Map.of())) {
            JsonNode doc = JSON.readTree(gw.get("/.well-known/hybridge.json").body());
            assertEquals(Fingerprint.toHex(old.fingerprint()), doc.get("fingerprint").asText());
            assertFalse(doc.has("retired"));
        }
    }

    @Test
    void noRotationNoRetiredMember() throws Exception {
        try (TestGateway gw = TestGateway.start(dir.resolve("fresh.key"), Map.of())) {
            assertTrue(
                    JSON.readTree(gw.get("/.well-known/hybridge.json").body()).has("fingerprint"));
            assertFalse(JSON.readTree(gw.get("/.well-known/hybridge.json").body()).has("retired"));
        }
    }
}
