package dev.hybridge.protocol;

import dev.hybridge.crypto.FailureCode;

/**
 * The failure classes of the room protocol and the gateway's limits (spec/room-protocol.md,
 * "Errors (codes 100+)"): sent in an ERROR message or as the WebSocket close code {@code 4000 +
 * code}, with the two exceptions spec/errors.md lists (MESSAGE_TOO_LARGE closes with 1009,
 * SHUTTING_DOWN with 1001). The channels' codes are {@link dev.hybridge.crypto.ErrorCode}.
 */
public enum RoomError implements FailureCode {
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
    SLOW_CONSUMER(112),

    // Short join codes (spec/short-codes.md): reply codes of the slot messages.
    SLOT_UNKNOWN(113),
    SLOT_EXPIRED(114),
    SLOT_USED(115),
    SLOT_BURNED(116),
    TOO_MANY_SLOTS(117),
    SLOT_RATE_LIMITED(118),

    // SFU signaling (spec/sfu.md §8): reply codes whose ref is the request's txn.
    SFU_UNAVAILABLE(119),
    SFU_NOT_ALLOWED(120),
    SFU_MALFORMED(121),
    SFU_BUSY(122),
    SFU_TIMEOUT(123);

    private final int code;

    RoomError(int code) {
        this.code = code;
    }

    @Override
    public int code() {
        return code;
    }

    /** Looks a code up by number; null if it is not a room code. */
    public static RoomError ofCode(int code) {
        for (RoomError c : values()) {
            if (c.code == code) {
                return c;
            }
        }
        return null;
    }

    /** The name of any wire code (a channel's or the room layer's), or null if unassigned. */
    public static String nameOf(int code) {
        FailureCode c = ofCode(code);
        if (c == null) {
            c = dev.hybridge.crypto.ErrorCode.ofCode(code);
        }
        return c == null ? null : c.name();
    }
}
