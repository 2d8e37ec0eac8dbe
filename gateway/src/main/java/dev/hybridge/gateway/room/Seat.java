package dev.hybridge.gateway.room;

/** A member's place in a room: its gateway-assigned peer id and announced peer-handshake key. */
public record Seat(Room room, long peerId, byte[] publicKey, Member member) implements SeatRef {
    /** The peer id as its 8 wire bytes (big-endian). */
    public byte[] peerIdBytes() {
        return PeerIds.toBytes(peerId);
    }
}
