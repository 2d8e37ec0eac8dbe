package dev.hybridge.gateway.room;

import dev.hybridge.protocol.RoomMessage;
import java.util.List;

/**
 * What a connection needs of the rooms: the single-node {@link RoomRegistry}, or a cluster node
 * ({@code dev.hybridge.gateway.cluster}, spec/cluster.md) that keeps the same guarantees across
 * nodes. All methods are called from connection threads and must not block.
 */
public interface Rooms {
    /**
     * Seats {@code member} in {@code roomId}. The single-node registry answers at once; a cluster
     * node may answer {@code Joined} with a seat whose JOIN is still out: JOINED (or the ERROR of a
     * refusal) then reaches the member later, and its relays wait for it.
     */
    RoomRegistry.JoinResult join(
            RoomId roomId, byte[] publicKey, Member member, List<RoomMessage.IceServer> iceServers);

    /** Ends {@code seat}; idempotent. */
    void leave(SeatRef seat);

    /** RELAY from {@code from} to peer {@code to}. */
    RoomRegistry.RelayResult relay(SeatRef from, long to, byte[] envelope);

    /** Whether {@code seat} still holds (or still waits for) its place: false once refused or ended. */
    boolean seated(SeatRef seat);

    /** Whether the room exists here now (a cluster node: it owns it or has members in it). */
    boolean exists(RoomId roomId);

    /** Rooms held here (a cluster node: rooms it owns). */
    int rooms();

    /** Members seated on this gateway (node). */
    int peers();
}
