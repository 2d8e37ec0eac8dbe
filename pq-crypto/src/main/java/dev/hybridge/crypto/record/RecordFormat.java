package dev.hybridge.crypto.record;

/** Record layout and limits (spec/record-layer.md). */
public final class RecordFormat {
    private RecordFormat() {}

    /** The record type byte. */
    public static final byte TYPE = 0x17;

    /** type (1) || seq (8): the header, also the AEAD associated data. */
    public static final int HEADER_LEN = 9;

    public static final int TAG_LEN = 16;

    /** Largest plaintext of a hop-channel record: one room message. */
    public static final int HOP_MAX_PLAINTEXT = 65536;

    /**
     * Largest plaintext of a peer-channel record. Smaller than the hop maximum so that a whole peer
     * record, inside a relay envelope, fits in one hop record.
     */
    public static final int PEER_MAX_PLAINTEXT = 16384;

    /**
     * Largest plaintext of a peer-channel record on the data channel (spec/data-channel.md §2):
     * such a record never crosses the relay, so it may be as large as a hop record's. A client's
     * sealer and opener of a peer channel take this maximum, and its relay path refuses a record
     * over {@link #PEER_MAX_PLAINTEXT} itself (spec/data-channel.md §3).
     */
    public static final int PEER_DC_MAX_PLAINTEXT = 65536;

    public static final int MIN_RECORD = HEADER_LEN + TAG_LEN;

    /** The largest record a channel with this plaintext maximum accepts. */
    public static int maxRecord(int maxPlaintext) {
        return HEADER_LEN + maxPlaintext + TAG_LEN;
    }

    /** Records per key epoch: epoch = seq >> 16. */
    public static final int EPOCH_SHIFT = 16;

    public static final long REKEY_INTERVAL = 1L << EPOCH_SHIFT;

    /** A direction carries at most this many records (seq 0 .. 2^32 - 1). */
    public static final long MAX_RECORDS = 1L << 32;
}
