package dev.hybridge.gateway.room;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One room: its members by peer id. Membership changes happen under the registry's lock and
 * this room's monitor; relay lookups read the concurrent map without locking.
 */
public final class Room {
    private final RoomId id;

    /** Join order matters for the peer list, so changes also go to {@link #ordered}. */
    private final ConcurrentHashMap<Long, Seat> byId = new ConcurrentHashMap<>();

    private final Map<Long, Seat> ordered = new LinkedHashMap<>();

    Room(RoomId id) {
        this.id = id;
    }

    public RoomId id() {
        return id;
    }

    /** The seat of {@code peerId} in this room, or null. */
    public Seat find(long peerId) {
        return byId.get(peerId);
    }

    int size() {
        return byId.size();
    }

    Collection<Seat> seatsInJoinOrder() {
        return ordered.values();
    }

    void add(Seat s) {
        byId.put(s.peerId(), s);
        ordered.put(s.peerId(), s);
    }

    boolean remove(Seat s) {
        ordered.remove(s.peerId());
        return byId.remove(s.peerId(), s);
    }

    boolean contains(long peerId) {
        return byId.containsKey(peerId);
    }
}
