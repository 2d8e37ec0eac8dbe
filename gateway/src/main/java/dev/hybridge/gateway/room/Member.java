package dev.hybridge.gateway.room;

/**
 * What a room needs from a connection: a way to queue one room message (a record plaintext) for
 * it. Implementations must not block: the call happens while the room is locked.
 */
public interface Member {
    /** Queues {@code roomMessage}; false if the member's queue is over its cap (it will be closed). */
    boolean deliver(byte[] roomMessage);
}
