package dev.hybridge.gateway.slot;

/** A seat in this gateway's {@link SlotRegistry}: the slot and whether it is the creator. */
record LocalSeat(Slot slot, boolean creator) implements SlotSeat {
    @Override
    public boolean ended() {
        return slot.ended();
    }
}
