package dev.hybridge.gateway.sfu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** spec/sfu.md §4: ids in 1 .. 2^53 - 1, the feed id from the peer id, the room id keyed. */
class SfuIdsTest {
    private static final long MAX = (1L << 53) - 1;

    @Test
    void feedIdIsOnePlusThePeerIdModulo() {
        assertEquals(1, SfuIds.feedId(0));
        assertEquals(1, SfuIds.feedId(MAX)); // MAX mod MAX = 0
        assertEquals(MAX, SfuIds.feedId(MAX - 1));
        // -1 is 2^64 - 1 unsigned: 2^64 - 1 = 2048 * (2^53 - 1) + 2047
        assertEquals(2048, SfuIds.feedId(-1L));
        assertEquals(
                Long.remainderUnsigned(0x8000_0000_0000_0000L, MAX) + 1,
                SfuIds.feedId(Long.MIN_VALUE));
    }

    @Test
    void janusRoomDependsOnTheSecretAndTheRoomAndStaysInRange() {
        byte[] s1 = new byte[32];
        byte[] s2 = new byte[32];
        s2[0] = 1;
        byte[] room = new byte[32];
        byte[] other = new byte[32];
        other[31] = 1;
        long r = SfuIds.janusRoom(s1, room);
        assertEquals(r, SfuIds.janusRoom(s1, room));
        assertNotEquals(r, SfuIds.janusRoom(s2, room));
        assertNotEquals(r, SfuIds.janusRoom(s1, other));
        for (int i = 0; i < 1000; i++) {
            room[0] = (byte) i;
            room[1] = (byte) (i >> 8);
            long v = SfuIds.janusRoom(s1, room);
            assertTrue(v >= 1 && v <= MAX);
        }
    }
}
