package dev.hybridge.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hybridge.crypto.ErrorCode;
import dev.hybridge.crypto.FailureCode;
import dev.hybridge.crypto.XWingKeyPair;
import dev.hybridge.crypto.handshake.HopClient;
import dev.hybridge.gateway.testing.NextToAHealthyRoom;
import dev.hybridge.gateway.testing.Peers;
import dev.hybridge.gateway.testing.RawWebSocket;
import dev.hybridge.gateway.testing.TestClient;
import dev.hybridge.gateway.testing.TestGateway;
import dev.hybridge.protocol.RoomCodec;
import dev.hybridge.protocol.RoomError;
import dev.hybridge.protocol.RoomMessage;
import java.net.http.WebSocketHandshakeException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every abuse case of issue 3, each with its exact error or close code and its metric, while a
 * healthy room on the same gateway keeps relaying: after each case the healthy room must have
 * received every envelope exactly once and in order.
 */
class AbuseTest extends NextToAHealthyRoom {
    static final SecureRandom RNG = new SecureRandom();

    @TempDir static Path dir;
    static TestGateway gw;

    @BeforeAll
    static void start() throws Exception {
        gw =
                TestGateway.start(
                        dir.resolve("gateway.key"),
                        Map.of(
                                "hybridge.limits.handshake-timeout", "PT1S",
                                "hybridge.limits.idle-timeout", "PT2S",
                                "hybridge.limits.ping-interval", "PT0.3S",
                                "hybridge.limits.messages-per-second", "100",
                                "hybridge.limits.message-burst", "100",
                                "hybridge.limits.connections-per-address", "8",
                                "hybridge.limits.max-rooms", "4",
                                "hybridge.limits.room-capacity", "3",
                                "hybridge.limits.envelope-max-bytes", "16473"));
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    @Override
    protected TestGateway gateway() {
        return gw;
    }

    private long rejected(FailureCode code) throws Exception {
        return gw.metric("hybridge_inputs_rejected_total{reason=\"" + code.name() + "\"}");
    }

    /** Asserts the server closed {@code c} with 4000+code and the code's name, and counted it. */
    private void assertClosedWith(TestClient c, FailureCode code, long rejectedBefore)
            throws Exception {
        TestClient.Close close = c.awaitClose();
        assertEquals(code.closeCode(), close.code(), "close code; reason " + close.reason());
        assertEquals(code.name(), close.reason());
        assertEquals(
                rejectedBefore + 1, rejected(code), "counted in hybridge_inputs_rejected_total");
    }

    private RoomMessage.Error assertError(TestClient c, FailureCode code) throws Exception {
        RoomMessage.Error e = assertInstanceOf(RoomMessage.Error.class, c.receive());
        assertEquals(code.code(), e.code(), "got " + RoomError.nameOf(e.code()));
        assertFalse(c.isClosed(), code + " is not fatal");
        return e;
    }

    // ------------------------------------------------------------ before and during the handshake

    @Test
    void garbageBeforeHandshake() throws Exception {
        long before = rejected(ErrorCode.UNEXPECTED_MESSAGE);
        long hsBefore = gw.metric("hybridge_handshakes_failed_total{code=\"UNEXPECTED_MESSAGE\"}");
        TestClient c = TestClient.connect(gw.ws());
        byte[] junk = new byte[500];
        RNG.nextBytes(junk);
        junk[0] = 0x55;
        c.sendRaw(junk);
        assertClosedWith(c, ErrorCode.UNEXPECTED_MESSAGE, before);
        assertEquals(
                hsBefore + 1,
                gw.metric("hybridge_handshakes_failed_total{code=\"UNEXPECTED_MESSAGE\"}"));
    }

    @Test
    void emptyMessageBeforeHandshake() throws Exception {
        long before = rejected(ErrorCode.MALFORMED_MESSAGE);
        TestClient c = TestClient.connect(gw.ws());
        c.sendRaw(new byte[0]);
        assertClosedWith(c, ErrorCode.MALFORMED_MESSAGE, before);
    }

    @Test
    void textFrame() throws Exception {
        long before = rejected(ErrorCode.MALFORMED_MESSAGE);
        TestClient c = TestClient.connect(gw.ws());
        c.sendText("{\"type\":\"join\"}");
        assertClosedWith(c, ErrorCode.MALFORMED_MESSAGE, before);
    }

    @Test
    void truncatedClientHello() throws Exception {
        long before = rejected(ErrorCode.MALFORMED_MESSAGE);
        TestClient c = TestClient.connect(gw.ws());
        byte[] hello = HopClient.start(gw.publicKey(), RNG).clientHello();
        c.sendRaw(Arrays.copyOf(hello, hello.length - 1));
        assertClosedWith(c, ErrorCode.MALFORMED_MESSAGE, before);
    }

    @Test
    void clientHelloWithUnsupportedVersion() throws Exception {
        long before = rejected(ErrorCode.UNSUPPORTED_VERSION);
        TestClient c = TestClient.connect(gw.ws());
        byte[] hello = HopClient.start(gw.publicKey(), RNG).clientHello();
        hello[1] = 2;
        c.sendRaw(hello);
        assertClosedWith(c, ErrorCode.UNSUPPORTED_VERSION, before);
    }

    @Test
    void clientHelloForAnotherGatewayKey() throws Exception {
        long before = rejected(ErrorCode.UNKNOWN_GATEWAY_KEY);
        TestClient c = TestClient.connect(gw.ws());
        c.sendRaw(HopClient.start(XWingKeyPair.generate(RNG).publicKey(), RNG).clientHello());
        assertClosedWith(c, ErrorCode.UNKNOWN_GATEWAY_KEY, before);
    }

    @Test
    void replayedHandshakeOnANewConnectionFailsConfirmation() throws Exception {
        // record a complete handshake ...
        HopClient.Started started = HopClient.start(gw.publicKey(), RNG);
        byte[] finished;
        try (TestClient first = TestClient.connect(gw.ws())) {
            first.sendRaw(started.clientHello());
            finished = started.next().receive(first.nextRaw()).clientFinished();
            first.sendRaw(finished);
        }
        // ... and replay it: the gateway encapsulates afresh, so the old ClientFinished cannot
        // match
        long before = rejected(ErrorCode.CONFIRMATION_FAILED);
        TestClient replay = TestClient.connect(gw.ws());
        replay.sendRaw(started.clientHello());
        assertTrue(replay.nextRaw() != null, "a fresh ServerHello");
        replay.sendRaw(finished);
        assertClosedWith(replay, ErrorCode.CONFIRMATION_FAILED, before);
    }

    @Test
    void clientHelloTwiceOnOneConnection() throws Exception {
        long before = rejected(ErrorCode.UNEXPECTED_MESSAGE);
        TestClient c = TestClient.connect(gw.ws());
        byte[] hello = HopClient.start(gw.publicKey(), RNG).clientHello();
        c.sendRaw(hello);
        assertTrue(c.nextRaw() != null);
        c.sendRaw(hello);
        assertClosedWith(c, ErrorCode.UNEXPECTED_MESSAGE, before);
    }

    @Test
    void recordBeforeClientFinished() throws Exception {
        long before = rejected(ErrorCode.UNEXPECTED_MESSAGE);
        TestClient c = TestClient.connect(gw.ws());
        HopClient.Started started = HopClient.start(gw.publicKey(), RNG);
        c.sendRaw(started.clientHello());
        HopClient.Established est = started.next().receive(c.nextRaw());
        c.sendRaw(
                est.channel()
                        .seal(RoomCodec.encode(new RoomMessage.Leave()))); // skips ClientFinished
        assertClosedWith(c, ErrorCode.UNEXPECTED_MESSAGE, before);
    }

    @Test
    void handshakeTimeout() throws Exception {
        long before = gw.metric("hybridge_limit_hits_total{limit=\"handshake_timeout\"}");
        long rBefore = rejected(ErrorCode.HANDSHAKE_TIMEOUT);
        TestClient silent = TestClient.connect(gw.ws());
        TestClient halfway = TestClient.connect(gw.ws());
        halfway.sendRaw(
                HopClient.start(gw.publicKey(), RNG).clientHello()); // never sends ClientFinished
        assertTrue(halfway.nextRaw() != null);
        for (TestClient c : List.of(silent, halfway)) {
            TestClient.Close close = c.awaitClose();
            assertEquals(ErrorCode.HANDSHAKE_TIMEOUT.closeCode(), close.code());
            assertEquals("HANDSHAKE_TIMEOUT", close.reason());
        }
        assertEquals(
                before + 2, gw.metric("hybridge_limit_hits_total{limit=\"handshake_timeout\"}"));
        assertEquals(rBefore + 2, rejected(ErrorCode.HANDSHAKE_TIMEOUT));
    }

    // ------------------------------------------------------------ records

    @Test
    void forgedRecord() throws Exception {
        long before = rejected(ErrorCode.RECORD_AUTH_FAILED);
        TestClient c = TestClient.established(gw.ws(), gw.publicKey());
        byte[] rec =
                c.channel()
                        .seal(RoomCodec.encode(new RoomMessage.Join(Peers.roomId(), Peers.key())));
        rec[rec.length - 1] ^= 1;
        c.sendRaw(rec);
        assertClosedWith(c, ErrorCode.RECORD_AUTH_FAILED, before);
    }

    @Test
    void replayedRecord() throws Exception {
        long before = rejected(ErrorCode.RECORD_REPLAYED);
        TestClient c = TestClient.established(gw.ws(), gw.publicKey());
        byte[] rec = c.channel().seal(RoomCodec.encode(new RoomMessage.Leave()));
        c.sendRaw(rec);
        assertError(c, RoomError.NOT_IN_ROOM);
        c.sendRaw(rec);
        assertClosedWith(c, ErrorCode.RECORD_REPLAYED, before);
    }

    @Test
    void recordOutOfOrder() throws Exception {
        long before = rejected(ErrorCode.RECORD_OUT_OF_ORDER);
        TestClient c = TestClient.established(gw.ws(), gw.publicKey());
        c.channel().seal(RoomCodec.encode(new RoomMessage.Leave())); // seq 0, never sent
        c.sendRaw(c.channel().seal(RoomCodec.encode(new RoomMessage.Leave())));
        assertClosedWith(c, ErrorCode.RECORD_OUT_OF_ORDER, before);
    }

    @Test
    void unknownRoomMessageType() throws Exception {
        long before = rejected(RoomError.UNKNOWN_MESSAGE);
        TestClient c = TestClient.established(gw.ws(), gw.publicKey());
        c.sendPlain(new byte[] {0x7E, 1, 2, 3});
        assertClosedWith(c, RoomError.UNKNOWN_MESSAGE, before);
    }

    @Test
    void malformedRoomMessage() throws Exception {
        long before = rejected(ErrorCode.MALFORMED_MESSAGE);
        TestClient c = TestClient.established(gw.ws(), gw.publicKey());
        byte[] join = RoomCodec.encode(new RoomMessage.Join(Peers.roomId(), Peers.key()));
        c.sendPlain(Arrays.copyOf(join, join.length - 1));
        assertClosedWith(c, ErrorCode.MALFORMED_MESSAGE, before);
    }

    @Test
    void gatewayMessageTypeFromAClient() throws Exception {
        long before = rejected(ErrorCode.UNEXPECTED_MESSAGE);
        TestClient c = TestClient.established(gw.ws(), gw.publicKey());
        c.send(new RoomMessage.Relayed(new byte[8], new byte[] {1}));
        assertClosedWith(c, ErrorCode.UNEXPECTED_MESSAGE, before);
    }

    @Test
    void oversizedFrame() throws Exception {
        long before = gw.metric("hybridge_limit_hits_total{limit=\"max_frame\"}");
        TestClient c = TestClient.established(gw.ws(), gw.publicKey());
        c.sendRaw(new byte[gw.gateway().limits().maxFrameBytes() + 1]);
        TestClient.Close close = c.awaitClose();
        assertEquals(1009, close.code());
        assertEquals("MESSAGE_TOO_LARGE", close.reason());
        assertEquals(before + 1, gw.metric("hybridge_limit_hits_total{limit=\"max_frame\"}"));
    }

    @Test
    void oversizedMessageInFragments() throws Exception {
        long before = gw.metric("hybridge_limit_hits_total{limit=\"max_frame\"}");
        try (RawWebSocket raw = RawWebSocket.connect(gw.port())) {
            byte[] part = new byte[40_000];
            raw.sendFrame(0x2, part, false);
            raw.sendFrame(0x0, part, true); // 80,000 bytes in all
            RawWebSocket.Frame close = raw.readUntilClose();
            assertEquals(1009, close.closeCode());
            assertEquals("MESSAGE_TOO_LARGE", close.closeReason());
        }
        assertEquals(before + 1, gw.metric("hybridge_limit_hits_total{limit=\"max_frame\"}"));
    }

    @Test
    void envelopeOverTheConfiguredCapIsRefusedButNotFatal() throws Exception {
        byte[] roomId = Peers.roomId();
        try (TestClient a = TestClient.established(gw.ws(), gw.publicKey());
                TestClient b = TestClient.established(gw.ws(), gw.publicKey())) {
            a.send(new RoomMessage.Join(roomId, Peers.key()));
            a.receive();
            b.send(new RoomMessage.Join(roomId, Peers.key()));
            RoomMessage.Joined jb = (RoomMessage.Joined) b.receive();
            a.receive();
            long before = rejected(RoomError.ENVELOPE_TOO_LARGE);
            a.send(new RoomMessage.Relay(jb.peerId(), new byte[16474]));
            assertArrayEquals(jb.peerId(), assertError(a, RoomError.ENVELOPE_TOO_LARGE).ref());
            assertEquals(before + 1, rejected(RoomError.ENVELOPE_TOO_LARGE));
            a.send(new RoomMessage.Relay(jb.peerId(), new byte[16473]));
            assertEquals(
                    16473,
                    assertInstanceOf(RoomMessage.Relayed.class, b.receive()).envelope().length);
        }
    }

    // ------------------------------------------------------------ room protocol misuse

    @Test
    void joinToAFullRoom() throws Exception {
        byte[] roomId = Peers.roomId();
        List<TestClient> members = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                TestClient c = TestClient.established(gw.ws(), gw.publicKey());
                c.send(new RoomMessage.Join(roomId, Peers.key()));
                assertInstanceOf(RoomMessage.Joined.class, c.receive());
                members.add(c);
            }
            long before = rejected(RoomError.ROOM_FULL);
            try (TestClient late = TestClient.established(gw.ws(), gw.publicKey())) {
                late.send(new RoomMessage.Join(roomId, Peers.key()));
                assertNull(assertError(late, RoomError.ROOM_FULL).ref());
                assertEquals(before + 1, rejected(RoomError.ROOM_FULL));
            }
        } finally {
            members.forEach(TestClient::close);
        }
    }

    @Test
    void relayToAPeerNotInTheRoom() throws Exception {
        byte[] roomId = Peers.roomId();
        try (TestClient a = TestClient.established(gw.ws(), gw.publicKey());
                TestClient other = TestClient.established(gw.ws(), gw.publicKey())) {
            a.send(new RoomMessage.Join(roomId, Peers.key()));
            RoomMessage.Joined ja = (RoomMessage.Joined) a.receive();
            other.send(new RoomMessage.Join(Peers.roomId(), Peers.key())); // a peer of another room
            RoomMessage.Joined jo = (RoomMessage.Joined) other.receive();
            long before = rejected(RoomError.UNKNOWN_PEER);
            a.send(new RoomMessage.Relay(jo.peerId(), new byte[] {1, 2, 3}));
            assertArrayEquals(jo.peerId(), assertError(a, RoomError.UNKNOWN_PEER).ref());
            a.send(new RoomMessage.Relay(ja.peerId(), new byte[] {1})); // to itself
            assertArrayEquals(ja.peerId(), assertError(a, RoomError.UNKNOWN_PEER).ref());
            assertEquals(before + 2, rejected(RoomError.UNKNOWN_PEER));
            assertNull(other.nextRaw(Duration.ofMillis(200)), "nothing leaked into the other room");
        }
    }

    @Test
    void relayWithoutJoining() throws Exception {
        try (TestClient c = TestClient.established(gw.ws(), gw.publicKey())) {
            c.send(new RoomMessage.Relay(new byte[8], new byte[] {1}));
            assertError(c, RoomError.NOT_IN_ROOM);
        }
    }

    @Test
    void joinTwice() throws Exception {
        try (TestClient c = TestClient.established(gw.ws(), gw.publicKey())) {
            c.send(new RoomMessage.Join(Peers.roomId(), Peers.key()));
            c.receive();
            c.send(new RoomMessage.Join(Peers.roomId(), Peers.key()));
            assertError(c, RoomError.ALREADY_JOINED);
        }
    }

    @Test
    void tooManyRooms() throws Exception {
        List<TestClient> cs = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) { // the healthy room is the 1st of 4
                TestClient c = TestClient.established(gw.ws(), gw.publicKey());
                c.send(new RoomMessage.Join(Peers.roomId(), Peers.key()));
                assertInstanceOf(RoomMessage.Joined.class, c.receive());
                cs.add(c);
            }
            long before = gw.metric("hybridge_limit_hits_total{limit=\"max_rooms\"}");
            TestClient fifth = TestClient.established(gw.ws(), gw.publicKey());
            cs.add(fifth);
            fifth.send(new RoomMessage.Join(Peers.roomId(), Peers.key()));
            assertError(fifth, RoomError.TOO_MANY_ROOMS);
            assertEquals(before + 1, gw.metric("hybridge_limit_hits_total{limit=\"max_rooms\"}"));
        } finally {
            cs.forEach(TestClient::close);
        }
    }

    // ------------------------------------------------------------ connection-level limits

    @Test
    void foreignOriginIsRefusedAtUpgrade() throws Exception {
        long before = gw.metric("hybridge_inputs_rejected_total{reason=\"FOREIGN_ORIGIN\"}");
        CompletionException e =
                assertThrows(
                        CompletionException.class,
                        () ->
                                TestClient.connect(
                                        gw.ws(), Map.of("Origin", "https://evil.example")));
        WebSocketHandshakeException hs =
                assertInstanceOf(WebSocketHandshakeException.class, e.getCause());
        assertEquals(403, hs.getResponse().statusCode());
        assertEquals(
                before + 1, gw.metric("hybridge_inputs_rejected_total{reason=\"FOREIGN_ORIGIN\"}"));
        // the gateway's own origin is accepted
        try (TestClient ok =
                TestClient.connect(gw.ws(), Map.of("Origin", "http://127.0.0.1:" + gw.port()))) {
            ok.handshake(gw.publicKey());
        }
    }

    @Test
    void rateLimit() throws Exception {
        long before = rejected(RoomError.RATE_LIMITED);
        TestClient c = TestClient.established(gw.ws(), gw.publicKey());
        try {
            for (int i = 0; i < 400 && !c.isClosed(); i++) {
                c.send(new RoomMessage.Leave());
            }
        } catch (CompletionException closedWhileSending) {
            // the gateway closed the connection in the middle of the flood
        }
        assertClosedWith(c, RoomError.RATE_LIMITED, before);
        assertTrue(gw.metric("hybridge_limit_hits_total{limit=\"messages_per_second\"}") >= 1);
    }

    @Test
    void connectionsPerAddress() throws Exception {
        long before = rejected(RoomError.TOO_MANY_CONNECTIONS);
        long hits = gw.metric("hybridge_limit_hits_total{limit=\"connections\"}");
        List<TestClient> cs = new ArrayList<>();
        try {
            for (int i = 0; i < 6; i++) { // 2 healthy + 6 = the cap of 8
                cs.add(TestClient.established(gw.ws(), gw.publicKey()));
            }
            // refused at accept, before a byte of it is read: 503 (or, if the client's request
            // was still arriving when the socket closed, a reset); never an upgrade
            CompletionException e =
                    assertThrows(CompletionException.class, () -> TestClient.connect(gw.ws()));
            if (e.getCause() instanceof WebSocketHandshakeException hs) {
                assertEquals(503, hs.getResponse().statusCode());
            }
        } finally {
            cs.forEach(TestClient::close);
        }
        GatewayFlowTest.waitFor(() -> gw.gateway().connectionLimiter().open() == 2);
        assertEquals(before + 1, rejected(RoomError.TOO_MANY_CONNECTIONS));
        assertEquals(hits + 1, gw.metric("hybridge_limit_hits_total{limit=\"connections\"}"));
    }

    @Test
    void idleTimeoutWhenPingsGoUnanswered() throws Exception {
        long before = gw.metric("hybridge_limit_hits_total{limit=\"idle_timeout\"}");
        try (RawWebSocket raw = RawWebSocket.connect(gw.port())) {
            // complete the handshake by hand, then never answer a ping
            HopClient.Started started = HopClient.start(gw.publicKey(), RNG);
            raw.sendBinary(started.clientHello());
            RawWebSocket.Frame hello = raw.readFrame();
            raw.sendBinary(started.next().receive(hello.payload()).clientFinished());
            RawWebSocket.Frame close = raw.readUntilClose();
            assertEquals(RoomError.IDLE_TIMEOUT.closeCode(), close.closeCode());
            assertEquals("IDLE_TIMEOUT", close.closeReason());
        }
        assertEquals(before + 1, gw.metric("hybridge_limit_hits_total{limit=\"idle_timeout\"}"));
    }
}
