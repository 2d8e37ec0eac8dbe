package dev.hybridge.gateway.slot;

/** A connection's place in a slot: the slot and whether it is the creator or the joiner. */
public record SlotSeat(Slot slot, boolean creator) {
    /** True once the slot ended (used, burned or expired): the seat holds nothing any more. */
    public boolean ended() {
        return slot.ended();
    }
}
