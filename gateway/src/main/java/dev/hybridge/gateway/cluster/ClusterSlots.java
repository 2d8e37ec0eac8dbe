package dev.hybridge.gateway.cluster;

import dev.hybridge.gateway.room.Member;
import dev.hybridge.gateway.slot.SlotMember;
import dev.hybridge.gateway.slot.SlotRegistry;
import dev.hybridge.gateway.slot.SlotSeat;
import dev.hybridge.gateway.slot.Slots;
import dev.hybridge.protocol.RoomCodec;
import dev.hybridge.protocol.RoomError;
import dev.hybridge.protocol.RoomMessage;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Short-code slots across a cluster (spec/cluster.md §6). A slot lives in the {@link
 * SlotRegistry} of its creator's node X, which hands out only the numbers it owns: the owner of
 * number n is the live node with the greatest HMAC(k_route, "slot" || n || node_id). A joiner's
 * node Y sends SLOT_JOIN to the owner of the number it was given; X pairs the slot there, with a
 * stand-in member that sends everything for the joiner back to Y. The joiner's relays, SLOT_DONE
 * and leaving go to X; the slot's end comes back to Y, so that the joiner's seat there ends too.
 *
 * <p>Bounds: Y keeps one seat per connection that joined a remote slot, X one stand-in per paired
 * slot (at most {@code max-slots}); both are dropped when the slot ends or either node goes.
 */
final class ClusterSlots implements Slots {
    /** A remote slot's first answer (SLOT_PAIRED or ERROR) must come within this of SLOT_JOIN. */
    static final long ANSWER_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(5);

    /** What the slots need of the cluster node. Implementations never block for long. */
    interface Bus {
        String self();

        /** The live node that owns slot number {@code n}. */
        String slotOwner(long n);

        void publish(String node, Wire.Out msg);
    }

    private final SlotRegistry local;
    private final Bus bus;
    private final AtomicLong nextToken = new AtomicLong();

    /** How long an ended seat at Y still takes the owner's late answers (errors to its relays). */
    static final long LINGER_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(10);

    /** At Y: token -> the joiner's seat in a slot held by another node (ended ones linger). */
    private final Map<Long, RemoteSeat> remote = new ConcurrentHashMap<>();

    /** At X: (Y, token) -> the stand-in of a joiner on node Y, with its seat here. */
    private final Map<String, StandIn> standIns = new ConcurrentHashMap<>();

    ClusterSlots(SlotRegistry local, Bus bus) {
        this.local = local;
        this.bus = bus;
        local.ownNumbers(n -> bus.slotOwner(n).equals(bus.self()));
    }

    // ================================================================ Slots (connection threads)

    @Override
    public SlotRegistry.Result open(String address, byte[] publicKey, Member creator, long now) {
        return local.open(address, publicKey, creator, now); // a number this node owns
    }

    @Override
    public SlotRegistry.Result join(
            String address, long number, byte[] publicKey, Member joiner, long now) {
        String owner = bus.slotOwner(number);
        if (owner.equals(bus.self())) {
            return local.join(address, number, publicKey, joiner, now);
        }
        if (!local.attempt(address, now)) { // here, and again at the owner
            return new SlotRegistry.Result(null, RoomError.SLOT_RATE_LIMITED);
        }
        RemoteSeat seat =
                new RemoteSeat(nextToken.incrementAndGet(), owner, joiner, now + ANSWER_NANOS);
        remote.put(seat.token, seat);
        byte[] addr = address.getBytes(StandardCharsets.UTF_8);
        bus.publish(
                owner,
                new Wire.Out(Wire.SLOT_JOIN)
                        .u64(seat.token)
                        .u64(number)
                        .bytes(publicKey)
                        .u16(addr.length)
                        .bytes(addr));
        return new SlotRegistry.Result(seat, null);
    }

    @Override
    public SlotRegistry.Relay relay(SlotSeat seat, byte[] to, byte[] envelope) {
        if (!(seat instanceof RemoteSeat r)) {
            return local.relay(seat, to, envelope);
        }
        if (r.ended) {
            return SlotRegistry.Relay.NOT_PAIRED;
        }
        // The owner checks pairing and the recipient; its refusal comes back as an ERROR.
        bus.publish(r.owner, new Wire.Out(Wire.SLOT_RELAY).u64(r.token).bytes(to).bytes(envelope));
        return SlotRegistry.Relay.DELIVERED;
    }

    @Override
    public void done(SlotSeat seat, boolean burned, long now) {
        if (!(seat instanceof RemoteSeat r)) {
            local.done(seat, burned, now);
            return;
        }
        if (endRemote(r)) {
            bus.publish(r.owner, new Wire.Out(Wire.SLOT_DONE).u64(r.token).u8(burned ? 1 : 0));
        }
    }

    @Override
    public void leave(SlotSeat seat, long now) {
        done(seat, true, now);
    }

    /**
     * A local slot's deadlines; a remote one's run at its owner, and here only the bound on its
     * answers: no answer in time (the owner is cut off, or the bus lost the message) ends it as
     * expired, so that no seat waits for ever.
     */
    @Override
    public void tick(SlotSeat seat, long now) {
        if (!(seat instanceof RemoteSeat r)) {
            local.tick(seat, now);
            return;
        }
        if (!r.ended && now - r.deadline >= 0 && endRemote(r)) {
            r.member.deliver(error(RoomError.SLOT_EXPIRED, null));
            bus.publish(r.owner, new Wire.Out(Wire.SLOT_DONE).u64(r.token).u8(1));
        }
    }

    @Override
    public int openSlots() {
        return local.openSlots();
    }

    // ================================================================ bus (dispatcher thread)

    // The sender of each message is the node the bus seal authenticated ({@code from}).

    /** At X: a joiner on node {@code from} asks for a slot this node holds. */
    void onJoin(String from, Wire.In in) {
        long token = in.u64();
        long number = in.u64();
        byte[] key = in.bytes(Wire.KEY);
        String address = new String(in.bytes(in.u16()), StandardCharsets.UTF_8);
        in.end();
        StandIn s = new StandIn(from, token);
        SlotRegistry.Result r = local.join(address, number, key, s, System.nanoTime());
        if (r.refusal() != null) {
            s.send(error(r.refusal(), null), true);
            return;
        }
        s.seat = r.seat();
        if (!s.seat.ended()) {
            standIns.put(s.id(), s);
        }
    }

    /** At X: a relay of the joiner on node {@code from}. */
    void onRelay(String from, Wire.In in) {
        long token = in.u64();
        StandIn s = standIns.get(from + ":" + token);
        byte[] to = in.bytes(RoomCodec.PEER_ID_LEN);
        byte[] envelope = in.rest();
        if (s == null) { // the slot ended meanwhile: the relay is refused, not lost
            bus.publish(
                    from,
                    new Wire.Out(Wire.SLOT_DELIVER)
                            .u64(token)
                            .u8(1)
                            .bytes(error(RoomError.NOT_IN_ROOM, null)));
            return;
        }
        switch (local.relay(s.seat, to, envelope)) {
            case DELIVERED -> {}
            case NOT_PAIRED -> s.send(error(RoomError.NOT_IN_ROOM, null), false);
            case UNKNOWN_PEER -> s.send(error(RoomError.UNKNOWN_PEER, to), false);
        }
    }

    /** At X: the joiner on node {@code from} sent SLOT_DONE, left, or its connection ended. */
    void onDone(String from, Wire.In in) {
        StandIn s = standIns.remove(from + ":" + in.u64());
        boolean burned = in.u8() != 0;
        in.end();
        if (s != null) {
            local.done(s.seat, burned, System.nanoTime());
        }
    }

    /** At Y: a room message for a joiner here, from the node that holds its slot. */
    void onDeliver(String from, Wire.In in) {
        long token = in.u64();
        boolean ended = in.u8() != 0;
        byte[] message = in.rest();
        RemoteSeat r = remote.get(token);
        if (r == null || !r.owner.equals(from)) {
            return;
        }
        if (!r.ended) { // paired (or refused): the slot ends at the owner within its pair timeout
            r.deadline = System.nanoTime() + SlotRegistry.PAIR_TIMEOUT.toNanos() + ANSWER_NANOS;
        }
        if (ended) {
            endRemote(r); // first: once the member reads the answer, its seat must be free
        }
        if (message.length > 0) {
            r.member.deliver(message); // an ended seat still hears the answers to its relays
        }
    }

    /**
     * {@code node} is gone (called off the bus thread, outside the cluster lock): joiners here
     * whose slot it held hear that the slot expired; slots here paired with a joiner there burn.
     */
    void nodeGone(String node) {
        for (RemoteSeat r : remote.values()) {
            if (r.owner.equals(node) && endRemote(r)) {
                r.member.deliver(error(RoomError.SLOT_EXPIRED, null));
            }
        }
        for (StandIn s : standIns.values()) {
            if (s.node.equals(node) && standIns.remove(s.id(), s)) {
                local.leave(s.seat, System.nanoTime());
            }
        }
    }

    private boolean endRemote(RemoteSeat r) {
        synchronized (r) {
            if (r.ended) {
                return false;
            }
            r.ended = true;
            r.deadline = System.nanoTime() + LINGER_NANOS; // then purged
        }
        return true;
    }

    /** Forgets seats that ended more than LINGER_NANOS ago (at most the joins of that window). */
    void purge(long now) {
        remote.values().removeIf(r -> r.ended && now - r.deadline >= 0);
    }

    private static byte[] error(RoomError code, byte[] ref) {
        return RoomCodec.encode(new RoomMessage.Error(code.code(), ref));
    }

    /** At Y: the joiner's seat in a slot held by {@code owner}. */
    private static final class RemoteSeat implements SlotSeat {
        final long token;
        final String owner;
        final Member member;
        volatile long deadline;
        volatile boolean ended;

        RemoteSeat(long token, String owner, Member member, long deadline) {
            this.token = token;
            this.owner = owner;
            this.member = member;
            this.deadline = deadline;
        }

        @Override
        public boolean ended() {
            return ended;
        }
    }

    /** At X: stands in for a joiner on node {@code node}; what it is given goes there. */
    private final class StandIn implements SlotMember {
        final String node;
        final long token;
        volatile SlotSeat seat;

        StandIn(String node, long token) {
            this.node = node;
            this.token = token;
        }

        String id() {
            return node + ":" + token;
        }

        @Override
        public boolean deliver(byte[] roomMessage) {
            send(roomMessage, false);
            return true; // the bus is the queue; Y's connection applies its own cap
        }

        @Override
        public void slotEnded() {
            standIns.remove(id(), this);
            send(new byte[0], true);
        }

        void send(byte[] roomMessage, boolean ended) {
            bus.publish(
                    node,
                    new Wire.Out(Wire.SLOT_DELIVER)
                            .u64(token)
                            .u8(ended ? 1 : 0)
                            .bytes(roomMessage));
        }
    }
}
