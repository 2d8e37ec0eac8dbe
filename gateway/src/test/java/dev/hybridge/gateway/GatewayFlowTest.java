package dev.hybridge.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hybridge.crypto.Fingerprint;
import dev.hybridge.gateway.relay.IceServers;
import dev.hybridge.gateway.testing.Peers;
import dev.hybridge.gateway.testing.TestClient;
import dev.hybridge.gateway.testing.TestGateway;
import dev.hybridge.protocol.RoomError;
import dev.hybridge.protocol.RoomMessage;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gateway's normal life: handshake, rooms, relay, ICE, HTTP endpoints. Real server, real WebSocket. */
class GatewayFlowTest {
    static final String TURN_SECRET = "a-shared-coturn-secret-for-tests";

    @TempDir static Path dir;
    static TestGateway gw;

    @BeforeAll
    static void start() throws Exception {
        gw =
                TestGateway.start(
                        dir.resolve("keys/gateway.key"),
                        Map.of(
                                "hybridge.ice.stun-urls.0", "stun:stun.example.org:3478",
                                "hybridge.ice.turn.urls.0",
                                        "turn:turn.example.org:3478?transport=udp",
                                "hybridge.ice.turn.urls.1",
                                        "turns:turn.example.org:5349?transport=tcp",
                                "hybridge.ice.turn.secret", TURN_SECRET,
                                "hybridge.ice.turn.credential-ttl", "PT1H"));
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    @Test
    void handshakeThenJoinAloneGivesEmptyPeerList() throws Exception {
        try (TestClient c = TestClient.established(gw.ws(), gw.publicKey())) {
            c.send(new RoomMessage.Join(Peers.roomId(), Peers.key()));
            RoomMessage.Joined j = assertInstanceOf(RoomMessage.Joined.class, c.receive());
            assertEquals(8, j.peerId().length);
            assertTrue(j.peers().isEmpty());
        }
    }

    @Test
    void relayAmongTwoToSixPeersThenSeventhIsRefused() throws Exception {
        for (int n = 2; n <= 6; n++) {
            relayInRoomOf(n);
        }
    }

    private void relayInRoomOf(int n) throws Exception {
        byte[] roomId = Peers.roomId();
        List<TestClient> clients = new ArrayList<>();
        List<byte[]> ids = new ArrayList<>();
        List<byte[]> keys = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                TestClient c = TestClient.established(gw.ws(), gw.publicKey());
                byte[] pk = Peers.key();
                c.send(new RoomMessage.Join(roomId, pk));
                RoomMessage.Joined j = assertInstanceOf(RoomMessage.Joined.class, c.receive());
                // the peer list is everyone before, in join order, with their announced keys
                assertEquals(i, j.peers().size());
                for (int k = 0; k < i; k++) {
                    assertArrayEquals(ids.get(k), j.peers().get(k).peerId());
                    assertArrayEquals(keys.get(k), j.peers().get(k).publicKey());
                }
                for (TestClient earlier : clients) {
                    RoomMessage.PeerJoined pj =
                            assertInstanceOf(RoomMessage.PeerJoined.class, earlier.receive());
                    assertArrayEquals(j.peerId(), pj.peerId());
                    assertArrayEquals(pk, pj.publicKey());
                }
                clients.add(c);
                ids.add(j.peerId());
                keys.add(pk);
            }
            Set<String> distinct = new HashSet<>();
            ids.forEach(id -> distinct.add(Arrays.toString(id)));
            assertEquals(n, distinct.size(), "peer ids are distinct");

            // every peer sends 5 numbered envelopes to every other peer
            int rounds = 5;
            for (int r = 0; r < rounds; r++) {
                for (int s = 0; s < n; s++) {
                    for (int t = 0; t < n; t++) {
                        if (s != t) {
                            clients.get(s).send(new RoomMessage.Relay(ids.get(t), envelope(s, r)));
                        }
                    }
                }
            }
            for (int t = 0; t < n; t++) {
                int[] next = new int[n];
                for (int k = 0; k < rounds * (n - 1); k++) {
                    RoomMessage.Relayed m =
                            assertInstanceOf(RoomMessage.Relayed.class, clients.get(t).receive());
                    int s = indexOf(ids, m.from());
                    assertTrue(s >= 0 && s != t);
                    assertArrayEquals(envelope(s, next[s]), m.envelope(), "per-sender order");
                    next[s]++;
                }
            }
            if (n == 6) {
                try (TestClient seventh = TestClient.established(gw.ws(), gw.publicKey())) {
                    long before = gw.metric("hybridge_limit_hits_total{limit=\"room_capacity\"}");
                    seventh.send(new RoomMessage.Join(roomId, Peers.key()));
                    RoomMessage.Error e =
                            assertInstanceOf(RoomMessage.Error.class, seventh.receive());
                    assertEquals(RoomError.ROOM_FULL.code(), e.code());
                    assertNull(e.ref());
                    assertFalse(seventh.isClosed(), "ROOM_FULL is not fatal");
                    assertEquals(
                            before + 1,
                            gw.metric("hybridge_limit_hits_total{limit=\"room_capacity\"}"));
                }
                for (TestClient c : clients) {
                    assertNull(
                            c.nextRaw(java.time.Duration.ofMillis(100)),
                            "members see nothing of a refused join");
                }
            }
        } finally {
            clients.forEach(TestClient::close);
        }
    }

    private static byte[] envelope(int sender, int seq) {
        return ByteBuffer.allocate(12).putInt(sender).putLong(seq).array();
    }

    private static int indexOf(List<byte[]> ids, byte[] id) {
        for (int i = 0; i < ids.size(); i++) {
            if (Arrays.equals(ids.get(i), id)) {
                return i;
            }
        }
        return -1;
    }

    @Test
    void leaveAndDisconnectAreAnnouncedAndEmptyRoomsVanish() throws Exception {
        byte[] roomId = Peers.roomId();
        try (TestClient a = TestClient.established(gw.ws(), gw.publicKey());
                TestClient b = TestClient.established(gw.ws(), gw.publicKey());
                TestClient c = TestClient.established(gw.ws(), gw.publicKey())) {
            a.send(new RoomMessage.Join(roomId, Peers.key()));
            a.receive();
            b.send(new RoomMessage.Join(roomId, Peers.key()));
            RoomMessage.Joined jb = (RoomMessage.Joined) b.receive();
            c.send(new RoomMessage.Join(roomId, Peers.key()));
            RoomMessage.Joined jc = (RoomMessage.Joined) c.receive();
            a.receive();
            a.receive();
            b.receive();

            b.send(new RoomMessage.Leave());
            assertArrayEquals(
                    jb.peerId(),
                    assertInstanceOf(RoomMessage.PeerLeft.class, a.receive()).peerId());
            assertArrayEquals(
                    jb.peerId(),
                    assertInstanceOf(RoomMessage.PeerLeft.class, c.receive()).peerId());
            // after LEAVE the connection stays usable: relaying now is NOT_IN_ROOM
            b.send(new RoomMessage.Relay(jc.peerId(), new byte[] {1}));
            RoomMessage.Error e = assertInstanceOf(RoomMessage.Error.class, b.receive());
            assertEquals(RoomError.NOT_IN_ROOM.code(), e.code());

            c.abort(); // vanishes without a close frame
            assertArrayEquals(
                    jc.peerId(),
                    assertInstanceOf(RoomMessage.PeerLeft.class, a.receive()).peerId());

            a.send(new RoomMessage.Leave());
            // This room is gone (other tests' rooms on the shared gateway may come and go
            // meanwhile).
            waitFor(
                    () ->
                            !gw.gateway()
                                    .rooms()
                                    .exists(new dev.hybridge.gateway.room.RoomId(roomId)));
            // the same connection can join again and gets a fresh peer id
            b.send(new RoomMessage.Join(roomId, Peers.key()));
            RoomMessage.Joined again = assertInstanceOf(RoomMessage.Joined.class, b.receive());
            assertTrue(again.peers().isEmpty());
            assertFalse(Arrays.equals(again.peerId(), jb.peerId()));
        }
    }

    @Test
    void iceServersWithTurnCredentialsAreDeliveredOnlyAtJoin() throws Exception {
        try (TestClient c = TestClient.established(gw.ws(), gw.publicKey())) {
            assertNull(c.nextRaw(java.time.Duration.ofMillis(200)), "nothing before a join");
            c.send(new RoomMessage.Join(Peers.roomId(), Peers.key()));
            RoomMessage.Joined j = assertInstanceOf(RoomMessage.Joined.class, c.receive());
            assertEquals(2, j.iceServers().size());
            RoomMessage.IceServer stun = j.iceServers().get(0);
            assertEquals(List.of("stun:stun.example.org:3478"), stun.urls());
            assertEquals("", stun.username());
            RoomMessage.IceServer turn = j.iceServers().get(1);
            assertEquals(
                    List.of(
                            "turn:turn.example.org:3478?transport=udp",
                            "turns:turn.example.org:5349?transport=tcp"),
                    turn.urls());
            String[] parts = turn.username().split(":");
            assertEquals(2, parts.length);
            long expiry = Long.parseLong(parts[0]);
            long now = Instant.now().getEpochSecond();
            assertTrue(expiry > now + 3500 && expiry <= now + 3601, "expiry = now + ttl");
            assertTrue(parts[1].length() >= 8, "random part");
            // what coturn does with use-auth-secret: recompute the HMAC with the shared secret
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA1");
            mac.init(
                    new javax.crypto.spec.SecretKeySpec(
                            TURN_SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
            String expected =
                    Base64.getEncoder()
                            .encodeToString(
                                    mac.doFinal(turn.username().getBytes(StandardCharsets.UTF_8)));
            assertEquals(expected, turn.credential());
            assertEquals(
                    expected,
                    IceServers.credential(
                            TURN_SECRET.getBytes(StandardCharsets.UTF_8), turn.username()));
        }
        // credentials are minted per join
        try (TestClient c1 = TestClient.established(gw.ws(), gw.publicKey());
                TestClient c2 = TestClient.established(gw.ws(), gw.publicKey())) {
            c1.send(new RoomMessage.Join(Peers.roomId(), Peers.key()));
            c2.send(new RoomMessage.Join(Peers.roomId(), Peers.key()));
            String u1 = ((RoomMessage.Joined) c1.receive()).iceServers().get(1).username();
            String u2 = ((RoomMessage.Joined) c2.receive()).iceServers().get(1).username();
            assertFalse(u1.equals(u2));
        }
    }

    @Test
    void wellKnownDocumentNamesKeyAndVersions() throws Exception {
        HttpResponse<String> r = gw.get("/.well-known/hybridge.json");
        assertEquals(200, r.statusCode());
        JsonNode doc = new ObjectMapper().readTree(r.body());
        assertEquals("[1]", doc.path("versions").toString());
        assertEquals("[1]", doc.path("suites").toString());
        byte[] pk = Base64.getUrlDecoder().decode(doc.path("public_key").asText());
        assertArrayEquals(gw.publicKey(), pk);
        assertEquals(1216, pk.length);
        assertEquals(Fingerprint.toHex(Fingerprint.of(pk)), doc.path("fingerprint").asText());
        assertEquals(64, doc.path("fingerprint").asText().length());
        // the web client's settings (spec/hop-handshake.md §3, hybridge.client)
        assertEquals(104857600, doc.path("client").path("file_max_bytes").asInt());
    }

    @Test
    void webClientIsServedWithStrictHeaders() throws Exception {
        HttpResponse<String> r = gw.get("/");
        assertEquals(200, r.statusCode());
        // The web client's build (web-client/dist, copied into the jar by Maven) or the
        // placeholder.
        assertTrue(r.body().contains("<title>Hybridge</title>"));
        assertFalse(r.body().matches("(?s).*<script(?![^>]*\\bsrc=)[^>]*>.*"), "no inline script");
        assertFalse(r.body().contains(" style="), "no inline style");
        assertEquals(
                dev.hybridge.gateway.web.SecurityHeaders.CONTENT_SECURITY_POLICY,
                r.headers().firstValue("Content-Security-Policy").orElseThrow());
        String csp = r.headers().firstValue("Content-Security-Policy").orElseThrow();
        assertFalse(csp.contains("unsafe-inline"));
        assertTrue(csp.contains("script-src 'self'"));
        assertEquals("nosniff", r.headers().firstValue("X-Content-Type-Options").orElseThrow());
        assertEquals("no-referrer", r.headers().firstValue("Referrer-Policy").orElseThrow());
        String pp = r.headers().firstValue("Permissions-Policy").orElseThrow();
        assertTrue(
                pp.contains("microphone=(self)")
                        && pp.contains("display-capture=(self)")
                        && pp.contains("camera=(self)"));
        assertEquals(404, gw.get("/nope.js").statusCode());
    }

    @Test
    void healthAndMetrics() throws Exception {
        assertEquals(200, gw.get("/health").statusCode());
        assertEquals(200, gw.get("/health/live").statusCode());
        assertEquals(200, gw.get("/health/ready").statusCode());
        try (TestClient c = TestClient.established(gw.ws(), gw.publicKey())) {
            c.send(new RoomMessage.Join(Peers.roomId(), Peers.key()));
            c.receive();
            HttpResponse<String> m = gw.get("/metrics");
            assertTrue(
                    m.headers().firstValue("Content-Type").orElseThrow().startsWith("text/plain"));
            for (String name :
                    List.of(
                            "hybridge_connections ",
                            "hybridge_connections_total ",
                            "hybridge_handshakes_completed_total ",
                            "hybridge_rooms ",
                            "hybridge_peers ",
                            "hybridge_envelopes_relayed_total ",
                            "hybridge_envelope_bytes_relayed_total ",
                            "# TYPE hybridge_handshakes_failed_total counter",
                            "# TYPE hybridge_inputs_rejected_total counter",
                            "# TYPE hybridge_limit_hits_total counter")) {
                assertTrue(m.body().contains(name), name);
            }
            assertTrue(gw.metric("hybridge_rooms") >= 1);
            assertTrue(gw.metric("hybridge_handshakes_completed_total") >= 1);
        }
    }

    @Test
    void keyFileIsOwnerOnly() throws Exception {
        assertEquals(
                "rw-------",
                PosixFilePermissions.toString(
                        Files.getPosixFilePermissions(dir.resolve("keys/gateway.key"))));
        assertEquals(32, Files.size(dir.resolve("keys/gateway.key")));
    }

    static void waitFor(java.util.function.BooleanSupplier cond) throws InterruptedException {
        dev.hybridge.gateway.testing.NextToAHealthyRoom.waitFor(cond);
    }
}
