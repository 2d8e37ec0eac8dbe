package dev.hybridge.gateway.slot;

import dev.hybridge.gateway.observe.Metrics;
import dev.hybridge.gateway.room.Member;
import dev.hybridge.protocol.RoomCodec;
import dev.hybridge.protocol.RoomError;
import dev.hybridge.protocol.RoomMessage;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongPredicate;

/**
 * The gateway's short-code slots (spec/short-codes.md §5): opaque, in memory, at most {@code
 * maxSlots} open or paired, each with a deadline; one joiner per slot, ever. Ended slots are
 * remembered by number and outcome for {@code ttl}, so a late joiner hears <em>expired</em>,
 * <em>used</em> or <em>burned</em>, and a number is not reused meanwhile. The gateway sees a slot
 * number, a sid it drew itself, two X-Wing public keys and opaque envelopes; it never learns a
 * code, a room or a link.
 *
 * <p>Thread-safe: every method takes the registry's lock; members' {@link Member#deliver} only
 * queues, so nothing blocks under it.
 */
public final class SlotRegistry implements Slots {
    /** A paired slot must end within this (spec/short-codes.md §5). */
    public static final Duration PAIR_TIMEOUT = Duration.ofSeconds(30);

    /** Peer ids inside a slot: the creator is R, the joiner I (spec/short-codes.md §4.1). */
    public static final byte[] CREATOR_ID = {0, 0, 0, 0, 0, 0, 0, 1};

    public static final byte[] JOINER_ID = {0, 0, 0, 0, 0, 0, 0, 2};

    /** Metrics event names, {@code hybridge_slots_total{event=...}}. */
    public static final String CREATED = "created";

    public static final String USED = "used";
    public static final String BURNED = "burned";
    public static final String EXPIRED = "expired";

    private final int maxSlots;
    private final long ttlNanos;
    private final SecureRandom rng;
    private final Metrics metrics;
    private final AddressBuckets creates;
    private final AddressBuckets attempts;
    private final Map<Long, Slot> live = new HashMap<>();

    /** Which numbers this gateway may hand out: all, or (a cluster node) those it owns. */
    private volatile LongPredicate ownNumber = n -> true;

    /** number -> {outcome error code, ended at}; insertion order = the order slots ended. */
    private final LinkedHashMap<Long, long[]> remembered = new LinkedHashMap<>();

    public SlotRegistry(
            int maxSlots,
            Duration ttl,
            int createsPerMinute,
            int createBurst,
            int attemptsPerMinute,
            int attemptBurst,
            SecureRandom rng,
            Metrics metrics) {
        this.maxSlots = maxSlots;
        this.ttlNanos = ttl.toNanos();
        this.rng = rng;
        this.metrics = metrics;
        this.creates = new AddressBuckets(createsPerMinute, createBurst);
        this.attempts = new AddressBuckets(attemptsPerMinute, attemptBurst);
    }

    /** The outcome of SLOT_OPEN or SLOT_JOIN: a seat, or a reply code. */
    public record Result(SlotSeat seat, RoomError refusal) {
        static Result refused(RoomError code) {
            return new Result(null, code);
        }
    }

    /**
     * A cluster node hands out only the numbers it owns (spec/cluster.md §6), so that a joiner's
     * node knows where a number's slot lives. The predicate must not block.
     */
    public void ownNumbers(LongPredicate own) {
        this.ownNumber = own;
    }

    /** Takes one attempt token for {@code address} (the joiner's node, before it forwards). */
    public synchronized boolean attempt(String address, long now) {
        if (attempts.tryTake(address, now)) {
            return true;
        }
        metrics.limitHit(Metrics.LIMIT_SLOT_ATTEMPTS);
        return false;
    }

    @Override
    public synchronized Result open(String address, byte[] publicKey, Member creator, long now) {
        if (!creates.tryTake(address, now)) {
            metrics.limitHit(Metrics.LIMIT_SLOT_CREATES);
            return Result.refused(RoomError.SLOT_RATE_LIMITED);
        }
        if (live.size() >= maxSlots) {
            metrics.limitHit(Metrics.LIMIT_SLOTS);
            return Result.refused(RoomError.TOO_MANY_SLOTS);
        }
        forgetOld(now);
        long number = freeNumber();
        byte[] sid = new byte[RoomCodec.SID_LEN];
        rng.nextBytes(sid);
        Slot slot = new Slot(number, sid, creator, publicKey.clone(), now + ttlNanos);
        live.put(number, slot);
        metrics.slotEvent(CREATED);
        int ttlSeconds = (int) Math.min(0xFFFF, Duration.ofNanos(ttlNanos).toSeconds());
        creator.deliver(RoomCodec.encode(new RoomMessage.SlotOpened(number, sid, ttlSeconds)));
        return new Result(new LocalSeat(slot, true), null);
    }

    @Override
    public synchronized Result join(
            String address, long number, byte[] publicKey, Member joiner, long now) {
        if (!attempts.tryTake(address, now)) {
            metrics.limitHit(Metrics.LIMIT_SLOT_ATTEMPTS);
            return Result.refused(RoomError.SLOT_RATE_LIMITED);
        }
        forgetOld(now);
        Slot slot = live.get(number);
        if (slot != null && slot.state() == Slot.State.OPEN && now - slot.deadline >= 0) {
            slot.creator.deliver(error(RoomError.SLOT_EXPIRED)); // its own tick has not run yet
            end(slot, RoomError.SLOT_EXPIRED, now);
            slot = null;
        }
        if (slot == null) {
            long[] r = remembered.get(number);
            return Result.refused(
                    r == null ? RoomError.SLOT_UNKNOWN : RoomError.ofCode((int) r[0]));
        }
        if (slot.state() != Slot.State.OPEN) {
            return Result.refused(RoomError.SLOT_USED);
        }
        slot.joiner = joiner;
        slot.joinerKey = publicKey.clone();
        slot.deadline = now + PAIR_TIMEOUT.toNanos();
        slot.state(Slot.State.PAIRED);
        slot.creator.deliver(RoomCodec.encode(new RoomMessage.SlotPaired(slot.sid, publicKey)));
        joiner.deliver(RoomCodec.encode(new RoomMessage.SlotPaired(slot.sid, slot.creatorKey)));
        return new Result(new LocalSeat(slot, false), null);
    }

    /** How a RELAY from a slot seat went. */
    public enum Relay {
        DELIVERED,
        NOT_PAIRED,
        UNKNOWN_PEER
    }

    @Override
    public synchronized Relay relay(SlotSeat s, byte[] to, byte[] envelope) {
        LocalSeat seat = (LocalSeat) s;
        Slot slot = seat.slot();
        if (slot.state() != Slot.State.PAIRED) {
            return Relay.NOT_PAIRED;
        }
        byte[] other = seat.creator() ? JOINER_ID : CREATOR_ID;
        if (!Arrays.equals(to, other)) {
            return Relay.UNKNOWN_PEER;
        }
        byte[] self = seat.creator() ? CREATOR_ID : JOINER_ID;
        Member target = seat.creator() ? slot.joiner : slot.creator;
        target.deliver(RoomCodec.relayed(self, envelope));
        return Relay.DELIVERED;
    }

    @Override
    public synchronized void done(SlotSeat s, boolean burned, long now) {
        LocalSeat seat = (LocalSeat) s;
        Slot slot = seat.slot();
        switch (slot.state()) {
            case OPEN -> end(slot, RoomError.SLOT_EXPIRED, now);
            case PAIRED -> {
                if (burned) {
                    Member other = seat.creator() ? slot.joiner : slot.creator;
                    other.deliver(error(RoomError.SLOT_BURNED));
                    end(slot, RoomError.SLOT_BURNED, now);
                } else {
                    end(slot, RoomError.SLOT_USED, now);
                }
            }
            case ENDED -> {}
        }
    }

    @Override
    public void leave(SlotSeat seat, long now) {
        done(seat, true, now);
    }

    /** Expired, or burned if paired, once the deadline passed. */
    @Override
    public synchronized void tick(SlotSeat seat, long now) {
        Slot slot = ((LocalSeat) seat).slot();
        if (now - slot.deadline < 0) {
            return;
        }
        switch (slot.state()) {
            case OPEN -> {
                slot.creator.deliver(error(RoomError.SLOT_EXPIRED));
                end(slot, RoomError.SLOT_EXPIRED, now);
            }
            case PAIRED -> {
                slot.creator.deliver(error(RoomError.SLOT_BURNED));
                slot.joiner.deliver(error(RoomError.SLOT_BURNED));
                end(slot, RoomError.SLOT_BURNED, now);
            }
            case ENDED -> {}
        }
    }

    @Override
    public synchronized int openSlots() {
        return live.size();
    }

    /** Ended slots still remembered (for tests). */
    synchronized int rememberedSlots() {
        return remembered.size();
    }

    private void end(Slot slot, RoomError outcome, long now) {
        slot.state(Slot.State.ENDED);
        live.remove(slot.number);
        remembered.put(slot.number, new long[] {outcome.code(), now});
        if (slot.joiner instanceof SlotMember m) {
            m.slotEnded();
        }
        metrics.slotEvent(
                switch (outcome) {
                    case SLOT_USED -> USED;
                    case SLOT_BURNED -> BURNED;
                    default -> EXPIRED;
                });
    }

    private static byte[] error(RoomError code) {
        return RoomCodec.encode(new RoomMessage.Error(code.code(), null));
    }

    /** Drops remembered slots older than the ttl; the table never holds more than 2 x maxSlots. */
    private void forgetOld(long now) {
        for (Iterator<long[]> it = remembered.values().iterator(); it.hasNext(); ) {
            if (now - it.next()[1] >= ttlNanos) {
                it.remove();
            } else {
                break; // insertion order is end order
            }
        }
        while (!remembered.isEmpty() && live.size() + remembered.size() >= 2L * maxSlots) {
            Iterator<Long> it = remembered.keySet().iterator();
            it.next();
            it.remove();
        }
    }

    /**
     * The lowest number this gateway may hand out that is neither live nor remembered (there is
     * one: see forgetOld; a cluster node owns about one number in N, spec/cluster.md §6).
     */
    private long freeNumber() {
        LongPredicate own = ownNumber;
        for (long n = 1; ; n++) {
            if (!live.containsKey(n) && !remembered.containsKey(n) && own.test(n)) {
                return n;
            }
        }
    }
}
