package dev.hybridge.gateway.slot;

import dev.hybridge.gateway.room.Member;

/**
 * A slot member that must hear when its slot ends, whatever ended it: the joiner of a slot held
 * here whose connection is on another cluster node (spec/cluster.md §6), so that its seat there
 * ends too. Called under the registry's lock: must not block.
 */
public interface SlotMember extends Member {
    void slotEnded();
}
