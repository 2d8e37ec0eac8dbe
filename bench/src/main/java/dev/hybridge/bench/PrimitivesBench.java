package dev.hybridge.bench;

import dev.hybridge.crypto.ProtocolException;
import dev.hybridge.crypto.XWingKeyPair;
import dev.hybridge.crypto.handshake.Wire;
import dev.hybridge.crypto.internal.Primitives;
import dev.hybridge.crypto.kdf.Kdf;
import dev.hybridge.crypto.kdf.Labels;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.crypto.params.X25519PrivateKeyParameters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The primitive operations the hop handshake is made of, each called exactly as pq-crypto calls
 * it (through {@link Primitives} and {@link Kdf}), with inputs of the sizes the handshake uses.
 * {@link Summary} adds them up with the counts of {@link HandshakeOps} and compares the sum with
 * {@link HandshakeBench}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
public class PrimitivesBench {
    private SecureRandom rng;
    private byte[] seed; // X-Wing private key (32-byte seed)
    private byte[] publicKey; // its 1216-byte public key
    private byte[] eseed; // fixed encapsulation randomness
    private byte[] ciphertext; // 1120-byte X-Wing ciphertext to the key above
    private Primitives.XWingPrivateKey expandedKey;
    private byte[] x25519Scalar;
    private byte[] x25519Peer;

    private byte[] hash32; // a transcript hash th_i
    private byte[] clientHello; // 2372 bytes
    private byte[] serverHelloBody; // 1124 bytes: ServerHello without its confirm
    private byte[] salt32;
    private byte[] ikm64; // ss || th
    private byte[] prk32;
    private byte[] aesKey;
    private byte[] random64;

    @Setup(Level.Trial)
    public void setup() throws ProtocolException {
        rng = new SecureRandom();
        seed = random(rng, Primitives.XWING_SEED_LEN);
        publicKey = Primitives.xwingPublicKey(seed);
        eseed = random(rng, Primitives.XWING_ESEED_LEN);
        ciphertext = Primitives.xwingEncapsulate(publicKey, eseed).ciphertext();
        expandedKey = new Primitives.XWingPrivateKey(seed);
        x25519Scalar = random(rng, 32);
        x25519Peer =
                new X25519PrivateKeyParameters(random(rng, 32), 0).generatePublicKey().getEncoded();

        hash32 = random(rng, Primitives.HASH_LEN);
        clientHello = random(rng, Wire.CLIENT_HELLO_LEN);
        serverHelloBody = random(rng, Wire.SERVER_HELLO_LEN - Wire.CONFIRM_LEN);
        salt32 = random(rng, 32);
        ikm64 = random(rng, 64);
        prk32 = random(rng, 32);
        aesKey = random(rng, Primitives.AES_KEY_LEN);
        random64 = new byte[64];
    }

    static byte[] random(SecureRandom rng, int n) {
        byte[] b = new byte[n];
        rng.nextBytes(b);
        return b;
    }

    // ---------------------------------------------------------------- X-Wing (Bouncy Castle 1.87)

    /**
     * GenerateKeyPairDerand: XWingKeyPair.fromSeed expands a 32-byte seed (SHAKE256, ML-KEM and
     * X25519 key generation) into the public key and the expanded private key it keeps, as
     * XWingKeyPair.generate does for the client's ephemeral key.
     */
    @Benchmark
    public XWingKeyPair xwingKeygen() {
        return XWingKeyPair.fromSeed(seed);
    }

    /** EncapsulateDerand to a 1216-byte public key, with the FIPS 203 modulus check. */
    @Benchmark
    public Primitives.Encapsulation xwingEncaps() throws ProtocolException {
        return Primitives.xwingEncapsulate(publicKey, eseed);
    }

    /**
     * Decapsulate with a key expanded once (Primitives.XWingPrivateKey, which XWingKeyPair holds):
     * what the gateway does with its static key and the client with its ephemeral key.
     */
    @Benchmark
    public byte[] xwingDecaps() throws ProtocolException {
        return expandedKey.decapsulate(ciphertext);
    }

    /**
     * Decapsulate from the 32-byte seed (Primitives.xwingDecapsulate): the key is expanded again on
     * every call. XWingKeyPair did this before it kept the expanded key; kept to show the difference.
     */
    @Benchmark
    public byte[] xwingDecapsFromSeed() throws ProtocolException {
        return Primitives.xwingDecapsulate(seed, ciphertext);
    }

    /** X25519 with a peer's point (Bouncy Castle): X-Wing does one in encapsulation, one in decapsulation. */
    @Benchmark
    public byte[] x25519() throws ProtocolException {
        return Primitives.x25519(x25519Scalar, x25519Peer);
    }

    /**
     * X25519 public key of a scalar, a fixed-base multiplication (Bouncy Castle): X-Wing does one
     * for the encapsulation's ephemeral key and one when it expands a seed.
     */
    @Benchmark
    public byte[] x25519Base() {
        return new X25519PrivateKeyParameters(x25519Scalar, 0).generatePublicKey().getEncoded();
    }

    // ---------------------------------------------------------------- SHA-256, HMAC, HKDF

    /** H(th || 32 bytes): th3 and th4 (64 bytes in). */
    @Benchmark
    public byte[] sha256Small() {
        return Kdf.hash(hash32, hash32);
    }

    /** th1 = H(th0 || ClientHello): 32 + 2372 = 2404 bytes in. */
    @Benchmark
    public byte[] sha256ClientHello() {
        return Kdf.hash(hash32, clientHello);
    }

    /**
     * The same 2404 bytes through the JDK's MessageDigest (SHA-NI / AVX2 intrinsics where the CPU
     * has them), for comparison with Bouncy Castle's pure-Java SHA256Digest above.
     */
    @Benchmark
    public byte[] sha256ClientHelloJdk() throws NoSuchAlgorithmException {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        md.update(hash32);
        md.update(clientHello);
        return md.digest();
    }

    /** th2 = H(th1 || ServerHello body): 32 + 1124 = 1156 bytes in. */
    @Benchmark
    public byte[] sha256ServerHello() {
        return Kdf.hash(hash32, serverHelloBody);
    }

    /** ck_i = Extract(ck_{i-1}, ss || th): 32-byte salt, 64-byte IKM. */
    @Benchmark
    public byte[] hkdfExtract() {
        return Kdf.extract(salt32, ikm64);
    }

    /** Expand(prk, label, 32): one HMAC block of output, as every Expand of the handshake. */
    @Benchmark
    public byte[] hkdfExpand() {
        return Kdf.expand(prk32, Labels.HOP_C2S, Primitives.HASH_LEN);
    }

    /** confirm = HMAC(fk, th): 32-byte key, 32-byte message. */
    @Benchmark
    public byte[] hmacSha256() {
        return Kdf.hmac(prk32, hash32);
    }

    // ---------------------------------------------------------------- AES-GCM key setup,
    // randomness

    /** One record direction's cipher object: SecretKeySpec + Cipher.getInstance("AES/GCM/NoPadding"). */
    @Benchmark
    public Primitives.Gcm gcmKeySetup() {
        return new Primitives.Gcm(aesKey);
    }

    /** 64 bytes from the default SecureRandom: the gateway's encapsulation randomness. */
    @Benchmark
    public byte[] random64() {
        rng.nextBytes(random64);
        return random64;
    }
}
