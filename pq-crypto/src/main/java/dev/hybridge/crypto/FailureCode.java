package dev.hybridge.crypto;

/**
 * A protocol failure class of spec/errors.md: a stable number, a name that never changes meaning,
 * and the WebSocket close code a gateway sends for it. The codes are split by layer: {@link
 * ErrorCode} for the hop and peer channels (handshakes and records, 1-29) and {@code
 * dev.hybridge.protocol.RoomError} for the room protocol and the gateway's limits (100+). The
 * SFrame codes (30-39) are local to the browser client and never on the wire, so no Java type
 * holds them (spec/media-sframe.md §9).
 */
public interface FailureCode {
    /** WebSocket close codes for protocol failures are {@code CLOSE_CODE_BASE + code}. */
    int CLOSE_CODE_BASE = 4000;

    /** The numeric code (spec/errors.md). */
    int code();

    /** The name, as in the spec's table. */
    String name();

    /** The WebSocket close code a gateway sends for this failure. */
    default int closeCode() {
        return CLOSE_CODE_BASE + code();
    }
}
