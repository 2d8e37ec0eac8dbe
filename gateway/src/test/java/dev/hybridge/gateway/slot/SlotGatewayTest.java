package dev.hybridge.gateway.slot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hybridge.crypto.ErrorCode;
import dev.hybridge.crypto.ProtocolException;
import dev.hybridge.crypto.XWingKeyPair;
import dev.hybridge.crypto.code.CodeSchedule;
import dev.hybridge.crypto.handshake.PeerInitiator;
import dev.hybridge.crypto.handshake.PeerResponder;
import dev.hybridge.crypto.handshake.PeerSession;
import dev.hybridge.gateway.testing.TestClient;
import dev.hybridge.gateway.testing.TestGateway;
import dev.hybridge.protocol.RoomError;
import dev.hybridge.protocol.RoomMessage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Short-code slots on the real gateway over real WebSockets (spec/short-codes.md §5): a whole
 * code exchange (CPace, X-Wing peer handshake, invite) through a slot; one joiner per slot; a
 * wrong code burns the slot and the creator is told; expiry; the per-address buckets; the caps.
 */
class SlotGatewayTest {
    private static final SecureRandom RNG = new SecureRandom();

    @TempDir static Path dir;
    static TestGateway gw;

    @BeforeAll
    static void start() throws Exception {
        gw =
                TestGateway.start(
                        dir.resolve("keys/gateway.key"),
                        Map.of(
                                "hybridge.limits.slot-attempt-burst", "1000",
                                "hybridge.limits.slot-create-burst", "1000"));
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    static byte[] random(int n) {
        byte[] b = new byte[n];
        RNG.nextBytes(b);
        return b;
    }

    static RoomMessage.Error error(TestClient c) throws Exception {
        return assertInstanceOf(RoomMessage.Error.class, c.receive());
    }

    static void assertError(RoomError code, TestClient c) throws Exception {
        assertEquals(code.code(), error(c).code(), "expected " + code);
    }

    static byte[] envelope(TestClient c) throws Exception {
        return assertInstanceOf(RoomMessage.Relayed.class, c.receive()).envelope();
    }

    /** The creator's and joiner's sides of one exchange; returns the invite the joiner read. */
    static String exchange(
            TestClient creator,
            TestClient joiner,
            String creatorCode,
            String joinerCode,
            long slot,
            byte[] sid)
            throws Exception {
        byte[] fp = fingerprint();
        XWingKeyPair ck = XWingKeyPair.generate(RNG);
        XWingKeyPair jk = XWingKeyPair.generate(RNG);
        CodeSchedule.Party c = CodeSchedule.creator(creatorCode, fp, slot, sid, random(32), null);
        CodeSchedule.Party j = CodeSchedule.joiner(joinerCode, fp, slot, sid, random(32), null);
        joiner.send(new RoomMessage.Relay(SlotRegistry.CREATOR_ID, j.shareMessage()));
        creator.send(new RoomMessage.Relay(SlotRegistry.JOINER_ID, c.shareMessage()));
        PeerInitiator.Started s =
                PeerInitiator.start(j.receive(envelope(joiner)), jk, ck.publicKey(), RNG);
        joiner.send(new RoomMessage.Relay(SlotRegistry.CREATOR_ID, s.peerInit()));
        byte[] cp1 = envelope(creator);
        byte[] init = envelope(creator);
        PeerResponder.Accepted a = PeerResponder.receive(c.receive(cp1), ck, init, RNG);
        creator.send(new RoomMessage.Relay(SlotRegistry.JOINER_ID, a.peerAccept()));
        PeerInitiator.Established e = s.next().receive(envelope(joiner)); // throws on a wrong code
        joiner.send(new RoomMessage.Relay(SlotRegistry.CREATOR_ID, e.peerFinish()));
        PeerSession cs = a.next().receive(envelope(creator));
        byte[] invite = "{\"t\":\"invite\",\"link\":\"x\"}".getBytes(StandardCharsets.UTF_8);
        creator.send(new RoomMessage.Relay(SlotRegistry.JOINER_ID, cs.channel().seal(invite)));
        return new String(e.session().channel().open(envelope(joiner)), StandardCharsets.UTF_8);
    }

    static byte[] fingerprint() {
        return java.util.HexFormat.of().parseHex(gw.gateway().fingerprintHex());
    }

    static RoomMessage.SlotOpened open(TestClient creator) throws Exception {
        creator.send(new RoomMessage.SlotOpen(XWingKeyPair.generate(RNG).publicKey()));
        return assertInstanceOf(RoomMessage.SlotOpened.class, creator.receive());
    }

    static RoomMessage.SlotPaired join(TestClient joiner, long slot) throws Exception {
        joiner.send(new RoomMessage.SlotJoin(slot, XWingKeyPair.generate(RNG).publicKey()));
        return assertInstanceOf(RoomMessage.SlotPaired.class, joiner.receive());
    }

    @Test
    void aCodeCarriesTheInviteAndTheSlotIsUsedOnce() throws Exception {
        long created = gw.metric("hybridge_slots_total{event=\"created\"}");
        long used = gw.metric("hybridge_slots_total{event=\"used\"}");
        try (TestClient creator = TestClient.established(gw.ws(), gw.publicKey());
                TestClient joiner = TestClient.established(gw.ws(), gw.publicKey());
                TestClient third = TestClient.established(gw.ws(), gw.publicKey())) {
            RoomMessage.SlotOpened o = open(creator);
            assertTrue(o.slot() >= 1);
            assertEquals(300, o.ttlSeconds());
            RoomMessage.SlotPaired pj = join(joiner, o.slot());
            RoomMessage.SlotPaired pc =
                    assertInstanceOf(RoomMessage.SlotPaired.class, creator.receive());
            assertArrayEquals(o.sid(), pj.sid());
            assertArrayEquals(o.sid(), pc.sid());
            // a third party cannot take the slot once paired
            third.send(new RoomMessage.SlotJoin(o.slot(), XWingKeyPair.generate(RNG).publicKey()));
            assertError(RoomError.SLOT_USED, third);
            String code = String.format("%06d", RNG.nextInt(1_000_000));
            assertEquals(
                    "{\"t\":\"invite\",\"link\":\"x\"}",
                    exchange(creator, joiner, code, code, o.slot(), o.sid()));
            creator.send(new RoomMessage.SlotDone(false));
            creator.send(new RoomMessage.SlotDone(false));
            assertError(RoomError.NOT_IN_ROOM, creator); // the first one ended the slot
            joiner.send(new RoomMessage.SlotDone(false));
            assertError(RoomError.NOT_IN_ROOM, joiner); // so the joiner holds nothing either
            third.send(new RoomMessage.SlotJoin(o.slot(), XWingKeyPair.generate(RNG).publicKey()));
            assertError(RoomError.SLOT_USED, third);
        }
        assertEquals(created + 1, gw.metric("hybridge_slots_total{event=\"created\"}"));
        assertEquals(used + 1, gw.metric("hybridge_slots_total{event=\"used\"}"));
    }

    @Test
    void aWrongCodeBurnsTheSlotAndTheCreatorIsTold() throws Exception {
        long burned = gw.metric("hybridge_slots_total{event=\"burned\"}");
        try (TestClient creator = TestClient.established(gw.ws(), gw.publicKey());
                TestClient joiner = TestClient.established(gw.ws(), gw.publicKey());
                TestClient third = TestClient.established(gw.ws(), gw.publicKey())) {
            RoomMessage.SlotOpened o = open(creator);
            join(joiner, o.slot());
            creator.receive(); // SLOT_PAIRED
            ProtocolException e =
                    assertThrows(
                            ProtocolException.class,
                            () -> exchange(creator, joiner, "123456", "123465", o.slot(), o.sid()));
            assertEquals(ErrorCode.CONFIRMATION_FAILED, e.code());
            joiner.send(new RoomMessage.SlotDone(true));
            assertError(RoomError.SLOT_BURNED, creator);
            third.send(new RoomMessage.SlotJoin(o.slot(), XWingKeyPair.generate(RNG).publicKey()));
            assertError(RoomError.SLOT_BURNED, third);
        }
        assertEquals(burned + 1, gw.metric("hybridge_slots_total{event=\"burned\"}"));
    }

    @Test
    void aJoinerThatLeavesBurnsThePairedSlot() throws Exception {
        long burned = gw.metric("hybridge_slots_total{event=\"burned\"}");
        try (TestClient creator = TestClient.established(gw.ws(), gw.publicKey())) {
            RoomMessage.SlotOpened o = open(creator);
            try (TestClient joiner = TestClient.established(gw.ws(), gw.publicKey())) {
                join(joiner, o.slot());
                creator.receive(); // SLOT_PAIRED
            }
            assertError(RoomError.SLOT_BURNED, creator);
        }
        assertEquals(burned + 1, gw.metric("hybridge_slots_total{event=\"burned\"}"));
    }

    @Test
    void refusalsLeaveTheConnectionOpen() throws Exception {
        try (TestClient c = TestClient.established(gw.ws(), gw.publicKey())) {
            c.send(
                    new RoomMessage.SlotJoin(
                            4_000_000_000L, XWingKeyPair.generate(RNG).publicKey()));
            assertError(RoomError.SLOT_UNKNOWN, c);
            c.send(new RoomMessage.SlotDone(false));
            assertError(RoomError.NOT_IN_ROOM, c);
            c.send(new RoomMessage.Relay(SlotRegistry.JOINER_ID, new byte[] {0x14}));
            assertError(RoomError.NOT_IN_ROOM, c);
            RoomMessage.SlotOpened o = open(c);
            c.send(new RoomMessage.SlotOpen(XWingKeyPair.generate(RNG).publicKey()));
            assertError(RoomError.ALREADY_JOINED, c);
            c.send(new RoomMessage.Join(random(32), XWingKeyPair.generate(RNG).publicKey()));
            assertError(RoomError.ALREADY_JOINED, c);
            c.send(new RoomMessage.Relay(SlotRegistry.JOINER_ID, new byte[] {0x14}));
            assertError(RoomError.NOT_IN_ROOM, c); // not paired yet
            try (TestClient j = TestClient.established(gw.ws(), gw.publicKey())) {
                join(j, o.slot());
                c.receive();
                j.send(new RoomMessage.Relay(SlotRegistry.JOINER_ID, new byte[] {0x14}));
                RoomMessage.Error e = error(j);
                assertEquals(RoomError.UNKNOWN_PEER.code(), e.code()); // not to itself
                assertArrayEquals(SlotRegistry.JOINER_ID, e.ref());
            }
        }
    }

    @Test
    void expiryRateLimitsAndTheCap() throws Exception {
        try (TestGateway small =
                        TestGateway.start(
                                dir.resolve("keys/small.key"),
                                Map.of(
                                        "hybridge.limits.slot-ttl", "PT2S",
                                        "hybridge.limits.max-slots", "2",
                                        "hybridge.limits.slot-attempt-burst", "3",
                                        "hybridge.limits.slot-create-burst", "4"));
                TestClient a = TestClient.established(small.ws(), small.publicKey());
                TestClient b = TestClient.established(small.ws(), small.publicKey());
                TestClient c = TestClient.established(small.ws(), small.publicKey());
                TestClient j = TestClient.established(small.ws(), small.publicKey())) {
            a.send(new RoomMessage.SlotOpen(XWingKeyPair.generate(RNG).publicKey()));
            RoomMessage.SlotOpened oa = assertInstanceOf(RoomMessage.SlotOpened.class, a.receive());
            assertEquals(2, oa.ttlSeconds());
            b.send(new RoomMessage.SlotOpen(XWingKeyPair.generate(RNG).publicKey()));
            assertInstanceOf(RoomMessage.SlotOpened.class, b.receive());
            c.send(new RoomMessage.SlotOpen(XWingKeyPair.generate(RNG).publicKey()));
            assertError(RoomError.TOO_MANY_SLOTS, c);
            assertError(RoomError.SLOT_EXPIRED, a); // the countdown ran out
            j.send(new RoomMessage.SlotJoin(oa.slot(), XWingKeyPair.generate(RNG).publicKey()));
            assertError(RoomError.SLOT_EXPIRED, j);
            c.send(new RoomMessage.SlotOpen(XWingKeyPair.generate(RNG).publicKey()));
            RoomMessage.SlotOpened oc = assertInstanceOf(RoomMessage.SlotOpened.class, c.receive());
            assertTrue(oc.slot() != oa.slot(), "an expired number is not reused while remembered");
            for (int i = 0; i < 2; i++) {
                j.send(new RoomMessage.SlotJoin(999, XWingKeyPair.generate(RNG).publicKey()));
                assertError(RoomError.SLOT_UNKNOWN, j);
            }
            // the bucket (3) is empty now: even the right slot is refused, and stays open
            j.send(new RoomMessage.SlotJoin(oc.slot(), XWingKeyPair.generate(RNG).publicKey()));
            assertError(RoomError.SLOT_RATE_LIMITED, j);
            assertNull(c.nextRaw(Duration.ofMillis(200)), "the creator saw nothing");
            assertTrue(small.metric("hybridge_limit_hits_total{limit=\"slot_attempts\"}") >= 1);
            assertTrue(small.metric("hybridge_slots_total{event=\"expired\"}") >= 1);
            assertTrue(small.metric("hybridge_slots_open") >= 1); // c's, maybe b's still
        }
    }
}
