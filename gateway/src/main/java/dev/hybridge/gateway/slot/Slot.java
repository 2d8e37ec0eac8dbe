package dev.hybridge.gateway.slot;

import dev.hybridge.gateway.room.Member;

/**
 * One short-code slot (spec/short-codes.md §5): its number, CPace sid, members and deadline. It
 * holds no secret: the gateway never learns the code, the room or the link. Mutated only under
 * the {@link SlotRegistry}'s lock; {@link #ended()} may be read from any thread.
 */
public final class Slot {
    enum State {
        OPEN,
        PAIRED,
        ENDED
    }

    final long number;
    final byte[] sid;
    final Member creator;
    final byte[] creatorKey;
    Member joiner;
    byte[] joinerKey;
    long deadline;
    private volatile State state = State.OPEN;

    Slot(long number, byte[] sid, Member creator, byte[] creatorKey, long deadline) {
        this.number = number;
        this.sid = sid;
        this.creator = creator;
        this.creatorKey = creatorKey;
        this.deadline = deadline;
    }

    State state() {
        return state;
    }

    void state(State s) {
        state = s;
    }

    public boolean ended() {
        return state == State.ENDED;
    }
}
