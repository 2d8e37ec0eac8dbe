package dev.hybridge.crypto.handshake;

import dev.hybridge.crypto.ErrorCode;
import dev.hybridge.crypto.ProtocolException;
import dev.hybridge.crypto.XWingKeyPair;
import dev.hybridge.crypto.internal.Bytes;
import dev.hybridge.crypto.internal.Primitives;
import dev.hybridge.crypto.kdf.PeerSchedule;
import dev.hybridge.crypto.kdf.Trace;
import dev.hybridge.crypto.record.Channel;
import dev.hybridge.crypto.record.RecordFormat;
import dev.hybridge.crypto.room.Sas;
import java.security.SecureRandom;

/**
 * The initiator of a peer handshake (spec/peer-handshake.md): sends PI1, receives PR2, sends PI3.
 */
public final class PeerInitiator {
    private PeerInitiator() {}

    public record Started(byte[] peerInit, AwaitingAccept next) {}

    /** The PeerFinish to send and the established session. */
    public record Established(byte[] peerFinish, PeerSession session) {}

    /**
     * @param ownKey this peer's per-session key (the one it announced at join)
     * @param responderPublicKey the responder's key as announced in the room view
     */
    public static Started start(
            PeerContext ctx, XWingKeyPair ownKey, byte[] responderPublicKey, SecureRandom rng)
            throws ProtocolException {
        byte[] eseed = new byte[Primitives.XWING_ESEED_LEN];
        byte[] nonce = new byte[Wire.NONCE_LEN];
        rng.nextBytes(eseed);
        rng.nextBytes(nonce);
        try {
            return start(ctx, ownKey, responderPublicKey, eseed, nonce, null);
        } finally {
            Bytes.wipe(eseed);
        }
    }

    /**
     * The deterministic seam: encapsulation randomness and the SAS nonce are given (the nonce is
     * kept, not copied), and the key schedule may be traced. Production calls it only with fresh
     * randomness and no trace; the test kit (pq-crypto's test-jar, same package) calls it for vectors.
     */
    static Started start(
            PeerContext ctx,
            XWingKeyPair ownKey,
            byte[] responderPk,
            byte[] eseed,
            byte[] nonce,
            Trace trace)
            throws ProtocolException {
        if (responderPk.length != Wire.PK_LEN) {
            throw new ProtocolException(ErrorCode.INVALID_PUBLIC_KEY);
        }
        if (nonce.length != Wire.NONCE_LEN) {
            throw new IllegalArgumentException("SAS nonce must be " + Wire.NONCE_LEN + " bytes");
        }
        Primitives.Encapsulation enc = Primitives.xwingEncapsulate(responderPk, eseed);
        byte[] commit = PeerSchedule.commitment(nonce);
        byte[] init =
                Bytes.concat(
                        Wire.prefix(Wire.PEER_INIT), ownKey.publicKey(), enc.ciphertext(), commit);
        Trace.put(trace, "ss_r", enc.sharedSecret());
        Trace.put(trace, "commit", commit);
        PeerSchedule schedule =
                new PeerSchedule(
                        ctx.roomId(),
                        ctx.initiatorId(),
                        ctx.responderId(),
                        responderPk,
                        init,
                        trace);
        return new Started(
                init,
                new AwaitingAccept(
                        ctx.psk(),
                        ownKey,
                        responderPk.clone(),
                        enc.sharedSecret(),
                        nonce,
                        schedule,
                        trace));
    }

    /** Waits for PR2 PeerAccept. */
    public static final class AwaitingAccept {
        private final byte[] psk;
        private final XWingKeyPair ownKey;
        private final byte[] responderPk;
        private final byte[] ssR;
        private final byte[] nonce;
        private final PeerSchedule schedule;
        private final Trace trace;
        private boolean used;

        private AwaitingAccept(
                byte[] psk,
                XWingKeyPair ownKey,
                byte[] responderPk,
                byte[] ssR,
                byte[] nonce,
                PeerSchedule schedule,
                Trace trace) {
            this.psk = psk;
            this.ownKey = ownKey;
            this.responderPk = responderPk;
            this.ssR = ssR;
            this.nonce = nonce;
            this.schedule = schedule;
            this.trace = trace;
        }

        public Established receive(byte[] accept) throws ProtocolException {
            if (used) {
                throw new ProtocolException(ErrorCode.UNEXPECTED_MESSAGE);
            }
            used = true;
            byte[] ssI = null;
            try {
                Wire.checkFrame(accept, Wire.PEER_ACCEPT, Wire.PEER_ACCEPT_LEN);
                Wire.checkVersionAndSuite(accept);
                ssI = ownKey.decapsulate(Wire.slice(accept, Wire.PREFIX_LEN, Wire.CT_LEN));
                Trace.put(trace, "ss_i", ssI);
                byte[] expected =
                        schedule.accept(
                                Wire.slice(accept, 0, Wire.PEER_ACCEPT_LEN - Wire.CONFIRM_LEN),
                                ssR,
                                ssI,
                                psk);
                byte[] got =
                        Wire.slice(
                                accept, Wire.PEER_ACCEPT_LEN - Wire.CONFIRM_LEN, Wire.CONFIRM_LEN);
                if (!Bytes.constantTimeEquals(expected, got)) {
                    throw new ProtocolException(ErrorCode.CONFIRMATION_FAILED);
                }
                byte[] confirmI = schedule.responderConfirmed(got);
                byte[] finish = Bytes.concat(new byte[] {Wire.PEER_FINISH}, confirmI, nonce);
                PeerSchedule.Secrets s = schedule.finish(confirmI, nonce);
                Channel channel =
                        new Channel(
                                s.i2r(),
                                s.r2i(),
                                s.handshakeHash(),
                                RecordFormat.PEER_DC_MAX_PLAINTEXT);
                Bytes.wipe(s.i2r(), s.r2i());
                return new Established(
                        finish, new PeerSession(channel, new Sas(s.sas()), responderPk));
            } finally {
                Bytes.wipe(ssR, ssI, nonce, psk);
                schedule.destroy();
            }
        }
    }
}
