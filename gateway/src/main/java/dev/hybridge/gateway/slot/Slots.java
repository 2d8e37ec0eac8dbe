package dev.hybridge.gateway.slot;

import dev.hybridge.gateway.room.Member;

/**
 * What a connection needs of the short-code slots (spec/short-codes.md §5): the single-node
 * {@link SlotRegistry}, or a cluster node's slots (spec/cluster.md §6), where a slot lives on the
 * node of its creator and a joiner on another node reaches it over the bus. Never blocks.
 */
public interface Slots {
    /** SLOT_OPEN from {@code address}: a new slot, SLOT_OPENED queued to {@code creator}. */
    SlotRegistry.Result open(String address, byte[] publicKey, Member creator, long now);

    /**
     * SLOT_JOIN from {@code address}. A slot held here answers at once; one held by another
     * cluster node answers with a seat whose SLOT_PAIRED (or ERROR) reaches the member later.
     */
    SlotRegistry.Result join(
            String address, long number, byte[] publicKey, Member joiner, long now);

    /** RELAY from a slot member: only to the other member, once paired. */
    SlotRegistry.Relay relay(SlotSeat seat, byte[] to, byte[] envelope);

    /** SLOT_DONE: a paired slot ends with the given outcome; an open one is withdrawn. */
    void done(SlotSeat seat, boolean burned, long now);

    /** LEAVE, or the member's connection ended: a paired slot burns, an open one is withdrawn. */
    void leave(SlotSeat seat, long now);

    /** The member's timer: ends the slot once its deadline passed. */
    void tick(SlotSeat seat, long now);

    /** Slots open or paired here now (the gauge {@code hybridge_slots_open}). */
    int openSlots();
}
