package dev.hybridge.crypto.code;

import dev.hybridge.crypto.ErrorCode;
import dev.hybridge.crypto.ProtocolException;
import dev.hybridge.crypto.handshake.PeerContext;
import dev.hybridge.crypto.internal.Bytes;
import dev.hybridge.crypto.kdf.Kdf;
import dev.hybridge.crypto.kdf.Labels;
import dev.hybridge.crypto.kdf.Trace;
import java.nio.charset.StandardCharsets;

/**
 * The short-code key schedule CK1-CK6 (spec/short-codes.md §3): CPace on the code's secret part,
 * bound to the gateway key and the slot, turned into the room id and PSK of a peer handshake
 * whose keys then depend on both X-Wing secrets and the CPace key (PK4).
 */
public final class CodeSchedule {
    private CodeSchedule() {}

    public static final int SID_LEN = 16;
    public static final int SECRET_DIGITS = 6;
    public static final int SHARE_MSG_LEN = 1 + Cpace.POINT_LEN;

    /** CP1 CodeShareA, joiner -> creator. */
    public static final byte CP1 = 0x14;

    /** CP2 CodeShareB, creator -> joiner. */
    public static final byte CP2 = 0x15;

    /** The creator's peer id in a slot (R of the peer handshake). */
    public static final byte[] CREATOR_ID = {0, 0, 0, 0, 0, 0, 0, 1};

    /** The joiner's peer id in a slot (I of the peer handshake). */
    public static final byte[] JOINER_ID = {0, 0, 0, 0, 0, 0, 0, 2};

    /** CK1: prs, the six secret digits as ASCII. */
    public static byte[] prs(String secretDigits) {
        if (secretDigits.length() != SECRET_DIGITS || !secretDigits.matches("[0-9]{6}")) {
            throw new IllegalArgumentException("the secret part is six decimal digits");
        }
        return secretDigits.getBytes(StandardCharsets.US_ASCII);
    }

    /** CK1: ci = "hybridge/v1/code/ci" || fp || slot u32. */
    public static byte[] ci(byte[] gatewayFingerprint, long slot) {
        if (gatewayFingerprint.length != 32 || slot < 1 || slot > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("fingerprint is 32 bytes, slot 1..2^32-1");
        }
        byte[] s = {(byte) (slot >>> 24), (byte) (slot >>> 16), (byte) (slot >>> 8), (byte) slot};
        return Bytes.concat(Labels.CODE_CI.bytes(), gatewayFingerprint, s);
    }

    /** One side of the exchange after CK2, CK3: its share is ready to send. */
    public static final class Party {
        private final boolean joiner;
        private final byte[] ci;
        private final byte[] sid;
        private byte[] scalar;
        private final byte[] share;
        private final Trace trace;

        private Party(boolean joiner, byte[] prs, byte[] ci, byte[] sid, byte[] scalar, Trace trace)
                throws ProtocolException {
            if (sid.length != SID_LEN || scalar.length != Cpace.POINT_LEN) {
                throw new IllegalArgumentException("sid is 16 bytes, the scalar 32");
            }
            this.joiner = joiner;
            this.ci = ci.clone();
            this.sid = sid.clone();
            this.scalar = scalar.clone();
            this.trace = trace;
            byte[] g = Cpace.calculateGenerator(prs, ci, sid);
            this.share = Cpace.share(this.scalar, g);
            Trace.put(trace, "ci", ci);
            Trace.put(trace, "generator", g);
            Trace.put(trace, joiner ? "ya" : "yb", share);
            Bytes.wipe(g);
        }

        /** The CP1 (joiner) or CP2 (creator) envelope. */
        public byte[] shareMessage() {
            return Bytes.concat(new byte[] {joiner ? CP1 : CP2}, share);
        }

        /**
         * CK4-CK6 on the other side's share message: checks it (empty, type, length), computes K,
         * isk, and returns the peer-handshake context. The scalar is wiped whatever happens.
         */
        public PeerContext receive(byte[] otherShareMessage) throws ProtocolException {
            try {
                byte[] other = parseShare(otherShareMessage, joiner ? CP2 : CP1);
                byte[] k = Cpace.sharedPoint(scalar, other);
                byte[] ya = joiner ? share : other;
                byte[] yb = joiner ? other : share;
                byte[] isk =
                        Cpace.isk(sid, k, Cpace.transcriptIr(ya, new byte[0], yb, new byte[0]));
                Trace.put(trace, "k", k);
                Trace.put(trace, "isk", isk);
                Bytes.wipe(k);
                byte[] prk = Kdf.extract(Labels.CODE_SALT.bytes(), isk);
                byte[] psk = Kdf.expand(prk, Labels.CODE_PSK, 32);
                byte[] roomId = Kdf.hash(Labels.CODE_ROOM.bytes(), ci, sid);
                Bytes.wipe(isk, prk);
                Trace.put(trace, "psk", psk);
                Trace.put(trace, "room_id", roomId);
                PeerContext ctx = new PeerContext(roomId, psk, JOINER_ID, CREATOR_ID);
                Bytes.wipe(psk);
                return ctx;
            } finally {
                Bytes.wipe(scalar);
            }
        }
    }

    /** The joiner (CPace A) with its random scalar. */
    public static Party joiner(
            String secretDigits, byte[] fp, long slot, byte[] sid, byte[] scalar, Trace trace)
            throws ProtocolException {
        return new Party(true, prs(secretDigits), ci(fp, slot), sid, scalar, trace);
    }

    /** The creator (CPace B) with its random scalar. */
    public static Party creator(
            String secretDigits, byte[] fp, long slot, byte[] sid, byte[] scalar, Trace trace)
            throws ProtocolException {
        return new Party(false, prs(secretDigits), ci(fp, slot), sid, scalar, trace);
    }

    /** Check order of a received share message: empty, type byte, length. */
    static byte[] parseShare(byte[] msg, byte expectedType) throws ProtocolException {
        if (msg == null || msg.length == 0) {
            throw new ProtocolException(ErrorCode.MALFORMED_MESSAGE);
        }
        if (msg[0] != expectedType) {
            throw new ProtocolException(ErrorCode.UNEXPECTED_MESSAGE);
        }
        if (msg.length != SHARE_MSG_LEN) {
            throw new ProtocolException(ErrorCode.MALFORMED_MESSAGE);
        }
        return java.util.Arrays.copyOfRange(msg, 1, SHARE_MSG_LEN);
    }
}
