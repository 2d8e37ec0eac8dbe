package dev.hybridge.crypto.internal;

import dev.hybridge.crypto.ErrorCode;
import dev.hybridge.crypto.ProtocolException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicReferenceArray;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.SecretWithEncapsulation;
import org.bouncycastle.crypto.agreement.X25519Agreement;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.kems.MLKEMExtractor;
import org.bouncycastle.crypto.kems.MLKEMGenerator;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.params.HKDFParameters;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.MLKEMParameters;
import org.bouncycastle.crypto.params.MLKEMPrivateKeyParameters;
import org.bouncycastle.crypto.params.MLKEMPublicKeyParameters;
import org.bouncycastle.crypto.params.X25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.X25519PublicKeyParameters;
import org.bouncycastle.pqc.crypto.xwing.XWingKEMExtractor;
import org.bouncycastle.pqc.crypto.xwing.XWingKEMGenerator;
import org.bouncycastle.pqc.crypto.xwing.XWingPrivateKeyParameters;
import org.bouncycastle.pqc.crypto.xwing.XWingPublicKeyParameters;
import org.bouncycastle.util.test.FixedSecureRandom;

/**
 * The only place in Hybridge that touches Bouncy Castle (and the JDK's AES-GCM). Everything here
 * is a thin, validated wrapper around a primitive named by its specification; the protocol logic
 * lives in the packages above.
 *
 * <p>Inputs from the network are length-checked before they reach a primitive, and the unchecked
 * exceptions Bouncy Castle throws for bad keys are turned into {@link ProtocolException}s.
 */
public final class Primitives {
    private Primitives() {}

    /** X-Wing (draft-connolly-cfrg-xwing-kem-10) sizes. */
    public static final int XWING_SEED_LEN = 32;

    public static final int XWING_PK_LEN = 1216;
    public static final int XWING_CT_LEN = 1120;
    public static final int XWING_ESEED_LEN = 64;
    public static final int SS_LEN = 32;
    public static final int HASH_LEN = 32;
    public static final int AES_KEY_LEN = 32;
    public static final int GCM_NONCE_LEN = 12;
    public static final int GCM_TAG_LEN = 16;

    private static final int MLKEM768_PK_LEN = 1184;
    private static final int MLKEM768_CT_LEN = 1088;

    // ---------------------------------------------------------------- X-Wing

    /** X-Wing GenerateKeyPairDerand(seed): returns the 1216-byte public key of a 32-byte seed. */
    public static byte[] xwingPublicKey(byte[] seed) {
        requireLength(seed, XWING_SEED_LEN, "X-Wing seed");
        return new XWingPrivateKeyParameters(seed).getPublicKeyParameters().getEncoded();
    }

    /**
     * An X-Wing private key expanded once from its seed (ML-KEM and X25519 key generation), for
     * keys that decapsulate many times, such as the gateway's static key. Opaque outside this
     * package. Bouncy Castle keeps its own copies of the expanded key, which cannot be wiped; {@link
     * #forget()} drops the reference so they become garbage.
     */
    public static final class XWingPrivateKey {
        private volatile XWingPrivateKeyParameters params;
        private final byte[] publicKey;

        public XWingPrivateKey(byte[] seed) {
            requireLength(seed, XWING_SEED_LEN, "X-Wing seed");
            this.params = new XWingPrivateKeyParameters(seed);
            this.publicKey = params.getPublicKeyParameters().getEncoded();
        }

        public byte[] publicKey() {
            return publicKey.clone();
        }

        /** X-Wing Decapsulate(ct, sk); see {@link Primitives#xwingDecapsulate}. */
        public byte[] decapsulate(byte[] ct) throws ProtocolException {
            XWingPrivateKeyParameters p = params;
            if (p == null) {
                throw new IllegalStateException("key destroyed");
            }
            if (ct.length != XWING_CT_LEN) {
                throw new ProtocolException(ErrorCode.MALFORMED_MESSAGE);
            }
            try {
                return new XWingKEMExtractor(p).extractSecret(ct);
            } catch (IllegalStateException | IllegalArgumentException e) {
                throw new ProtocolException(ErrorCode.INVALID_CIPHERTEXT);
            }
        }

        public void forget() {
            params = null;
        }
    }

    /** The result of an encapsulation: the wire ciphertext and the secret kept apart. */
    public record Encapsulation(byte[] ciphertext, byte[] sharedSecret) {}

    /**
     * X-Wing EncapsulateDerand(pk, eseed): eseed[0:32] is ML-KEM's m, eseed[32:64] the X25519
     * ephemeral secret.
     *
     * @throws ProtocolException INVALID_PUBLIC_KEY if the ML-KEM part fails the FIPS 203 §7.2
     *     modulus check or the X25519 part gives an all-zero shared secret
     */
    public static Encapsulation xwingEncapsulate(byte[] pk, byte[] eseed) throws ProtocolException {
        requireLength(eseed, XWING_ESEED_LEN, "X-Wing eseed");
        if (pk.length != XWING_PK_LEN || !mlkemPublicKeyValid(pk, 0)) {
            throw new ProtocolException(ErrorCode.INVALID_PUBLIC_KEY);
        }
        try {
            XWingPublicKeyParameters pub = new XWingPublicKeyParameters(pk);
            SecretWithEncapsulation swe =
                    new XWingKEMGenerator(new FixedSecureRandom(eseed)).generateEncapsulated(pub);
            return new Encapsulation(swe.getEncapsulation(), swe.getSecret());
        } catch (IllegalStateException | IllegalArgumentException e) {
            // X25519Agreement refuses an all-zero result (low-order point).
            throw new ProtocolException(ErrorCode.INVALID_PUBLIC_KEY);
        }
    }

    /** X-Wing encapsulation with fresh randomness. */
    public static Encapsulation xwingEncapsulate(byte[] pk, SecureRandom rng)
            throws ProtocolException {
        byte[] eseed = new byte[XWING_ESEED_LEN];
        rng.nextBytes(eseed);
        try {
            return xwingEncapsulate(pk, eseed);
        } finally {
            Bytes.wipe(eseed);
        }
    }

    /**
     * X-Wing Decapsulate(ct, sk). ML-KEM decapsulation never fails (implicit rejection); a bad
     * ciphertext shows up later as a key-confirmation failure.
     *
     * @throws ProtocolException INVALID_CIPHERTEXT if the X25519 part gives an all-zero secret
     */
    public static byte[] xwingDecapsulate(byte[] seed, byte[] ct) throws ProtocolException {
        requireLength(seed, XWING_SEED_LEN, "X-Wing seed");
        if (ct.length != XWING_CT_LEN) {
            throw new ProtocolException(ErrorCode.MALFORMED_MESSAGE);
        }
        try {
            return new XWingKEMExtractor(new XWingPrivateKeyParameters(seed)).extractSecret(ct);
        } catch (IllegalStateException | IllegalArgumentException e) {
            throw new ProtocolException(ErrorCode.INVALID_CIPHERTEXT);
        }
    }

    // ---------------------------------------------------------------- ML-KEM-768 and X25519
    // (vector tests)

    /**
     * FIPS 203 §7.2 encapsulation key check on the 1184-byte ML-KEM-768 key at {@code off}: every
     * 12-bit coefficient is below q = 3329. False if fewer than 1184 bytes follow {@code off}.
     */
    public static boolean mlkemPublicKeyValid(byte[] ek, int off) {
        if (off < 0 || ek.length - off < MLKEM768_PK_LEN) {
            return false;
        }
        // 384 bytes per polynomial of 256 coefficients, 3 polynomials, then the 32-byte rho.
        for (int i = off; i < off + 1152; i += 3) {
            int b0 = ek[i] & 0xFF, b1 = ek[i + 1] & 0xFF, b2 = ek[i + 2] & 0xFF;
            int c0 = b0 | ((b1 & 0x0F) << 8);
            int c1 = (b1 >> 4) | (b2 << 4);
            if (c0 >= 3329 | c1 >= 3329) {
                return false;
            }
        }
        return true;
    }

    /** ML-KEM-768 KeyGen_internal(d, z) from the 64-byte seed d||z; returns the encapsulation key. */
    public static byte[] mlkem768PublicKey(byte[] seed64) {
        requireLength(seed64, 64, "ML-KEM seed");
        return new MLKEMPrivateKeyParameters(MLKEMParameters.ml_kem_768, seed64).getPublicKey();
    }

    /** ML-KEM-768 Encaps_internal(ek, m); INVALID_PUBLIC_KEY on a bad length or modulus. */
    public static Encapsulation mlkem768Encapsulate(byte[] ek, byte[] m) throws ProtocolException {
        requireLength(m, 32, "ML-KEM m");
        if (ek.length != MLKEM768_PK_LEN || !mlkemPublicKeyValid(ek, 0)) {
            throw new ProtocolException(ErrorCode.INVALID_PUBLIC_KEY);
        }
        MLKEMPublicKeyParameters pub = new MLKEMPublicKeyParameters(MLKEMParameters.ml_kem_768, ek);
        SecretWithEncapsulation swe =
                new MLKEMGenerator(new SecureRandom()).internalGenerateEncapsulated(pub, m);
        return new Encapsulation(swe.getEncapsulation(), swe.getSecret());
    }

    /** ML-KEM-768 Decaps with the key expanded from a 64-byte seed; MALFORMED_MESSAGE on a bad length. */
    public static byte[] mlkem768Decapsulate(byte[] seed64, byte[] ct) throws ProtocolException {
        requireLength(seed64, 64, "ML-KEM seed");
        if (ct.length != MLKEM768_CT_LEN) {
            throw new ProtocolException(ErrorCode.MALFORMED_MESSAGE);
        }
        return new MLKEMExtractor(new MLKEMPrivateKeyParameters(MLKEMParameters.ml_kem_768, seed64))
                .extractSecret(ct);
    }

    /** X25519(k, u) per RFC 7748 §5; INVALID_PUBLIC_KEY on a bad length or an all-zero result. */
    public static byte[] x25519(byte[] scalar, byte[] u) throws ProtocolException {
        if (scalar.length != 32 || u.length != 32) {
            throw new ProtocolException(ErrorCode.INVALID_PUBLIC_KEY);
        }
        X25519Agreement agreement = new X25519Agreement();
        agreement.init(new X25519PrivateKeyParameters(scalar, 0));
        byte[] out = new byte[32];
        try {
            agreement.calculateAgreement(new X25519PublicKeyParameters(u, 0), out, 0);
        } catch (IllegalStateException e) {
            throw new ProtocolException(ErrorCode.INVALID_PUBLIC_KEY);
        }
        return out;
    }

    // ---------------------------------------------------------------- hashing and key derivation

    public static byte[] sha256(byte[]... parts) {
        SHA256Digest d = new SHA256Digest();
        for (byte[] p : parts) {
            d.update(p, 0, p.length);
        }
        byte[] out = new byte[HASH_LEN];
        d.doFinal(out, 0);
        return out;
    }

    public static byte[] hmacSha256(byte[] key, byte[]... parts) {
        HMac mac = new HMac(new SHA256Digest());
        mac.init(new KeyParameter(key));
        for (byte[] p : parts) {
            mac.update(p, 0, p.length);
        }
        byte[] out = new byte[HASH_LEN];
        mac.doFinal(out, 0);
        return out;
    }

    /** HKDF-Extract(salt, ikm) per RFC 5869 §2.2 (an empty salt means HashLen zeros). */
    public static byte[] hkdfExtract(byte[] salt, byte[] ikm) {
        return hmacSha256(salt.length == 0 ? new byte[HASH_LEN] : salt, ikm);
    }

    /** HKDF-Expand(prk, info, length) per RFC 5869 §2.3. */
    public static byte[] hkdfExpand(byte[] prk, byte[] info, int length) {
        if (length < 1 || length > 255 * HASH_LEN) {
            throw new IllegalArgumentException("HKDF output length out of range: " + length);
        }
        HKDFBytesGenerator gen = new HKDFBytesGenerator(new SHA256Digest());
        gen.init(HKDFParameters.skipExtractParameters(prk, info));
        byte[] out = new byte[length];
        gen.generateBytes(out, 0, length);
        return out;
    }

    // ---------------------------------------------------------------- AES-256-GCM (JDK, AES-NI
    // intrinsics)

    /**
     * One AES-256-GCM key, reusable for many nonces. An initialised JDK {@link Cipher} (key
     * schedules, GHASH state, buffers) is about 0.75 KiB, and a gateway holds two keys per session,
     * most of them idle: so a key keeps the cipher it used last only while it is in use, and
     * {@link #release} gives it back to a small pool shared by every key. A key without a cipher
     * borrows one from the pool at its next use ({@link #take}) and re-keys it (about 1 us more,
     * once). Every call initialises the cipher with this key and its nonce, as before. SunJCE is
     * asked for by name (it has the AES-NI and GHASH intrinsics), any provider if a JDK lacks it.
     * Safe for concurrent use.
     */
    public static final class Gcm {
        /** Pool slots (a power of two): a thread uses the slot of its id, so threads rarely meet. */
        private static final int POOL_SLOTS = 64;

        private static final AtomicReferenceArray<Cipher> POOL =
                new AtomicReferenceArray<>(POOL_SLOTS);

        private final SecretKeySpec key;

        /** The cipher this key used last, kept while it is in use; null once released. */
        @SuppressWarnings("unused")
        private volatile Cipher kept;

        private static final VarHandle KEPT;

        static {
            try {
                KEPT = MethodHandles.lookup().findVarHandle(Gcm.class, "kept", Cipher.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        public Gcm(byte[] key) {
            if (key.length != AES_KEY_LEN && key.length != 16 && key.length != 24) {
                throw new IllegalArgumentException("AES key length " + key.length);
            }
            this.key = new SecretKeySpec(key, "AES");
        }

        private static int slot() {
            return (int) Thread.currentThread().threadId() & (POOL_SLOTS - 1);
        }

        /**
         * A cipher from the calling thread's slot, or a new one when the slot is empty (another
         * thread with the same slot holds it). Every use initialises it with its own key and nonce
         * first, so nothing of an earlier use carries over.
         */
        private static Cipher take() {
            Cipher c = POOL.getAndSet(slot(), null);
            if (c != null) {
                return c;
            }
            try {
                return Cipher.getInstance("AES/GCM/NoPadding", "SunJCE");
            } catch (GeneralSecurityException e) {
                try {
                    return Cipher.getInstance("AES/GCM/NoPadding");
                } catch (GeneralSecurityException none) {
                    throw new IllegalStateException(
                            "AES/GCM/NoPadding unavailable in this JDK", none);
                }
            }
        }

        private static void give(Cipher c) {
            POOL.set(slot(), c);
        }

        /** The kept cipher, or one from the pool. */
        private Cipher borrow() {
            Cipher c = (Cipher) KEPT.getAndSet(this, (Cipher) null);
            return c != null ? c : take();
        }

        /** Keeps {@code c} for the next call (to the pool if another call kept one meanwhile). */
        private void keep(Cipher c) {
            if (!KEPT.compareAndSet(this, (Cipher) null, c)) {
                give(c);
            }
        }

        /**
         * Gives the kept cipher back to the pool: a connection with no traffic for a while calls
         * this, and then holds its key alone. Any thread; the next use borrows one again.
         */
        public void release() {
            Cipher c = (Cipher) KEPT.getAndSet(this, (Cipher) null);
            if (c != null) {
                give(c);
            }
        }

        /**
         * A borrowed cipher initialised to encrypt with this key and {@code nonce}. The JDK refuses
         * an encryption init that repeats the last key and nonce of the same cipher object; with
         * shared ciphers that last use may be another Gcm's with an equal key, which only fixed
         * test secrets have (a channel's keys come from a fresh handshake, and RecordSealer never
         * repeats a seq). Such a refusal gets a fresh cipher.
         */
        private Cipher takeForEncryption(byte[] nonce) {
            Cipher c = borrow();
            GCMParameterSpec spec = new GCMParameterSpec(GCM_TAG_LEN * 8, nonce);
            try {
                c.init(Cipher.ENCRYPT_MODE, key, spec);
                return c;
            } catch (InvalidAlgorithmParameterException reused) {
                try {
                    Cipher fresh = Cipher.getInstance(c.getAlgorithm(), c.getProvider());
                    fresh.init(Cipher.ENCRYPT_MODE, key, spec);
                    return fresh;
                } catch (GeneralSecurityException e) {
                    throw new IllegalStateException("AES-GCM init failed", e);
                }
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("AES-GCM init failed", e);
            }
        }

        /** Seals: returns ciphertext || 16-byte tag. Each (key, nonce) pair must be used once. */
        public byte[] seal(byte[] nonce, byte[] aad, byte[] plaintext, int off, int len) {
            Cipher cipher = takeForEncryption(nonce);
            try {
                cipher.updateAAD(aad);
                return cipher.doFinal(plaintext, off, len);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("AES-GCM seal failed", e);
            } finally {
                keep(cipher);
            }
        }

        /**
         * Seals into {@code out} at {@code outOff} (ciphertext || tag, len + 16 bytes), with
         * out[aadOff, aadOff+aadLen) as associated data: a record is built in one array.
         */
        public void sealInto(
                byte[] nonce,
                byte[] out,
                int aadOff,
                int aadLen,
                byte[] plaintext,
                int off,
                int len,
                int outOff) {
            Cipher cipher = takeForEncryption(nonce);
            try {
                cipher.updateAAD(out, aadOff, aadLen);
                cipher.doFinal(plaintext, off, len, out, outOff);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("AES-GCM seal failed", e);
            } finally {
                keep(cipher);
            }
        }

        /**
         * Opens ciphertext||tag; RECORD_AUTH_FAILED if the tag does not verify. Tags of other
         * lengths than 16 bytes are not used by this protocol.
         */
        public byte[] open(byte[] nonce, byte[] aad, byte[] in, int off, int len)
                throws ProtocolException {
            if (len < GCM_TAG_LEN) {
                throw new ProtocolException(ErrorCode.RECORD_AUTH_FAILED);
            }
            Cipher cipher = borrow();
            try {
                cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(GCM_TAG_LEN * 8, nonce));
                cipher.updateAAD(aad);
                return cipher.doFinal(in, off, len);
            } catch (AEADBadTagException e) {
                throw new ProtocolException(ErrorCode.RECORD_AUTH_FAILED);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("AES-GCM open failed", e);
            } finally {
                keep(cipher);
            }
        }

        /** Opens with an explicit tag length in bits (Wycheproof vectors carry short tags too). */
        public byte[] openWithTagBits(byte[] nonce, byte[] aad, byte[] in, int tagBits)
                throws ProtocolException {
            Cipher cipher = borrow();
            try {
                cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(tagBits, nonce));
                cipher.updateAAD(aad);
                return cipher.doFinal(in);
            } catch (AEADBadTagException e) {
                throw new ProtocolException(ErrorCode.RECORD_AUTH_FAILED);
            } catch (GeneralSecurityException | IllegalArgumentException e) {
                throw new ProtocolException(ErrorCode.MALFORMED_MESSAGE);
            } finally {
                keep(cipher);
            }
        }
    }

    private static void requireLength(byte[] b, int len, String what) {
        if (b == null || b.length != len) {
            throw new IllegalArgumentException(what + " must be " + len + " bytes");
        }
    }
}
