package dev.hybridge.crypto.kdf;

import dev.hybridge.crypto.internal.Bytes;
import dev.hybridge.crypto.internal.Primitives;

/**
 * The peer handshake key schedule, steps PK1-PK10 of spec/peer-handshake.md. Both roles run the
 * same object.
 */
public final class PeerSchedule {
    private final Trace trace;
    private byte[] th;
    private byte[] prk;

    /** PK1, PK2: th1 = H(H(PEER_PROTOCOL) || room_id || id_I || id_R || pk_R || PeerInit). */
    public PeerSchedule(
            byte[] roomId,
            byte[] initiatorId,
            byte[] responderId,
            byte[] responderPk,
            byte[] peerInit,
            Trace trace) {
        this.trace = trace;
        byte[] th0 = Kdf.hash(Labels.PEER_PROTOCOL.bytes());
        this.th = Kdf.hash(th0, roomId, initiatorId, responderId, responderPk, peerInit);
        Trace.put(trace, "th0", th0);
        Trace.put(trace, "th1", th);
    }

    /**
     * PK3-PK5: th2 = H(th1 || PeerAccept without its confirm); prk = Extract(th2, ss_R || ss_I ||
     * psk); returns confirm_R = HMAC(fk_R, th2).
     */
    public byte[] accept(byte[] acceptBody, byte[] ssR, byte[] ssI, byte[] psk) {
        th = Kdf.hash(th, acceptBody);
        byte[] ikm = Bytes.concat(ssR, ssI, psk);
        prk = Kdf.extract(th, ikm);
        Bytes.wipe(ikm);
        Trace.put(trace, "th2", th);
        Trace.put(trace, "prk", prk);
        byte[] fk = Kdf.expand(prk, Labels.PEER_RESPONDER_FINISHED, Primitives.HASH_LEN);
        byte[] confirm = Kdf.hmac(fk, th);
        Trace.put(trace, "fk_r", fk);
        Trace.put(trace, "confirm_r", confirm);
        Bytes.wipe(fk);
        return confirm;
    }

    /** PK6, PK7: th3 = H(th2 || confirm_R); returns confirm_I = HMAC(fk_I, th3). */
    public byte[] responderConfirmed(byte[] confirmR) {
        th = Kdf.hash(th, confirmR);
        Trace.put(trace, "th3", th);
        byte[] fk = Kdf.expand(prk, Labels.PEER_INITIATOR_FINISHED, Primitives.HASH_LEN);
        byte[] confirm = Kdf.hmac(fk, th);
        Trace.put(trace, "fk_i", fk);
        Trace.put(trace, "confirm_i", confirm);
        Bytes.wipe(fk);
        return confirm;
    }

    /** The traffic secrets, SAS bytes and handshake hash; the schedule is wiped. */
    public record Secrets(byte[] i2r, byte[] r2i, byte[] sas, byte[] handshakeHash) {}

    /** PK1 commitment: commit = H(PEER_COMMIT || nonce_I), sent in PeerInit. */
    public static byte[] commitment(byte[] nonceI) {
        return Kdf.hash(Labels.PEER_COMMIT.bytes(), nonceI);
    }

    /**
     * PK8-PK10: th4 = H(th3 || confirm_I || nonce_I); traffic secrets; sas = Expand(Extract(nonce_I,
     * prk), PEER_SAS, 5). The SAS depends on nonce_I, which the initiator committed to before the
     * responder answered and reveals only after: neither side can steer the SAS.
     */
    public Secrets finish(byte[] confirmI, byte[] nonceI) {
        byte[] th4 = Kdf.hash(th, confirmI, nonceI);
        byte[] i2r = Kdf.expand(prk, Labels.PEER_I2R, Primitives.HASH_LEN);
        byte[] r2i = Kdf.expand(prk, Labels.PEER_R2I, Primitives.HASH_LEN);
        byte[] sasKey = Kdf.extract(nonceI, prk);
        byte[] sas = Kdf.expand(sasKey, Labels.PEER_SAS, 5);
        Bytes.wipe(sasKey);
        Trace.put(trace, "handshake_hash", th4);
        Trace.put(trace, "i2r_secret", i2r);
        Trace.put(trace, "r2i_secret", r2i);
        Trace.put(trace, "sas_bytes", sas);
        destroy();
        return new Secrets(i2r, r2i, sas, th4);
    }

    public void destroy() {
        Bytes.wipe(th, prk);
    }
}
