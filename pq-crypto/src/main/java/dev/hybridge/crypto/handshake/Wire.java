package dev.hybridge.crypto.handshake;

import dev.hybridge.crypto.ErrorCode;
import dev.hybridge.crypto.ProtocolException;
import dev.hybridge.crypto.internal.Bytes;

/** Message type bytes, sizes and the common header checks (spec/hop-handshake.md, spec/peer-handshake.md). */
public final class Wire {
    private Wire() {}

    public static final int VERSION = 1;
    public static final int SUITE = 0x0001;

    public static final byte CLIENT_HELLO = 0x01;
    public static final byte SERVER_HELLO = 0x02;
    public static final byte CLIENT_FINISHED = 0x03;
    public static final byte PEER_INIT = 0x11;
    public static final byte PEER_ACCEPT = 0x12;
    public static final byte PEER_FINISH = 0x13;

    public static final int PK_LEN = 1216;
    public static final int CT_LEN = 1120;
    public static final int CONFIRM_LEN = 32;
    public static final int KEY_ID_LEN = 32;
    public static final int PEER_ID_LEN = 8;
    public static final int ROOM_ID_LEN = 32;

    /** The initiator's SAS nonce, committed in PeerInit and revealed in PeerFinish. */
    public static final int NONCE_LEN = 32;

    /** type | version | suite. */
    static final int PREFIX_LEN = 4;

    public static final int CLIENT_HELLO_LEN = PREFIX_LEN + KEY_ID_LEN + PK_LEN + CT_LEN; // 2372
    public static final int SERVER_HELLO_LEN = PREFIX_LEN + CT_LEN + CONFIRM_LEN; // 1156
    public static final int FINISHED_LEN = 1 + CONFIRM_LEN; // 33
    public static final int PEER_INIT_LEN = PREFIX_LEN + PK_LEN + CT_LEN + CONFIRM_LEN; // 2372
    public static final int PEER_FINISH_LEN = 1 + CONFIRM_LEN + NONCE_LEN; // 65
    public static final int PEER_ACCEPT_LEN = PREFIX_LEN + CT_LEN + CONFIRM_LEN; // 1156

    /** Checks empty, type and length, in that order. */
    static void checkFrame(byte[] msg, byte type, int length) throws ProtocolException {
        if (msg == null || msg.length == 0) {
            throw new ProtocolException(ErrorCode.MALFORMED_MESSAGE);
        }
        if (msg[0] != type) {
            throw new ProtocolException(ErrorCode.UNEXPECTED_MESSAGE);
        }
        if (msg.length != length) {
            throw new ProtocolException(ErrorCode.MALFORMED_MESSAGE);
        }
    }

    /** Checks the version byte and suite that follow the type byte. */
    static void checkVersionAndSuite(byte[] msg) throws ProtocolException {
        if ((msg[1] & 0xFF) != VERSION) {
            throw new ProtocolException(ErrorCode.UNSUPPORTED_VERSION);
        }
        if (Bytes.getU16(msg, 2) != SUITE) {
            throw new ProtocolException(ErrorCode.UNSUPPORTED_SUITE);
        }
    }

    static byte[] prefix(byte type) {
        return new byte[] {type, (byte) VERSION, (byte) (SUITE >> 8), (byte) SUITE};
    }

    static byte[] slice(byte[] msg, int off, int len) {
        byte[] out = new byte[len];
        System.arraycopy(msg, off, out, 0, len);
        return out;
    }
}
