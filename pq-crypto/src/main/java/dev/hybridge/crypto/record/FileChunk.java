package dev.hybridge.crypto.record;

import dev.hybridge.crypto.ErrorCode;
import dev.hybridge.crypto.ProtocolException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A file chunk (spec/files.md §2): the one binary peer-record plaintext, {@code 0x01 || id (8) ||
 * index (u32, big-endian) || data (1 to 65523 bytes)}. The gateway never sees chunks; the class is
 * here so that both implementations pass the vectors (test-vectors/file-chunk.json), with the
 * same refusals and reasons as web-client/src/signal/fileMessages.js. A refused plaintext is
 * MALFORMED_MESSAGE: the receiver drops and counts it, and the channel carries on.
 *
 * @param id the transfer id, 16 lowercase hex characters
 * @param index the chunk's index, 0 to 2^32-1
 * @param data the file bytes, 1 to {@link #MAX_DATA}
 */
public record FileChunk(String id, long index, byte[] data) {
    /** First byte of a chunk plaintext. */
    public static final int KIND = 0x01;

    /** kind (1) || id (8) || index (4). */
    public static final int HEADER = 13;

    /**
     * The most file bytes one chunk carries: a full data-channel peer plaintext minus the header
     * (chunks travel only on the data channel).
     */
    public static final int MAX_DATA = RecordFormat.PEER_DC_MAX_PLAINTEXT - HEADER;

    private static final HexFormat HEX = HexFormat.of();

    public FileChunk {
        if (id.length() != 16 || !id.matches("[0-9a-f]{16}")) {
            throw new IllegalArgumentException("file chunk id must be 16 lowercase hex characters");
        }
        if (index < 0 || index > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("file chunk index must be a u32");
        }
        if (data.length < 1 || data.length > MAX_DATA) {
            throw new IllegalArgumentException(
                    "file chunk data must be 1 to " + MAX_DATA + " bytes");
        }
    }

    /** The plaintext of this chunk. */
    public byte[] encode() {
        byte[] out = new byte[HEADER + data.length];
        out[0] = KIND;
        System.arraycopy(HEX.parseHex(id), 0, out, 1, 8);
        for (int i = 0; i < 4; i++) {
            out[9 + i] = (byte) (index >>> (24 - 8 * i));
        }
        System.arraycopy(data, 0, out, HEADER, data.length);
        return out;
    }

    /**
     * The rule a received plaintext breaks, worded as fileMessages.js's {@code decodeFileChunk}
     * drops it, or null when it is a chunk.
     */
    public static String problem(byte[] plaintext) {
        if (plaintext.length == 0 || (plaintext[0] & 0xFF) != KIND) {
            return "not a file chunk";
        }
        if (plaintext.length <= HEADER) {
            return "file chunk of " + plaintext.length + " bytes: at least " + (HEADER + 1);
        }
        if (plaintext.length > HEADER + MAX_DATA) {
            return "file chunk of " + plaintext.length + " bytes: at most " + (HEADER + MAX_DATA);
        }
        return null;
    }

    /** A received plaintext as a chunk; MALFORMED_MESSAGE when {@link #problem} names a rule. */
    public static FileChunk decode(byte[] plaintext) throws ProtocolException {
        if (problem(plaintext) != null) {
            throw new ProtocolException(ErrorCode.MALFORMED_MESSAGE);
        }
        long index = 0;
        for (int i = 9; i < HEADER; i++) {
            index = (index << 8) | (plaintext[i] & 0xFF);
        }
        return new FileChunk(
                HEX.formatHex(plaintext, 1, 9),
                index,
                Arrays.copyOfRange(plaintext, HEADER, plaintext.length));
    }
}
