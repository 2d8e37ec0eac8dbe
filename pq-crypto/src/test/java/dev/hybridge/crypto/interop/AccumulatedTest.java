package dev.hybridge.crypto.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.hybridge.crypto.ProtocolException;
import dev.hybridge.crypto.XWingKeyPair;
import dev.hybridge.crypto.handshake.DeterministicHandshakes;
import dev.hybridge.crypto.handshake.HopClient;
import dev.hybridge.crypto.handshake.HopServer;
import dev.hybridge.crypto.handshake.PeerContext;
import dev.hybridge.crypto.handshake.PeerInitiator;
import dev.hybridge.crypto.handshake.PeerResponder;
import dev.hybridge.crypto.handshake.PeerSession;
import dev.hybridge.crypto.record.Channel;
import dev.hybridge.crypto.record.DeterministicRecords;
import dev.hybridge.crypto.record.RecordFormat;
import dev.hybridge.crypto.record.RecordOpener;
import dev.hybridge.crypto.record.RecordSealer;
import dev.hybridge.crypto.room.RoomSecret;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Accumulated interop test (filippo.io/mlkem768's TestAccumulated idea): a deterministic generator
 * drives N hop handshakes, peer handshakes, records across epoch boundaries and one bit-flip
 * failure of each kind, and every output (messages, records, handshake hashes, SAS, error codes)
 * is hashed into one digest. web-client/test/accumulated.test.js runs the same construction
 * through the JavaScript implementation and asserts the same constant, each computed by its own
 * implementation: if either side drifts, its own build fails. The construction is specified in
 * test-vectors/README.md ("Accumulated interop digest"); change it there, here and in JS together.
 */
class AccumulatedTest {
    private static final int N = 200;
    private static final String EXPECTED =
            "6c6b493bf36e8cc043abc9b68250a0ad48a969b6707c7dac29e50acf5888a3e6";

    /** draw(n): the next n bytes of SHA-256("hybridge accumulated v1" || u64be(counter)) blocks. */
    private static final class Generator {
        private static final byte[] PREFIX =
                "hybridge accumulated v1".getBytes(StandardCharsets.US_ASCII);
        private long counter;

        byte[] draw(int n) {
            byte[] out = new byte[n];
            for (int got = 0; got < n; got += 32) {
                byte[] block = sha256(PREFIX, ByteBuffer.allocate(8).putLong(counter++).array());
                System.arraycopy(block, 0, out, got, Math.min(32, n - got));
            }
            return out;
        }

        int u16() {
            byte[] b = draw(2);
            return ((b[0] & 0xFF) << 8) | (b[1] & 0xFF);
        }

        long u32() {
            return ByteBuffer.wrap(draw(4)).getInt() & 0xFFFFFFFFL;
        }
    }

    /** SHA-256 over u32be(len(x)) || x for every absorbed x. */
    private static final class Accumulator {
        private final MessageDigest h = newSha256();

        void absorb(byte[] x) {
            h.update(ByteBuffer.allocate(4).putInt(x.length).array());
            h.update(x);
        }

        interface Scenario {
            void run() throws ProtocolException;
        }

        /** A failure that must happen: absorbs u16be(code number). */
        void absorbFailure(String what, Scenario s) {
            try {
                s.run();
            } catch (ProtocolException e) {
                absorb(new byte[] {(byte) (e.code().code() >> 8), (byte) e.code().code()});
                return;
            }
            fail(what + ": accepted");
        }

        String hex() {
            return HexFormat.of().formatHex(h.digest());
        }
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] sha256(byte[]... parts) {
        MessageDigest d = newSha256();
        for (byte[] p : parts) {
            d.update(p);
        }
        return d.digest();
    }

    private static byte[] flipBit(byte[] msg, long bit) {
        byte[] m = msg.clone();
        m[(int) (bit >> 3)] ^= (byte) (1 << (bit & 7));
        return m;
    }

    private interface Seal {
        byte[] seal(byte[] pt) throws ProtocolException;
    }

    private interface Open {
        byte[] open(byte[] rec) throws ProtocolException;
    }

    private static void exchange(
            Generator gen, Accumulator acc, List<Seal> sealers, List<Open> openers, int count)
            throws ProtocolException {
        for (int j = 0; j < count; j++) {
            byte[] pt = gen.draw(gen.u16() % 300);
            byte[] rec = sealers.get(j % 2).seal(pt);
            acc.absorb(rec);
            assertArrayEquals(pt, openers.get(j % 2).open(rec));
        }
    }

    static String accumulated(int n) throws ProtocolException {
        Generator gen = new Generator();
        Accumulator acc = new Accumulator();
        for (int i = 0; i < n; i++) {
            // Hop handshake, four records alternating c2s/s2c, one ServerHello bit flip.
            byte[] gwSeed = gen.draw(32);
            byte[] ephSeed = gen.draw(32);
            byte[] cEseed = gen.draw(64);
            byte[] gEseed = gen.draw(64);
            XWingKeyPair gw = XWingKeyPair.fromSeed(gwSeed);
            acc.absorb(gw.publicKey());
            HopClient.Started s =
                    DeterministicHandshakes.hopClientStart(gw.publicKey(), ephSeed, cEseed, null);
            acc.absorb(s.clientHello());
            HopServer.Accepted a =
                    DeterministicHandshakes.hopServerReceive(
                            new HopServer(List.of(gw)), s.clientHello(), gEseed, null);
            acc.absorb(a.serverHello());
            HopClient.Established e = s.next().receive(a.serverHello());
            acc.absorb(e.clientFinished());
            Channel g = a.next().receive(e.clientFinished());
            assertArrayEquals(g.handshakeHash(), e.channel().handshakeHash());
            acc.absorb(e.channel().handshakeHash());
            exchange(
                    gen,
                    acc,
                    List.of(e.channel()::seal, g::seal),
                    List.of(g::open, e.channel()::open),
                    4);
            long hopBit = gen.u32() % (a.serverHello().length * 8L);
            acc.absorbFailure(
                    "iteration " + i + " ServerHello bit " + hopBit,
                    () ->
                            DeterministicHandshakes.hopClientStart(
                                            gw.publicKey(), ephSeed, cEseed, null)
                                    .next()
                                    .receive(flipBit(a.serverHello(), hopBit)));

            // Peer handshake, four records alternating i2r/r2i, one PeerAccept bit flip.
            byte[] roomSecret = gen.draw(32);
            byte[] idI = gen.draw(8);
            byte[] idR = gen.draw(8);
            byte[] seedI = gen.draw(32);
            byte[] seedR = gen.draw(32);
            byte[] eseedI = gen.draw(64);
            byte[] eseedR = gen.draw(64);
            byte[] nonce = gen.draw(32);
            RoomSecret room = RoomSecret.of(roomSecret);
            acc.absorb(room.roomId());
            acc.absorb(room.psk());
            XWingKeyPair kI = XWingKeyPair.fromSeed(seedI);
            XWingKeyPair kR = XWingKeyPair.fromSeed(seedR);
            PeerInitiator.Started ps =
                    DeterministicHandshakes.peerInitiatorStart(
                            new PeerContext(room.roomId(), room.psk(), idI, idR),
                            kI,
                            kR.publicKey(),
                            eseedI,
                            nonce,
                            null);
            acc.absorb(ps.peerInit());
            PeerResponder.Accepted pa =
                    DeterministicHandshakes.peerResponderReceive(
                            new PeerContext(room.roomId(), room.psk(), idI, idR),
                            kR,
                            ps.peerInit(),
                            eseedR,
                            null);
            acc.absorb(pa.peerAccept());
            PeerInitiator.Established pe = ps.next().receive(pa.peerAccept());
            acc.absorb(pe.peerFinish());
            PeerSession pr = pa.next().receive(pe.peerFinish());
            Channel ic = pe.session().channel();
            assertArrayEquals(pr.channel().handshakeHash(), ic.handshakeHash());
            assertEquals(pr.sas(), pe.session().sas());
            acc.absorb(ic.handshakeHash());
            acc.absorb(pe.session().sas().bytes());
            acc.absorb(pe.session().sas().decimal().getBytes(StandardCharsets.US_ASCII));
            exchange(
                    gen,
                    acc,
                    List.of(ic::seal, pr.channel()::seal),
                    List.of(pr.channel()::open, ic::open),
                    4);
            long peerBit = gen.u32() % (pa.peerAccept().length * 8L);
            acc.absorbFailure(
                    "iteration " + i + " PeerAccept bit " + peerBit,
                    () ->
                            DeterministicHandshakes.peerInitiatorStart(
                                            new PeerContext(room.roomId(), room.psk(), idI, idR),
                                            kI,
                                            kR.publicKey(),
                                            eseedI,
                                            nonce,
                                            null)
                                    .next()
                                    .receive(flipBit(pa.peerAccept(), peerBit)));

            // Record layer from 0 or just before an epoch boundary, two records, one record bit
            // flip.
            byte[] secret = gen.draw(32);
            int k = (gen.draw(1)[0] & 0xFF) % 4;
            long start = k == 0 ? 0 : k * RecordFormat.REKEY_INTERVAL - 1;
            RecordSealer sealer =
                    DeterministicRecords.sealerAt(secret, RecordFormat.HOP_MAX_PLAINTEXT, start);
            RecordOpener opener =
                    DeterministicRecords.openerAt(secret, RecordFormat.HOP_MAX_PLAINTEXT, start);
            exchange(
                    gen,
                    acc,
                    List.of(sealer::seal, sealer::seal),
                    List.of(opener::open, opener::open),
                    2);
            byte[] last = sealer.seal(gen.draw(16));
            long recBit = gen.u32() % (last.length * 8L);
            acc.absorbFailure(
                    "iteration " + i + " record bit " + recBit,
                    () -> opener.open(flipBit(last, recBit)));
        }
        return acc.hex();
    }

    @Test
    void accumulatedDigestEqualsTheJavaScriptConstant() throws ProtocolException {
        String digest = accumulated(N);
        System.out.println("accumulated digest (N=" + N + "): " + digest);
        assertEquals(EXPECTED, digest);
    }

    @Test
    void generatorIsTheSpecifiedCounterModeSha256() {
        Generator gen = new Generator();
        byte[] first = gen.draw(40); // blocks 0 and 1, 8 bytes of block 1 used, the rest dropped
        byte[] block0 = sha256(Generator.PREFIX, new byte[8]);
        byte[] block1 = sha256(Generator.PREFIX, new byte[] {0, 0, 0, 0, 0, 0, 0, 1});
        assertArrayEquals(block0, java.util.Arrays.copyOf(first, 32));
        assertArrayEquals(
                java.util.Arrays.copyOf(block1, 8), java.util.Arrays.copyOfRange(first, 32, 40));
        assertTrue(gen.draw(0).length == 0);
        assertArrayEquals(
                sha256(Generator.PREFIX, new byte[] {0, 0, 0, 0, 0, 0, 0, 2}), gen.draw(32));
    }
}
