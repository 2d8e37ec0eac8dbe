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
 * The responder of a peer handshake (spec/peer-handshake.md): receives PI1, sends PR2, receives PI3.
 */
public final class PeerResponder {
    private PeerResponder() {}

    public record Accepted(byte[] peerAccept, AwaitingFinish next) {}

    public static Accepted receive(
            PeerContext ctx, XWingKeyPair ownKey, byte[] peerInit, SecureRandom rng)
            throws ProtocolException {
        byte[] eseed = new byte[Primitives.XWING_ESEED_LEN];
        rng.nextBytes(eseed);
        try {
            return receive(ctx, ownKey, peerInit, eseed, null);
        } finally {
            Bytes.wipe(eseed);
        }
    }

    /**
     * The deterministic seam: the encapsulation randomness is given, and the key schedule may be
     * traced. Production calls it only with fresh randomness and no trace; the test kit
     * (pq-crypto's test-jar, same package) calls it for vectors.
     */
    static Accepted receive(
            PeerContext ctx, XWingKeyPair ownKey, byte[] init, byte[] eseed, Trace trace)
            throws ProtocolException {
        byte[] ssR = null;
        byte[] psk = ctx.psk();
        Primitives.Encapsulation toInitiator = null;
        try {
            Wire.checkFrame(init, Wire.PEER_INIT, Wire.PEER_INIT_LEN);
            Wire.checkVersionAndSuite(init);
            byte[] pkI = Wire.slice(init, Wire.PREFIX_LEN, Wire.PK_LEN);
            byte[] ctR = Wire.slice(init, Wire.PREFIX_LEN + Wire.PK_LEN, Wire.CT_LEN);
            byte[] commit =
                    Wire.slice(init, Wire.PREFIX_LEN + Wire.PK_LEN + Wire.CT_LEN, Wire.CONFIRM_LEN);
            toInitiator = Primitives.xwingEncapsulate(pkI, eseed);
            ssR = ownKey.decapsulate(ctR);
            Trace.put(trace, "ss_r", ssR);
            Trace.put(trace, "commit", commit);
            Trace.put(trace, "ss_i", toInitiator.sharedSecret());
            PeerSchedule schedule =
                    new PeerSchedule(
                            ctx.roomId(),
                            ctx.initiatorId(),
                            ctx.responderId(),
                            ownKey.publicKey(),
                            init,
                            trace);
            byte[] body = Bytes.concat(Wire.prefix(Wire.PEER_ACCEPT), toInitiator.ciphertext());
            byte[] confirmR = schedule.accept(body, ssR, toInitiator.sharedSecret(), psk);
            byte[] confirmI = schedule.responderConfirmed(confirmR);
            return new Accepted(
                    Bytes.concat(body, confirmR),
                    new AwaitingFinish(schedule, confirmI, commit, pkI));
        } finally {
            Bytes.wipe(ssR, psk);
            if (toInitiator != null) {
                Bytes.wipe(toInitiator.sharedSecret());
            }
        }
    }

    /** Waits for PI3 PeerFinish. */
    public static final class AwaitingFinish {
        private final PeerSchedule schedule;
        private final byte[] expectedConfirm;
        private final byte[] commit;
        private final byte[] initiatorPk;
        private boolean used;

        private AwaitingFinish(
                PeerSchedule schedule, byte[] expectedConfirm, byte[] commit, byte[] initiatorPk) {
            this.schedule = schedule;
            this.expectedConfirm = expectedConfirm;
            this.commit = commit;
            this.initiatorPk = initiatorPk;
        }

        /** The initiator's public key from PI1, available before the handshake completes. */
        public byte[] initiatorPublicKey() {
            return initiatorPk.clone();
        }

        public PeerSession receive(byte[] finish) throws ProtocolException {
            if (used) {
                throw new ProtocolException(ErrorCode.UNEXPECTED_MESSAGE);
            }
            used = true;
            try {
                Wire.checkFrame(finish, Wire.PEER_FINISH, Wire.PEER_FINISH_LEN);
                byte[] got = Wire.slice(finish, 1, Wire.CONFIRM_LEN);
                byte[] nonce = Wire.slice(finish, 1 + Wire.CONFIRM_LEN, Wire.NONCE_LEN);
                // Both checks always run, so the code does not tell which one failed.
                boolean confirmed = Bytes.constantTimeEquals(expectedConfirm, got);
                boolean committed =
                        Bytes.constantTimeEquals(commit, PeerSchedule.commitment(nonce));
                if (!(confirmed & committed)) {
                    throw new ProtocolException(ErrorCode.CONFIRMATION_FAILED);
                }
                PeerSchedule.Secrets s = schedule.finish(got, nonce);
                Channel channel =
                        new Channel(
                                s.r2i(),
                                s.i2r(),
                                s.handshakeHash(),
                                RecordFormat.PEER_DC_MAX_PLAINTEXT);
                Bytes.wipe(s.i2r(), s.r2i());
                return new PeerSession(channel, new Sas(s.sas()), initiatorPk.clone());
            } finally {
                schedule.destroy();
                Bytes.wipe(expectedConfirm);
            }
        }

        public void abandon() {
            used = true;
            schedule.destroy();
            Bytes.wipe(expectedConfirm);
        }
    }
}
