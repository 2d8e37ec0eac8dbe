package dev.hybridge.crypto.record;

import dev.hybridge.crypto.internal.Bytes;
import dev.hybridge.crypto.internal.Primitives;
import dev.hybridge.crypto.kdf.Kdf;
import dev.hybridge.crypto.kdf.Labels;

/**
 * The keys of one direction in one epoch (spec/record-layer.md, RK1-RK3). Holds the epoch's
 * traffic secret so it can step to the next epoch, wiping what it leaves behind.
 */
final class EpochKeys {
    private byte[] secret;
    private byte[] iv;
    private Primitives.Gcm gcm;
    private long epoch;

    EpochKeys(byte[] trafficSecret) {
        this.secret = trafficSecret.clone();
        this.epoch = 0;
        derive();
    }

    /** RK2: key_e and iv_e from s_e. */
    private void derive() {
        byte[] key = Kdf.expand(secret, Labels.RECORD_KEY, Primitives.AES_KEY_LEN);
        this.iv = Kdf.expand(secret, Labels.RECORD_IV, Primitives.GCM_NONCE_LEN);
        if (gcm != null) {
            gcm.release(); // the old epoch's cipher goes back to the pool
        }
        this.gcm = new Primitives.Gcm(key);
        Bytes.wipe(key);
    }

    /** RK1: s_{e+1} = Expand(s_e, RECORD_UPDATE, 32), until the epoch of {@code seq}. */
    void advanceTo(long seq) {
        long target = seq >>> RecordFormat.EPOCH_SHIFT;
        while (epoch < target) {
            byte[] next = Kdf.expand(secret, Labels.RECORD_UPDATE, Primitives.HASH_LEN);
            Bytes.wipe(secret, iv);
            secret = next;
            epoch++;
            derive();
        }
    }

    /** RK3: nonce = iv_e XOR (0^32 || seq). */
    byte[] nonce(long seq) {
        byte[] n = iv.clone();
        for (int i = 0; i < 8; i++) {
            n[11 - i] ^= (byte) (seq >>> (8 * i));
        }
        return n;
    }

    Primitives.Gcm gcm() {
        return gcm;
    }

    long epoch() {
        return epoch;
    }

    /** Gives the cipher the key keeps back to the shared pool (Primitives.Gcm#release). */
    void releaseCipher() {
        Primitives.Gcm g = gcm;
        if (g != null) {
            g.release();
        }
    }

    void destroy() {
        Bytes.wipe(secret, iv);
        releaseCipher();
        gcm = null;
    }
}
