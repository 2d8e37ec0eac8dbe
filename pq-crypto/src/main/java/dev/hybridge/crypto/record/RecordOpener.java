package dev.hybridge.crypto.record;

import dev.hybridge.crypto.ErrorCode;
import dev.hybridge.crypto.FailureCode;
import dev.hybridge.crypto.ProtocolException;
import dev.hybridge.crypto.internal.Bytes;

/**
 * The receiving half of a record channel: accepts exactly the next seq, in order, once. Any
 * failure is terminal (spec/record-layer.md): the keys are wiped and every later call fails
 * with the same code. Methods are synchronized so a destroy from another thread cannot race an open.
 */
public final class RecordOpener {
    private final EpochKeys keys;
    private final int maxRecord;
    private long expected;
    private FailureCode failed;

    /** @param maxPlaintext {@link RecordFormat#HOP_MAX_PLAINTEXT} or {@link RecordFormat#PEER_MAX_PLAINTEXT} */
    public RecordOpener(byte[] trafficSecret, int maxPlaintext) {
        this.keys = new EpochKeys(trafficSecret);
        this.maxRecord = RecordFormat.maxRecord(maxPlaintext);
    }

    /** Opens the next record; checks in the order spec/record-layer.md gives. */
    public synchronized byte[] open(byte[] record) throws ProtocolException {
        if (failed != null) {
            throw new ProtocolException(failed);
        }
        ErrorCode check = precheck(record);
        if (check != null) {
            throw fail(check);
        }
        keys.advanceTo(expected);
        byte[] header = new byte[RecordFormat.HEADER_LEN];
        System.arraycopy(record, 0, header, 0, RecordFormat.HEADER_LEN);
        try {
            byte[] plaintext =
                    keys.gcm()
                            .open(
                                    keys.nonce(expected),
                                    header,
                                    record,
                                    RecordFormat.HEADER_LEN,
                                    record.length - RecordFormat.HEADER_LEN);
            expected++;
            return plaintext;
        } catch (ProtocolException e) {
            throw fail(e.code());
        }
    }

    private ErrorCode precheck(byte[] record) {
        if (record.length == 0) {
            return ErrorCode.MALFORMED_MESSAGE;
        }
        if (record[0] != RecordFormat.TYPE) {
            return ErrorCode.UNEXPECTED_MESSAGE;
        }
        if (record.length < RecordFormat.MIN_RECORD) {
            return ErrorCode.MALFORMED_MESSAGE;
        }
        if (record.length > maxRecord) {
            return ErrorCode.RECORD_TOO_LARGE;
        }
        // seq is compared as unsigned: the sender never goes past 2^32, so "negative" is far ahead.
        int cmp = Long.compareUnsigned(Bytes.getU64(record, 1), expected);
        if (cmp < 0) {
            return ErrorCode.RECORD_REPLAYED;
        }
        if (cmp > 0) {
            return ErrorCode.RECORD_OUT_OF_ORDER;
        }
        if (expected >= RecordFormat.MAX_RECORDS) {
            return ErrorCode
                    .RECORD_LIMIT_REACHED; // the sender may not go this far; never derive epoch
            // 2^16
        }
        return null;
    }

    private ProtocolException fail(FailureCode code) {
        failed = code;
        keys.destroy();
        return new ProtocolException(code);
    }

    /** The seq this opener accepts next. */
    public synchronized long expectedSeq() {
        return expected;
    }

    public synchronized boolean isFailed() {
        return failed != null;
    }

    /**
     * Gives the AES-GCM cipher this direction keeps between records back to the pool shared by
     * every key (about 0.75 KiB): a connection without traffic for a while calls it, and its next
     * record borrows a cipher again. Changes nothing else.
     */
    public synchronized void releaseCipher() {
        keys.releaseCipher();
    }

    public synchronized void destroy() {
        if (failed == null) {
            failed = ErrorCode.UNEXPECTED_MESSAGE;
        }
        keys.destroy();
    }

    /** Counterpart of {@link RecordSealer#startingAt}: only the test kit calls it. */
    static RecordOpener startingAt(byte[] trafficSecret, int maxPlaintext, long seq) {
        RecordOpener o = new RecordOpener(trafficSecret, maxPlaintext);
        o.expected = seq;
        return o;
    }
}
