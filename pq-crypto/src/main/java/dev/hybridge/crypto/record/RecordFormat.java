package dev.hybridge.crypto.record;

/** Record layout and limits (spec/record-layer.md). */
public final class RecordFormat {
    private RecordFormat() {}

    /** The record type byte. */
    public static final byte TYPE = 0x17;
    /** type (1) || seq (8): the header, also the AEAD associated data. */
    public static final int HEADER_LEN = 9;
    public static final int TAG_LEN = 16;
    public static final int MAX_PLAINTEXT = 65536;
    public static final int MIN_RECORD = HEADER_LEN + TAG_LEN;
    public static final int MAX_RECORD = HEADER_LEN + MAX_PLAINTEXT + TAG_LEN;
    /** Records per key epoch: epoch = seq >> 16. */
    public static final int EPOCH_SHIFT = 16;
    public static final long REKEY_INTERVAL = 1L << EPOCH_SHIFT;
    /** A direction carries at most this many records (seq 0 .. 2^32 - 1). */
    public static final long MAX_RECORDS = 1L << 32;
}
