package dev.hybridge.gateway.room;

/**
 * What a room needs from a connection: a way to queue one room message (a record plaintext) for
 * it. Implementations must not block: the call happens while the room is locked.
 */
public interface Member {
    /** Queues {@code roomMessage}; false if the member's queue is over its cap (it will be closed). */
    boolean deliver(byte[] roomMessage);

    /**
     * Closes the member's connection as a gateway going away: ERROR(SHUTTING_DOWN), then close
     * 1001, so that its client reconnects and joins again (a cluster node whose view of the
     * cluster went stale, spec/cluster.md §3). Never blocks: it may be called under a room's lock.
     * The default does nothing (a member with no connection to close).
     */
    default void goingAway() {}
}
