package dev.hybridge.crypto;

/**
 * The failure classes of the hop and peer channels: handshakes and records (spec/errors.md, codes
 * 1-29). Codes are stable on the wire and in the test vectors; a name never changes meaning. A
 * failure reports only its code: which internal check tripped is never revealed beyond it. The
 * room layer's codes are {@code dev.hybridge.protocol.RoomError}.
 */
public enum ErrorCode implements FailureCode {
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
    RECORD_LIMIT_REACHED(24);

    private final int code;

    ErrorCode(int code) {
        this.code = code;
    }

    @Override
    public int code() {
        return code;
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
