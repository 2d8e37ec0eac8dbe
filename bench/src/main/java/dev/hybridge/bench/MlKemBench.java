package dev.hybridge.bench;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import javax.crypto.KEM;
import javax.crypto.SecretKey;
import org.bouncycastle.crypto.SecretWithEncapsulation;
import org.bouncycastle.crypto.kems.MLKEMExtractor;
import org.bouncycastle.crypto.kems.MLKEMGenerator;
import org.bouncycastle.crypto.params.MLKEMParameters;
import org.bouncycastle.crypto.params.MLKEMPrivateKeyParameters;
import org.bouncycastle.crypto.params.MLKEMPublicKeyParameters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * ML-KEM-768 alone: Bouncy Castle's lightweight API (what X-Wing uses inside) against the JDK's
 * own {@code javax.crypto.KEM} "ML-KEM-768" (JEP 496, JDK 24+), in the same run. Both sides keep
 * their key objects across calls and draw fresh randomness per encapsulation.
 *
 * <p>On a JDK without ML-KEM the {@code mlkemJdk*} benchmarks cannot run: run-jmh.sh asks {@link
 * JdkMlKem#available()} first and excludes them; run by hand they fail in setup with a clear message.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class MlKemBench {

    @State(Scope.Thread)
    public static class Bc {
        MLKEMPrivateKeyParameters privateKey;
        MLKEMPublicKeyParameters publicKey;
        MLKEMGenerator generator;
        MLKEMExtractor extractor;
        byte[] ciphertext;
        byte[] seed64;

        @Setup(Level.Trial)
        public void setup() {
            SecureRandom rng = new SecureRandom();
            seed64 = PrimitivesBench.random(rng, 64);
            privateKey = new MLKEMPrivateKeyParameters(MLKEMParameters.ml_kem_768, seed64);
            publicKey = privateKey.getPublicKeyParameters();
            generator = new MLKEMGenerator(rng);
            extractor = new MLKEMExtractor(privateKey);
            ciphertext = generator.generateEncapsulated(publicKey).getEncapsulation();
        }
    }

    @State(Scope.Thread)
    public static class Jdk {
        KeyPairGenerator keyPairGenerator;
        KEM.Encapsulator encapsulator;
        KEM.Decapsulator decapsulator;
        byte[] ciphertext;

        @Setup(Level.Trial)
        public void setup() throws GeneralSecurityException {
            if (!JdkMlKem.available()) {
                throw new IllegalStateException(
                        "this JDK ("
                                + Runtime.version()
                                + ") has no ML-KEM-768 (JDK 24+); exclude the mlkemJdk benchmarks");
            }
            keyPairGenerator = KeyPairGenerator.getInstance("ML-KEM-768");
            KeyPair kp = keyPairGenerator.generateKeyPair();
            KEM kem = KEM.getInstance("ML-KEM-768");
            encapsulator = kem.newEncapsulator(kp.getPublic());
            decapsulator = kem.newDecapsulator(kp.getPrivate());
            ciphertext = encapsulator.encapsulate().encapsulation();
        }
    }

    /** Whether the running JDK implements ML-KEM-768. */
    public static final class JdkMlKem {
        private JdkMlKem() {}

        public static boolean available() {
            try {
                KEM.getInstance("ML-KEM-768");
                KeyPairGenerator.getInstance("ML-KEM-768");
                return true;
            } catch (NoSuchAlgorithmException e) {
                return false;
            }
        }

        /** Prints "yes" or "no": run-jmh.sh uses it to choose the benchmarks. */
        public static void main(String[] args) {
            System.out.println(available() ? "yes" : "no");
        }
    }

    /** KeyGen from a 64-byte seed (d || z), expanded to the full key. */
    @Benchmark
    public MLKEMPrivateKeyParameters mlkemBcKeygen(Bc s) {
        return new MLKEMPrivateKeyParameters(MLKEMParameters.ml_kem_768, s.seed64);
    }

    @Benchmark
    public SecretWithEncapsulation mlkemBcEncaps(Bc s) {
        return s.generator.generateEncapsulated(s.publicKey);
    }

    @Benchmark
    public byte[] mlkemBcDecaps(Bc s) {
        return s.extractor.extractSecret(s.ciphertext);
    }

    /** A fresh random key pair (the JDK has no public seed-based keygen). */
    @Benchmark
    public KeyPair mlkemJdkKeygen(Jdk s) {
        return s.keyPairGenerator.generateKeyPair();
    }

    @Benchmark
    public KEM.Encapsulated mlkemJdkEncaps(Jdk s) {
        return s.encapsulator.encapsulate();
    }

    @Benchmark
    public SecretKey mlkemJdkDecaps(Jdk s) throws GeneralSecurityException {
        return s.decapsulator.decapsulate(s.ciphertext);
    }
}
