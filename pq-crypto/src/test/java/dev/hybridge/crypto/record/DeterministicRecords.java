package dev.hybridge.crypto.record;

/**
 * Test kit (pq-crypto's test-jar, never in the deployable jar): record sealers and openers that
 * start at an arbitrary seq, so vectors and tests reach epoch boundaries and the record limit
 * without sealing 65,536 (or 2^32) records first.
 */
public final class DeterministicRecords {
    private DeterministicRecords() {}

    /** A {@link RecordSealer} whose next record has seq {@code seq}. */
    public static RecordSealer sealerAt(byte[] trafficSecret, int maxPlaintext, long seq) {
        return RecordSealer.startingAt(trafficSecret, maxPlaintext, seq);
    }

    /** A {@link RecordOpener} that accepts seq {@code seq} next. */
    public static RecordOpener openerAt(byte[] trafficSecret, int maxPlaintext, long seq) {
        return RecordOpener.startingAt(trafficSecret, maxPlaintext, seq);
    }
}
