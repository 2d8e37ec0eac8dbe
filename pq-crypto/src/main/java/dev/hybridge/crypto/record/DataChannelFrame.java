package dev.hybridge.crypto.record;

import dev.hybridge.crypto.ErrorCode;
import dev.hybridge.crypto.ProtocolException;
import java.util.Arrays;

/**
 * A peer record on a WebRTC data channel (spec/data-channel.md §2): {@code tag (8) || record},
 * where {@code tag = handshake_hash[0:8]} names the peer channel the record belongs to. The
 * gateway never sees these frames; the class is here so that both implementations pass the
 * vectors (test-vectors/data-channel.json). Only the frame's length is checked: the record layer
 * checks the record.
 */
public final class DataChannelFrame {
    /** Bytes of the channel tag in front of every record. */
    public static final int TAG_LEN = 8;

    /** The shortest frame: a tag and a one-byte record. */
    public static final int MIN_FRAME = TAG_LEN + 1;

    /** The longest frame: a tag and the longest peer record on a data channel. */
    public static final int MAX_FRAME =
            TAG_LEN + RecordFormat.maxRecord(RecordFormat.PEER_DC_MAX_PLAINTEXT);

    private DataChannelFrame() {}

    /** The tag of the peer channel with this handshake hash (PK8, 32 bytes). */
    public static byte[] tag(byte[] handshakeHash) {
        if (handshakeHash.length != 32) {
            throw new IllegalArgumentException("handshake hash must be 32 bytes");
        }
        return Arrays.copyOf(handshakeHash, TAG_LEN);
    }

    /** One frame: {@code tag || record}. */
    public static byte[] encode(byte[] tag, byte[] record) {
        if (tag.length != TAG_LEN) {
            throw new IllegalArgumentException("tag must be 8 bytes");
        }
        byte[] out = Arrays.copyOf(tag, TAG_LEN + record.length);
        System.arraycopy(record, 0, out, TAG_LEN, record.length);
        return out;
    }

    /** The tag of a received frame; MALFORMED_MESSAGE below 9 bytes, RECORD_TOO_LARGE above MAX_FRAME. */
    public static byte[] tagOf(byte[] frame) throws ProtocolException {
        check(frame);
        return Arrays.copyOf(frame, TAG_LEN);
    }

    /** The record of a received frame; the same checks as {@link #tagOf}. */
    public static byte[] recordOf(byte[] frame) throws ProtocolException {
        check(frame);
        return Arrays.copyOfRange(frame, TAG_LEN, frame.length);
    }

    private static void check(byte[] frame) throws ProtocolException {
        if (frame.length < MIN_FRAME) {
            throw new ProtocolException(ErrorCode.MALFORMED_MESSAGE);
        }
        if (frame.length > MAX_FRAME) {
            throw new ProtocolException(ErrorCode.RECORD_TOO_LARGE);
        }
    }
}
