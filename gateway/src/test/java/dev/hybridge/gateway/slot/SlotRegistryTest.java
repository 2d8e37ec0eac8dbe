package dev.hybridge.gateway.slot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hybridge.gateway.observe.Metrics;
import dev.hybridge.protocol.RoomCodec;
import dev.hybridge.protocol.RoomError;
import dev.hybridge.protocol.RoomMessage;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The registry's parts that a cluster node relies on (spec/cluster.md §6). */
class SlotRegistryTest {
    static final byte[] KEY = new byte[1216];

    static SlotRegistry registry() {
        return new SlotRegistry(
                8,
                Duration.ofMinutes(5),
                1000,
                1000,
                1000,
                1000,
                new SecureRandom(),
                new Metrics(() -> 0, () -> 0, () -> 0));
    }

    static final class Recorder implements SlotMember {
        final List<RoomMessage> got = new ArrayList<>();
        int ended;

        @Override
        public boolean deliver(byte[] roomMessage) {
            try {
                got.add(RoomCodec.decodeFromGateway(roomMessage));
            } catch (dev.hybridge.crypto.ProtocolException e) {
                throw new AssertionError(e);
            }
            return true;
        }

        @Override
        public void slotEnded() {
            ended++;
        }
    }

    static long opened(Recorder r) {
        return ((RoomMessage.SlotOpened) r.got.get(r.got.size() - 1)).slot();
    }

    @Test
    void aNodeHandsOutOnlyTheNumbersItOwnsLowestFirst() {
        SlotRegistry reg = registry();
        reg.ownNumbers(n -> n % 3 == 0);
        List<Long> numbers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Recorder c = new Recorder();
            assertNull(reg.open("a", KEY, c, 0).refusal());
            numbers.add(opened(c));
        }
        assertEquals(List.of(3L, 6L, 9L, 12L), numbers);
    }

    @Test
    void theJoinerHearsTheEndOfItsSlotWhateverEndedIt() {
        SlotRegistry reg = registry();
        long now = 0;
        // used: the creator's SLOT_DONE
        Recorder c1 = new Recorder();
        Recorder j1 = new Recorder();
        SlotSeat s1 = reg.open("a", KEY, c1, now).seat();
        reg.join("b", opened(c1), KEY, j1, now);
        assertEquals(0, j1.ended);
        reg.done(s1, false, now);
        assertEquals(1, j1.ended);
        reg.done(s1, false, now); // once only
        assertEquals(1, j1.ended);
        // burned: the pair timeout passes
        Recorder c2 = new Recorder();
        Recorder j2 = new Recorder();
        SlotSeat s2 = reg.open("a", KEY, c2, now).seat();
        reg.join("b", opened(c2), KEY, j2, now);
        reg.tick(s2, now + SlotRegistry.PAIR_TIMEOUT.toNanos());
        assertEquals(1, j2.ended);
        RoomMessage.Error e = (RoomMessage.Error) j2.got.get(j2.got.size() - 1);
        assertEquals(RoomError.SLOT_BURNED.code(), e.code());
        assertTrue(s2.ended());
    }

    @Test
    void theAttemptBucketIsTheJoinersOwn() {
        SlotRegistry reg =
                new SlotRegistry(
                        8,
                        Duration.ofMinutes(5),
                        1000,
                        1000,
                        1,
                        2,
                        new SecureRandom(),
                        new Metrics(() -> 0, () -> 0, () -> 0));
        assertTrue(reg.attempt("a", 0));
        assertTrue(reg.attempt("a", 0));
        assertEquals(false, reg.attempt("a", 0));
        assertTrue(reg.attempt("b", 0));
        // the same bucket as SLOT_JOIN's
        assertEquals(
                RoomError.SLOT_RATE_LIMITED, reg.join("a", 1, KEY, new Recorder(), 0).refusal());
    }
}
