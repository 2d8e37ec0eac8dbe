package dev.hybridge.crypto.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.hybridge.crypto.ErrorCode;
import dev.hybridge.crypto.ProtocolException;
import dev.hybridge.crypto.record.DeterministicRecords;
import dev.hybridge.crypto.record.RecordFormat;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * {@link Primitives.Gcm} keeps a cipher only while it is in use and otherwise borrows one from a
 * pool shared by every key: keys used in turn on one thread, and from many threads at once, must
 * give exactly what a cipher of their own gives; releasing the kept cipher between records must
 * change no record; a failed open must leave nothing behind for the next use of the pool.
 */
class GcmPoolTest {
    private static final SecureRandom RNG = new SecureRandom();

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        RNG.nextBytes(b);
        return b;
    }

    /** The reference: a JDK cipher of its own for this one operation. */
    private static byte[] ownCipherSeal(byte[] key, byte[] nonce, byte[] aad, byte[] plaintext)
            throws Exception {
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(
                Cipher.ENCRYPT_MODE,
                new SecretKeySpec(key, "AES"),
                new GCMParameterSpec(128, nonce));
        c.updateAAD(aad);
        return c.doFinal(plaintext);
    }

    @Test
    void keysUsedInTurnOnOneThreadSealAndOpenAsWithTheirOwnCipher() throws Exception {
        byte[][] keys = {random(32), random(32), random(32)};
        Primitives.Gcm[] gcms = new Primitives.Gcm[keys.length];
        for (int i = 0; i < keys.length; i++) {
            gcms[i] = new Primitives.Gcm(keys[i]);
        }
        for (int round = 0; round < 50; round++) {
            for (int i = 0; i < keys.length; i++) {
                byte[] nonce = random(12);
                byte[] aad = random(9);
                byte[] pt = random(1 + RNG.nextInt(2048));
                byte[] ct = gcms[i].seal(nonce, aad, pt, 0, pt.length);
                assertArrayEquals(ownCipherSeal(keys[i], nonce, aad, pt), ct);
                // sealInto, then open with the next key's Gcm in between
                byte[] out = new byte[9 + pt.length + 16];
                System.arraycopy(aad, 0, out, 0, 9);
                gcms[i].sealInto(random(12), out, 0, 9, pt, 0, pt.length, 9);
                gcms[(i + 1) % keys.length].seal(random(12), aad, pt, 0, pt.length);
                assertArrayEquals(pt, gcms[i].open(nonce, aad, ct, 0, ct.length));
            }
        }
    }

    @Test
    void releasingTheKeptCipherBetweenRecordsChangesNoRecord() throws Exception {
        // an idle connection's sealer and opener give their ciphers back; the records that follow
        // (across an epoch boundary too) are exactly those of a channel that never did
        byte[] secret = random(32);
        var plain = DeterministicRecords.sealerAt(secret, RecordFormat.HOP_MAX_PLAINTEXT, 65_530);
        var released =
                DeterministicRecords.sealerAt(secret, RecordFormat.HOP_MAX_PLAINTEXT, 65_530);
        var opener = DeterministicRecords.openerAt(secret, RecordFormat.HOP_MAX_PLAINTEXT, 65_530);
        for (int i = 0; i < 12; i++) {
            byte[] pt = random(1 + RNG.nextInt(300));
            if (i % 2 == 0) {
                released.releaseCipher();
                opener.releaseCipher();
            }
            byte[] a = plain.seal(pt);
            assertArrayEquals(a, released.seal(pt));
            assertArrayEquals(pt, opener.open(a));
        }
    }

    @Test
    void aFailedOpenLeavesThePoolUsable() throws Exception {
        Primitives.Gcm a = new Primitives.Gcm(random(32));
        Primitives.Gcm b = new Primitives.Gcm(random(32));
        byte[] nonce = random(12);
        byte[] aad = random(9);
        byte[] pt = random(100);
        byte[] ct = a.seal(nonce, aad, pt, 0, pt.length);
        // b cannot open a's record: the tag fails, and the borrowed cipher goes back
        assertEquals(
                ErrorCode.RECORD_AUTH_FAILED,
                assertThrows(ProtocolException.class, () -> b.open(nonce, aad, ct, 0, ct.length))
                        .code());
        assertArrayEquals(pt, a.open(nonce, aad, ct, 0, ct.length));
    }

    @Test
    void equalKeysMayRepeatANonceAcrossGcmObjects() throws Exception {
        // fixed test secrets do this (vectors); the JDK refuses it on one cipher object
        byte[] key = random(32);
        byte[] nonce = random(12);
        byte[] pt = random(64);
        byte[] first = new Primitives.Gcm(key).seal(nonce, new byte[0], pt, 0, pt.length);
        byte[] second = new Primitives.Gcm(key).seal(nonce, new byte[0], pt, 0, pt.length);
        assertArrayEquals(first, second);
    }

    @Test
    void manyThreadsAtOnceEachGetTheirOwnResult() throws Exception {
        int threads = 8;
        try (ExecutorService ex = Executors.newFixedThreadPool(threads)) {
            List<Future<Integer>> fs = new ArrayList<>();
            for (int t = 0; t < threads * 2; t++) {
                fs.add(
                        ex.submit(
                                () -> {
                                    byte[] key = random(32);
                                    Primitives.Gcm g = new Primitives.Gcm(key);
                                    int n = 0;
                                    for (int i = 0; i < 300; i++) {
                                        byte[] nonce = random(12);
                                        byte[] aad = random(9);
                                        byte[] pt = random(1 + RNG.nextInt(1500));
                                        byte[] ct = g.seal(nonce, aad, pt, 0, pt.length);
                                        assertArrayEquals(ownCipherSeal(key, nonce, aad, pt), ct);
                                        assertArrayEquals(pt, g.open(nonce, aad, ct, 0, ct.length));
                                        n++;
                                    }
                                    return n;
                                }));
            }
            for (Future<Integer> f : fs) {
                assertEquals(300, f.get());
            }
        }
    }
}
