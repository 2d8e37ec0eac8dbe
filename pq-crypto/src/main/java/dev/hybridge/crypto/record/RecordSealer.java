package dev.hybridge.crypto.record;

import dev.hybridge.crypto.ErrorCode;
import dev.hybridge.crypto.ProtocolException;
import dev.hybridge.crypto.internal.Bytes;

/**
 * The sending half of a record channel: one traffic secret, strictly increasing seq. Its methods
 * are synchronized so that {@link #destroy()} from another thread (a failed receive ends both
 * directions) cannot race a seal: the seal finishes first or fails with a ProtocolException.
 */
public final class RecordSealer {
    private final EpochKeys keys;
    private final int maxPlaintext;
    private long seq;
    private boolean destroyed;

    /** @param maxPlaintext {@link RecordFormat#HOP_MAX_PLAINTEXT} or {@link RecordFormat#PEER_MAX_PLAINTEXT} */
    public RecordSealer(byte[] trafficSecret, int maxPlaintext) {
        this.keys = new EpochKeys(trafficSecret);
        this.maxPlaintext = maxPlaintext;
    }

    public byte[] seal(byte[] plaintext) throws ProtocolException {
        return seal(plaintext, 0, plaintext.length);
    }

    /**
     * Seals plaintext[off, off+len) as the next record.
     *
     * @throws ProtocolException RECORD_TOO_LARGE over the channel's maximum (no seq is used up);
     *     RECORD_LIMIT_REACHED once 2^32 records were sent (re-handshake)
     */
    public synchronized byte[] seal(byte[] plaintext, int off, int len) throws ProtocolException {
        if (destroyed) {
            throw new ProtocolException(ErrorCode.UNEXPECTED_MESSAGE);
        }
        if (len > maxPlaintext) {
            throw new ProtocolException(ErrorCode.RECORD_TOO_LARGE);
        }
        if (seq >= RecordFormat.MAX_RECORDS) {
            throw new ProtocolException(ErrorCode.RECORD_LIMIT_REACHED);
        }
        keys.advanceTo(seq);
        // Header and body in one array: the header is written first and is the AAD.
        byte[] record = new byte[RecordFormat.HEADER_LEN + len + RecordFormat.TAG_LEN];
        record[0] = RecordFormat.TYPE;
        Bytes.putU64(record, 1, seq);
        keys.gcm()
                .sealInto(
                        keys.nonce(seq),
                        record,
                        0,
                        RecordFormat.HEADER_LEN,
                        plaintext,
                        off,
                        len,
                        RecordFormat.HEADER_LEN);
        seq++;
        return record;
    }

    /** The seq of the next record. */
    public synchronized long nextSeq() {
        return seq;
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
        destroyed = true;
        keys.destroy();
    }

    /**
     * Starts at an arbitrary seq, for vectors that exercise epoch boundaries without sealing
     * 65,536 records first. Never used by a real channel: only the test kit (pq-crypto's
     * test-jar, same package) calls it.
     */
    static RecordSealer startingAt(byte[] trafficSecret, int maxPlaintext, long seq) {
        RecordSealer s = new RecordSealer(trafficSecret, maxPlaintext);
        s.seq = seq;
        return s;
    }
}
