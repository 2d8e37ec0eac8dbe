package dev.hybridge.gateway.room;

import dev.hybridge.protocol.RoomCodec;
import dev.hybridge.protocol.RoomError;
import dev.hybridge.protocol.RoomMessage;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * All rooms, in memory only: a room is created by its first JOIN and vanishes with its last
 * member (spec/room-protocol.md). The gateway sees room ids and envelopes as opaque bytes and
 * never looks inside an envelope.
 *
 * <p>Ordering: JOINED is queued to the joiner before PEER_JOINED reaches anyone else, and both
 * happen under the room's monitor, so no peer can relay to a newcomer before its JOINED is queued.
 */
public final class RoomRegistry implements Rooms {
    private final int capacity;
    private final int maxRooms;
    private final SecureRandom rng;
    private final Map<RoomId, Room> rooms = new HashMap<>();
    private final AtomicInteger roomCount = new AtomicInteger();
    private final AtomicInteger peerCount = new AtomicInteger();

    public RoomRegistry(int capacity, int maxRooms, SecureRandom rng) {
        this.capacity = capacity;
        this.maxRooms = maxRooms;
        this.rng = rng;
    }

    /** The result of a JOIN: a seat, or the error code of the refusal. */
    public sealed interface JoinResult {
        record Joined(SeatRef seat) implements JoinResult {}

        record Refused(RoomError code) implements JoinResult {}
    }

    /** The result of a RELAY: delivered, or the error code to report to the sender. */
    public enum RelayResult {
        DELIVERED,
        /** The target's queue is over its cap; the target is being closed, the envelope is dropped. */
        TARGET_OVERLOADED,
        UNKNOWN_PEER,
        /** The sender's seat is gone (a cluster JOIN that was refused after it was sent). */
        NOT_IN_ROOM
    }

    /**
     * Seats {@code member} in room {@code roomId}; on success JOINED (with {@code iceServers}) has
     * been queued to it and PEER_JOINED to every other member.
     */
    @Override
    public JoinResult join(
            RoomId roomId,
            byte[] publicKey,
            Member member,
            List<RoomMessage.IceServer> iceServers) {
        synchronized (rooms) {
            Room room = rooms.get(roomId);
            if (room == null) {
                if (rooms.size() >= maxRooms) {
                    return new JoinResult.Refused(RoomError.TOO_MANY_ROOMS);
                }
                room = new Room(roomId);
                rooms.put(roomId, room);
                roomCount.incrementAndGet();
            }
            synchronized (room) {
                if (room.size() >= capacity) {
                    return new JoinResult.Refused(RoomError.ROOM_FULL);
                }
                long id;
                do {
                    id = rng.nextLong();
                } while (room.contains(id));
                Seat seat = new Seat(room, id, publicKey.clone(), member);
                List<RoomMessage.Peer> peers = new ArrayList<>(room.size());
                for (Seat s : room.seatsInJoinOrder()) {
                    peers.add(new RoomMessage.Peer(s.peerIdBytes(), s.publicKey()));
                }
                // Seat first: a member that reads PEER_JOINED may relay to the newcomer at once,
                // and relay() looks seats up without this lock.
                List<Seat> others = new ArrayList<>(room.seatsInJoinOrder());
                room.add(seat);
                peerCount.incrementAndGet();
                member.deliver(
                        RoomCodec.encode(
                                new RoomMessage.Joined(seat.peerIdBytes(), peers, iceServers)));
                byte[] announce =
                        RoomCodec.encode(
                                new RoomMessage.PeerJoined(seat.peerIdBytes(), seat.publicKey()));
                for (Seat s : others) {
                    s.member().deliver(announce);
                }
                return new JoinResult.Joined(seat);
            }
        }
    }

    @Override
    public void leave(SeatRef seat) {
        leave((Seat) seat);
    }

    @Override
    public RelayResult relay(SeatRef from, long to, byte[] envelope) {
        return relay((Seat) from, to, envelope);
    }

    /** A seat of this registry stays valid until it is left. */
    @Override
    public boolean seated(SeatRef seat) {
        return seat != null;
    }

    /** Removes {@code seat} from its room and tells the others (PEER_LEFT); idempotent. */
    public void leave(Seat seat) {
        synchronized (rooms) {
            Room room = seat.room();
            synchronized (room) {
                if (room.find(seat.peerId()) != seat) {
                    return;
                }
                // PEER_LEFT is queued to the others before the seat goes: relay() finds seats
                // without this lock, so a member relaying to the leaver meanwhile still reaches it
                // (and is refused by its closed outbox), and an UNKNOWN_PEER it gets can only come
                // after its PEER_LEFT (spec/room-protocol.md, ordering).
                byte[] left = RoomCodec.encode(new RoomMessage.PeerLeft(seat.peerIdBytes()));
                for (Seat s : room.seatsInJoinOrder()) {
                    if (s != seat) {
                        s.member().deliver(left);
                    }
                }
                room.remove(seat);
                peerCount.decrementAndGet();
                if (room.size() == 0 && rooms.remove(room.id(), room)) {
                    roomCount.decrementAndGet();
                }
            }
        }
    }

    /**
     * Queues RELAYED(from, envelope) to peer {@code to} of the sender's room. The envelope is
     * passed through byte for byte: the gateway never parses it.
     */
    public RelayResult relay(Seat from, long to, byte[] envelope) {
        Seat target = from.room().find(to);
        if (target == null || target == from) {
            return RelayResult.UNKNOWN_PEER;
        }
        byte[] msg = RoomCodec.encode(new RoomMessage.Relayed(from.peerIdBytes(), envelope));
        return target.member().deliver(msg) ? RelayResult.DELIVERED : RelayResult.TARGET_OVERLOADED;
    }

    @Override
    public int rooms() {
        return roomCount.get();
    }

    /** Whether a room with this id exists now (rooms vanish when their last member leaves). */
    @Override
    public boolean exists(RoomId roomId) {
        synchronized (rooms) {
            return rooms.containsKey(roomId);
        }
    }

    @Override
    public int peers() {
        return peerCount.get();
    }
}
