package dev.hybridge.gateway.slot;

/**
 * A connection's place in a short-code slot: a seat in this gateway's {@link SlotRegistry}, or
 * (in a cluster) the joiner's seat in a slot held by another node.
 */
public interface SlotSeat {
    /** True once the slot ended (used, burned or expired): the seat holds nothing any more. */
    boolean ended();
}
