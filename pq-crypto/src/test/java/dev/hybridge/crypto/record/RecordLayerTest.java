package dev.hybridge.crypto.record;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hybridge.crypto.ErrorCode;
import dev.hybridge.crypto.ProtocolException;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class RecordLayerTest {
    private static final byte[] SECRET = new byte[32];

    @Property(tries = 300)
    void anyPayloadRoundTrips(
            @ForAll @Size(max = 5) java.util.List<@Size(max = 4096) byte[]> payloads,
            @ForAll @LongRange(min = 0, max = 1L << 20) long start)
            throws ProtocolException {
        RecordSealer s =
                DeterministicRecords.sealerAt(SECRET, RecordFormat.HOP_MAX_PLAINTEXT, start);
        RecordOpener o =
                DeterministicRecords.openerAt(SECRET, RecordFormat.HOP_MAX_PLAINTEXT, start);
        for (byte[] p : payloads) {
            byte[] r = s.seal(p);
            assertEquals(RecordFormat.HEADER_LEN + p.length + RecordFormat.TAG_LEN, r.length);
            assertArrayEquals(p, o.open(r));
        }
    }

    @Property(tries = 100)
    void noncesNeverRepeatWithinAKeyAndKeysChangePerEpoch(
            @ForAll @LongRange(min = 0, max = 1L << 24) long start,
            @ForAll @IntRange(min = 1, max = 3000) int count) {
        EpochKeys keys = new EpochKeys(SECRET);
        Set<String> seen = new HashSet<>();
        long epoch = -1;
        byte[] lastIv = null;
        for (long seq = start; seq < start + count; seq++) {
            keys.advanceTo(seq);
            if (keys.epoch() != epoch) {
                epoch = keys.epoch();
                byte[] iv = keys.nonce(epoch << RecordFormat.EPOCH_SHIFT);
                assertFalse(
                        lastIv != null && Arrays.equals(iv, lastIv), "epoch keys did not change");
                lastIv = iv;
            }
            String key = epoch + ":" + Arrays.toString(keys.nonce(seq));
            assertFalse(!seen.add(key), "nonce repeated at seq " + seq);
        }
    }

    @Test
    void largestPlaintextFitsAndOneMoreIsRefused() throws ProtocolException {
        RecordSealer s = new RecordSealer(SECRET, RecordFormat.HOP_MAX_PLAINTEXT);
        RecordOpener o = new RecordOpener(SECRET, RecordFormat.HOP_MAX_PLAINTEXT);
        byte[] max = new byte[RecordFormat.HOP_MAX_PLAINTEXT];
        assertArrayEquals(max, o.open(s.seal(max)));
        assertEquals(
                ErrorCode.RECORD_TOO_LARGE,
                assertThrows(
                                ProtocolException.class,
                                () -> s.seal(new byte[RecordFormat.HOP_MAX_PLAINTEXT + 1]))
                        .code());
    }

    @Test
    void peerChannelsHaveTheSmallerMaximum() throws ProtocolException {
        RecordSealer s = new RecordSealer(SECRET, RecordFormat.PEER_MAX_PLAINTEXT);
        s.seal(new byte[RecordFormat.PEER_MAX_PLAINTEXT]);
        assertEquals(
                ErrorCode.RECORD_TOO_LARGE,
                assertThrows(
                                ProtocolException.class,
                                () -> s.seal(new byte[RecordFormat.PEER_MAX_PLAINTEXT + 1]))
                        .code());
        // A whole peer record plus a relay header fits in one hop record.
        assertTrue(
                RecordFormat.maxRecord(RecordFormat.PEER_MAX_PLAINTEXT) + 64
                        <= RecordFormat.HOP_MAX_PLAINTEXT);
    }

    @Test
    void receiverRefusesSeqAtTheLimitWithoutDecrypting() {
        RecordOpener o =
                DeterministicRecords.openerAt(
                        SECRET, RecordFormat.HOP_MAX_PLAINTEXT, RecordFormat.MAX_RECORDS);
        byte[] r = new byte[RecordFormat.MIN_RECORD];
        r[0] = RecordFormat.TYPE;
        dev.hybridge.crypto.internal.Bytes.putU64(r, 1, RecordFormat.MAX_RECORDS);
        assertEquals(
                ErrorCode.RECORD_LIMIT_REACHED,
                assertThrows(ProtocolException.class, () -> o.open(r)).code());
    }

    @Test
    void senderStopsAtTheRecordLimit() throws ProtocolException {
        RecordSealer s =
                DeterministicRecords.sealerAt(
                        SECRET, RecordFormat.HOP_MAX_PLAINTEXT, RecordFormat.MAX_RECORDS - 1);
        s.seal(new byte[1]);
        assertEquals(
                ErrorCode.RECORD_LIMIT_REACHED,
                assertThrows(ProtocolException.class, () -> s.seal(new byte[1])).code());
    }

    @Test
    void destroyedChannelRefusesEverything() throws ProtocolException {
        Channel c = new Channel(SECRET, SECRET, new byte[32], RecordFormat.PEER_MAX_PLAINTEXT);
        byte[] r = c.seal(new byte[] {1});
        c.destroy();
        assertThrows(ProtocolException.class, () -> c.seal(new byte[] {1}));
        assertThrows(ProtocolException.class, () -> c.open(r));
    }
}
