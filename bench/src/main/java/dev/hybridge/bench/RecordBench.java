package dev.hybridge.bench;

import dev.hybridge.crypto.ProtocolException;
import dev.hybridge.crypto.internal.Bytes;
import dev.hybridge.crypto.internal.Primitives;
import dev.hybridge.crypto.record.RecordFormat;
import dev.hybridge.crypto.record.RecordOpener;
import dev.hybridge.crypto.record.RecordSealer;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The hop channel's record layer with 1 KiB of plaintext per record, and bare AES-256-GCM on the same sizes to
 * show what the record layer adds.
 *
 * <p>Sealing keeps one sealer for the whole trial: seq keeps growing and the epoch key update
 * every 65,536 records is part of the measured cost, as in a long-lived channel.
 *
 * <p>Opening accepts only the next seq, so the same record cannot be opened twice. A batch of
 * {@value #BATCH} records (seq 0 .. BATCH-1) is sealed once; before every invocation (untimed) a
 * fresh opener is made at seq 0, and the invocation opens the whole batch in order. JMH divides
 * by {@value #BATCH} ({@code @OperationsPerInvocation}), so the score is per record.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RecordBench {
    public static final int PLAINTEXT_LEN = 1024;
    public static final int BATCH = 1024;

    @State(Scope.Thread)
    public static class Seal {
        byte[] plaintext;
        RecordSealer sealer;
        Primitives.Gcm gcm;
        byte[] nonce;
        byte[] aad;
        long counter;

        @Setup(Level.Trial)
        public void setup() {
            SecureRandom rng = new SecureRandom();
            plaintext = PrimitivesBench.random(rng, PLAINTEXT_LEN);
            sealer =
                    new RecordSealer(
                            PrimitivesBench.random(rng, 32), RecordFormat.HOP_MAX_PLAINTEXT);
            gcm = new Primitives.Gcm(PrimitivesBench.random(rng, Primitives.AES_KEY_LEN));
            nonce = PrimitivesBench.random(rng, Primitives.GCM_NONCE_LEN);
            aad = PrimitivesBench.random(rng, RecordFormat.HEADER_LEN);
        }
    }

    @State(Scope.Thread)
    public static class Open {
        byte[] trafficSecret;
        byte[][] records;
        RecordOpener opener;

        @Setup(Level.Trial)
        public void seal() throws ProtocolException {
            SecureRandom rng = new SecureRandom();
            trafficSecret = PrimitivesBench.random(rng, 32);
            RecordSealer sealer = new RecordSealer(trafficSecret, RecordFormat.HOP_MAX_PLAINTEXT);
            records = new byte[BATCH][];
            for (int i = 0; i < BATCH; i++) {
                records[i] = sealer.seal(PrimitivesBench.random(rng, PLAINTEXT_LEN));
            }
        }

        @Setup(Level.Invocation)
        public void freshOpener() {
            opener = new RecordOpener(trafficSecret, RecordFormat.HOP_MAX_PLAINTEXT);
        }
    }

    /** Bare GCM: one sealed body, opened again and again (decryption may repeat a nonce). No per-invocation setup. */
    @State(Scope.Thread)
    public static class BareOpen {
        Primitives.Gcm gcm;
        byte[] nonce;
        byte[] aad;
        byte[] body;

        @Setup(Level.Trial)
        public void setup() {
            SecureRandom rng = new SecureRandom();
            gcm = new Primitives.Gcm(PrimitivesBench.random(rng, Primitives.AES_KEY_LEN));
            nonce = PrimitivesBench.random(rng, Primitives.GCM_NONCE_LEN);
            aad = PrimitivesBench.random(rng, RecordFormat.HEADER_LEN);
            byte[] pt = PrimitivesBench.random(rng, PLAINTEXT_LEN);
            body = gcm.seal(nonce, aad, pt, 0, pt.length);
        }
    }

    /**
     * Two connections relaying to each other, as the gateway does: for each message one record of
     * connection A is opened and one record of connection B is sealed, so consecutive calls on a
     * thread use different keys. {@link #relayTwoKeysPooled} runs Primitives.Gcm (a key holds no
     * cipher; a cipher is borrowed from the shared pool and re-keyed per call), {@link
     * #relayTwoKeysOwnCipher} what Gcm did before (one JDK cipher per key, initialised per call
     * with its own key). Their ratio is the CPU cost of not keeping 0.75 KiB of cipher per key.
     */
    @State(Scope.Thread)
    public static class TwoKeys {
        Primitives.Gcm gcmA;
        Primitives.Gcm gcmB;
        javax.crypto.Cipher cipherA;
        javax.crypto.Cipher cipherB;
        javax.crypto.spec.SecretKeySpec keyA;
        javax.crypto.spec.SecretKeySpec keyB;
        byte[] plaintext;
        byte[] aad;
        byte[] nonceA;
        byte[] nonceB;
        byte[] bodyA;
        long counter;

        @Setup(Level.Trial)
        public void setup() throws Exception {
            SecureRandom rng = new SecureRandom();
            byte[] a = PrimitivesBench.random(rng, Primitives.AES_KEY_LEN);
            byte[] b = PrimitivesBench.random(rng, Primitives.AES_KEY_LEN);
            gcmA = new Primitives.Gcm(a);
            gcmB = new Primitives.Gcm(b);
            keyA = new javax.crypto.spec.SecretKeySpec(a, "AES");
            keyB = new javax.crypto.spec.SecretKeySpec(b, "AES");
            cipherA = javax.crypto.Cipher.getInstance("AES/GCM/NoPadding", "SunJCE");
            cipherB = javax.crypto.Cipher.getInstance("AES/GCM/NoPadding", "SunJCE");
            plaintext = PrimitivesBench.random(rng, PLAINTEXT_LEN);
            aad = PrimitivesBench.random(rng, RecordFormat.HEADER_LEN);
            nonceA = PrimitivesBench.random(rng, Primitives.GCM_NONCE_LEN);
            nonceB = PrimitivesBench.random(rng, Primitives.GCM_NONCE_LEN);
            bodyA = gcmA.seal(nonceA, aad, plaintext, 0, PLAINTEXT_LEN);
        }
    }

    /** One open under key A and one seal under key B, through the pooled Primitives.Gcm (score per message). */
    @Benchmark
    public void relayTwoKeysPooled(TwoKeys s, Blackhole bh) throws ProtocolException {
        bh.consume(s.gcmA.open(s.nonceA, s.aad, s.bodyA, 0, s.bodyA.length));
        Bytes.putU64(s.nonceB, 4, s.counter++);
        bh.consume(s.gcmB.seal(s.nonceB, s.aad, s.plaintext, 0, PLAINTEXT_LEN));
    }

    /** The same with one JDK cipher per key, as Primitives.Gcm kept before (score per message). */
    @Benchmark
    public void relayTwoKeysOwnCipher(TwoKeys s, Blackhole bh) throws Exception {
        s.cipherA.init(
                javax.crypto.Cipher.DECRYPT_MODE,
                s.keyA,
                new javax.crypto.spec.GCMParameterSpec(128, s.nonceA));
        s.cipherA.updateAAD(s.aad);
        bh.consume(s.cipherA.doFinal(s.bodyA, 0, s.bodyA.length));
        Bytes.putU64(s.nonceB, 4, s.counter++);
        s.cipherB.init(
                javax.crypto.Cipher.ENCRYPT_MODE,
                s.keyB,
                new javax.crypto.spec.GCMParameterSpec(128, s.nonceB));
        s.cipherB.updateAAD(s.aad);
        bh.consume(s.cipherB.doFinal(s.plaintext, 0, PLAINTEXT_LEN));
    }

    /** RecordSealer.seal of 1 KiB: header, nonce, AES-256-GCM, record assembly. */
    @Benchmark
    public byte[] recordSeal1KiB(Seal s) throws ProtocolException {
        return s.sealer.seal(s.plaintext);
    }

    /** RecordOpener.open of 1 KiB records, strictly in order (score is per record). */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void recordOpen1KiB(Open s, Blackhole bh) throws ProtocolException {
        RecordOpener opener = s.opener;
        byte[][] records = s.records;
        for (int i = 0; i < BATCH; i++) {
            bh.consume(opener.open(records[i]));
        }
    }

    /** Bare Primitives.Gcm.seal of 1 KiB with a 9-byte AAD and a new nonce each time. */
    @Benchmark
    public byte[] gcmSeal1KiB(Seal s) {
        Bytes.putU64(s.nonce, 4, s.counter++);
        return s.gcm.seal(s.nonce, s.aad, s.plaintext, 0, PLAINTEXT_LEN);
    }

    /** Bare Primitives.Gcm.open of 1 KiB + tag with a 9-byte AAD. */
    @Benchmark
    public byte[] gcmOpen1KiB(BareOpen s) throws ProtocolException {
        return s.gcm.open(s.nonce, s.aad, s.body, 0, s.body.length);
    }
}
