package dev.hybridge.crypto.properties;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.hybridge.crypto.ErrorCode;
import dev.hybridge.crypto.FailureCode;
import dev.hybridge.crypto.ProtocolException;
import dev.hybridge.crypto.XWingKeyPair;
import dev.hybridge.crypto.handshake.HopClient;
import dev.hybridge.crypto.handshake.HopServer;
import dev.hybridge.crypto.handshake.PeerContext;
import dev.hybridge.crypto.handshake.PeerInitiator;
import dev.hybridge.crypto.handshake.PeerResponder;
import dev.hybridge.crypto.internal.Primitives;
import dev.hybridge.crypto.record.DeterministicRecords;
import dev.hybridge.crypto.record.RecordFormat;
import dev.hybridge.crypto.record.RecordOpener;
import dev.hybridge.crypto.room.RoomSecret;
import java.security.SecureRandom;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;

/**
 * Any single-bit flip anywhere in any handshake message or record is rejected, with the code the
 * spec assigns to the field it lands in.
 */
class BitFlipProperties {
    private static final SecureRandom RNG = new SecureRandom();
    private static final XWingKeyPair GATEWAY = XWingKeyPair.generate(RNG);
    private static final HopServer SERVER = new HopServer(List.of(GATEWAY));

    private static byte[] flip(byte[] m, int bit) {
        byte[] c = m.clone();
        c[bit / 8] ^= (byte) (1 << (bit % 8));
        return c;
    }

    /** The code for a flip in the type|version|suite prefix, or null past it. */
    private static ErrorCode prefixCode(int byteIndex) {
        return switch (byteIndex) {
            case 0 -> ErrorCode.UNEXPECTED_MESSAGE;
            case 1 -> ErrorCode.UNSUPPORTED_VERSION;
            case 2, 3 -> ErrorCode.UNSUPPORTED_SUITE;
            default -> null;
        };
    }

    private static FailureCode codeOf(ThrowingRunnable r) {
        try {
            r.run();
            return null;
        } catch (ProtocolException e) {
            return e.code();
        }
    }

    interface ThrowingRunnable {
        void run() throws ProtocolException;
    }

    @Property(tries = 300)
    void clientHelloFlip(@ForAll @IntRange(min = 0, max = 2372 * 8 - 1) int bit) throws Exception {
        HopClient.Started s = HopClient.start(GATEWAY.publicKey(), RNG);
        byte[] bad = flip(s.clientHello(), bit);
        int i = bit / 8;
        ErrorCode expected = prefixCode(i);
        if (expected == null && i < 36) {
            expected = ErrorCode.UNKNOWN_GATEWAY_KEY;
        } else if (expected == null && i < 36 + 1184 && !Primitives.mlkemPublicKeyValid(bad, 36)) {
            expected = ErrorCode.INVALID_PUBLIC_KEY;
        } else if (expected == null) {
            // The gateway cannot tell (implicit rejection, or a different but valid key): the
            // handshake fails at the client's key confirmation instead.
            expected = ErrorCode.CONFIRMATION_FAILED;
        }
        FailureCode atGateway = codeOf(() -> SERVER.receiveClientHello(bad, RNG));
        if (atGateway != null) {
            assertEquals(expected, atGateway);
            return;
        }
        HopServer.Accepted a = SERVER.receiveClientHello(bad, RNG);
        assertEquals(expected, codeOf(() -> s.next().receive(a.serverHello())));
    }

    @Property(tries = 300)
    void serverHelloFlip(@ForAll @IntRange(min = 0, max = 1156 * 8 - 1) int bit) throws Exception {
        HopClient.Started s = HopClient.start(GATEWAY.publicKey(), RNG);
        HopServer.Accepted a = SERVER.receiveClientHello(s.clientHello(), RNG);
        ErrorCode expected = prefixCode(bit / 8);
        assertEquals(
                expected != null ? expected : ErrorCode.CONFIRMATION_FAILED,
                codeOf(() -> s.next().receive(flip(a.serverHello(), bit))));
    }

    @Property(tries = 100)
    void clientFinishedFlip(@ForAll @IntRange(min = 0, max = 33 * 8 - 1) int bit) throws Exception {
        HopClient.Started s = HopClient.start(GATEWAY.publicKey(), RNG);
        HopServer.Accepted a = SERVER.receiveClientHello(s.clientHello(), RNG);
        HopClient.Established e = s.next().receive(a.serverHello());
        assertEquals(
                bit < 8 ? ErrorCode.UNEXPECTED_MESSAGE : ErrorCode.CONFIRMATION_FAILED,
                codeOf(() -> a.next().receive(flip(e.clientFinished(), bit))));
    }

    @Property(tries = 200)
    void peerMessagesFlip(
            @ForAll @IntRange(min = 0, max = 2) int which,
            @ForAll @IntRange(min = 0, max = 2372 * 8 - 1) int rawBit)
            throws Exception {
        RoomSecret room = RoomSecret.of(RoomSecret.generate(RNG));
        byte[] idI = new byte[8];
        byte[] idR = new byte[] {1, 2, 3, 4, 5, 6, 7, 8};
        XWingKeyPair kI = XWingKeyPair.generate(RNG);
        XWingKeyPair kR = XWingKeyPair.generate(RNG);
        PeerInitiator.Started init =
                PeerInitiator.start(
                        new PeerContext(room.roomId(), room.psk(), idI, idR),
                        kI,
                        kR.publicKey(),
                        RNG);
        PeerContext rCtx = new PeerContext(room.roomId(), room.psk(), idI, idR);
        switch (which) {
            case 0 -> { // PeerInit: the responder may reject it, or accept and fail the initiator's
                // check
                int bit = rawBit % (2372 * 8);
                byte[] bad = flip(init.peerInit(), bit);
                int i = bit / 8;
                ErrorCode expected = prefixCode(i);
                if (expected == null && i < 4 + 1184 && !Primitives.mlkemPublicKeyValid(bad, 4)) {
                    expected = ErrorCode.INVALID_PUBLIC_KEY;
                } else if (expected == null) {
                    expected = ErrorCode.CONFIRMATION_FAILED;
                }
                FailureCode atResponder = codeOf(() -> PeerResponder.receive(rCtx, kR, bad, RNG));
                if (atResponder != null) {
                    assertEquals(expected, atResponder);
                    return;
                }
                PeerResponder.Accepted acc =
                        PeerResponder.receive(
                                new PeerContext(room.roomId(), room.psk(), idI, idR), kR, bad, RNG);
                assertEquals(expected, codeOf(() -> init.next().receive(acc.peerAccept())));
            }
            case 1 -> {
                int bit = rawBit % (1156 * 8);
                PeerResponder.Accepted acc = PeerResponder.receive(rCtx, kR, init.peerInit(), RNG);
                ErrorCode expected = prefixCode(bit / 8);
                assertEquals(
                        expected != null ? expected : ErrorCode.CONFIRMATION_FAILED,
                        codeOf(() -> init.next().receive(flip(acc.peerAccept(), bit))));
            }
            default -> {
                int bit = rawBit % (65 * 8);
                PeerResponder.Accepted acc = PeerResponder.receive(rCtx, kR, init.peerInit(), RNG);
                PeerInitiator.Established est = init.next().receive(acc.peerAccept());
                assertEquals(
                        bit < 8 ? ErrorCode.UNEXPECTED_MESSAGE : ErrorCode.CONFIRMATION_FAILED,
                        codeOf(() -> acc.next().receive(flip(est.peerFinish(), bit))));
            }
        }
    }

    @Property(tries = 1000)
    void recordFlip(
            @ForAll @Size(max = 300) byte[] payload,
            @ForAll @IntRange(min = 0, max = 100_000) int rawBit,
            @ForAll @LongRange(min = 0, max = 1L << 24) long startSeq)
            throws Exception {
        byte[] secret = new byte[32];
        RNG.nextBytes(secret);
        byte[] record =
                DeterministicRecords.sealerAt(secret, RecordFormat.HOP_MAX_PLAINTEXT, startSeq)
                        .seal(payload);
        int bit = rawBit % (record.length * 8);
        int i = bit / 8;
        ErrorCode expected;
        if (i == 0) {
            expected = ErrorCode.UNEXPECTED_MESSAGE;
        } else if (i <= 8) {
            // seq is big-endian at bytes 1..8: a flipped 0 bit moves it ahead, a flipped 1 bit
            // back.
            int shift = 8 * (8 - i) + bit % 8;
            expected =
                    ((startSeq >>> shift) & 1) == 0
                            ? ErrorCode.RECORD_OUT_OF_ORDER
                            : ErrorCode.RECORD_REPLAYED;
        } else {
            expected = ErrorCode.RECORD_AUTH_FAILED;
        }
        RecordOpener opener =
                DeterministicRecords.openerAt(secret, RecordFormat.HOP_MAX_PLAINTEXT, startSeq);
        assertEquals(expected, codeOf(() -> opener.open(flip(record, bit))));
        // Failure is terminal: the genuine record is refused afterwards too.
        assertEquals(expected, codeOf(() -> opener.open(record)));
    }
}
