package dev.hybridge.crypto;

/**
 * The one list of protocol failure classes (spec/errors.md). Codes are stable on the wire and in
 * the test vectors; a name never changes meaning. A failure reports only its code: which internal
 * check tripped is never revealed beyond it.
 */
public enum ErrorCode {
    MALFORMED_MESSAGE(1),
    UNEXPECTED_MESSAGE(2),
    UNSUPPORTED_VERSION(3),
    UNSUPPORTED_SUITE(4),
    UNKNOWN_GATEWAY_KEY(5),
    INVALID_PUBLIC_KEY(6),
    INVALID_CIPHERTEXT(7),
    CONFIRMATION_FAILED(8),
    HANDSHAKE_TIMEOUT(9),

    RECORD_AUTH_FAILED(20),
    RECORD_REPLAYED(21),
    RECORD_OUT_OF_ORDER(22),
    RECORD_TOO_LARGE(23),
    RECORD_LIMIT_REACHED(24),

    // SFrame media failures (spec/media-sframe.md §9): local to the browser client, never on the
    // wire.
    SFRAME_MALFORMED(30),
    SFRAME_UNKNOWN_KID(31),
    SFRAME_AUTH_FAILED(32),
    SFRAME_REPLAYED(33),
    SFRAME_COUNTER_EXHAUSTED(34),
    SFRAME_NO_SEND_KEY(35),
    SFRAME_KEY_REJECTED(36),

    // Room protocol and gateway limits (spec/room-protocol.md, "Errors (codes 100+)").
    ROOM_FULL(100),
    NOT_IN_ROOM(101),
    UNKNOWN_PEER(102),
    ALREADY_JOINED(103),
    RATE_LIMITED(104),
    TOO_MANY_ROOMS(105),
    TOO_MANY_CONNECTIONS(106),
    UNKNOWN_MESSAGE(107),
    ENVELOPE_TOO_LARGE(108),
    IDLE_TIMEOUT(109),
    SHUTTING_DOWN(110),
    MESSAGE_TOO_LARGE(111),
    SLOW_CONSUMER(112);

    /** WebSocket close codes for protocol failures are {@code CLOSE_CODE_BASE + code}. */
    public static final int CLOSE_CODE_BASE = 4000;

    private final int code;

    ErrorCode(int code) {
        this.code = code;
    }

    /** The numeric code (spec/errors.md). */
    public int code() {
        return code;
    }

    /** The WebSocket close code a gateway sends for this failure. */
    public int closeCode() {
        return CLOSE_CODE_BASE + code;
    }

    /** Looks a code up by number; null if unknown. */
    public static ErrorCode ofCode(int code) {
        for (ErrorCode c : values()) {
            if (c.code == code) {
                return c;
            }
        }
        return null;
    }
}
