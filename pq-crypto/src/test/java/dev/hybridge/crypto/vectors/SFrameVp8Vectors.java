package dev.hybridge.crypto.vectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.List;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.digests.SHA512Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

/**
 * test-vectors/sframe-vp8.json (spec/media-sframe.md §7.5): VP8 frames through the SFU, sealed
 * as {@code clear || SFrame(rest)} with the clear bytes (10 of a key frame, 3 of an interframe)
 * as the SFrame metadata, under suite 0x0005 (AES_256_GCM_SHA512_128, RFC 9605).
 *
 * <p>Media is the browser's alone; no Java code of the project seals frames. This is a second,
 * independent SFrame of RFC 9605 §4.3-§4.4 (header, key schedule, AEAD) in the test kit, written
 * from the RFC and checked here against its Appendix C vector for suite 0x0005 where ../shared is
 * present (SFrameVp8VectorsTest), so that the JavaScript client is checked against a second
 * implementation.
 */
public final class SFrameVp8Vectors {
    public static final String FILE = "sframe-vp8.json";

    /** RFC 9605 cipher suite 0x0005, the only one Hybridge uses. */
    static final int SUITE = 0x0005;

    private static final int NK = 32;
    private static final int NN = 12;
    private static final int NT = 16;

    private SFrameVp8Vectors() {}

    /** A refusal with the error name of spec/media-sframe.md §9 (SFrame codes have no Java enum). */
    static final class Refusal extends Exception {
        private static final long serialVersionUID = 1L;

        Refusal(String name) {
            super(name, null, false, false);
        }
    }

    // --- RFC 9605 --------------------------------------------------------------------------------

    /** The minimal big-endian bytes of {@code v} (at least one). */
    private static byte[] minimal(long v) {
        int n = Math.max(1, (64 - Long.numberOfLeadingZeros(v) + 7) / 8);
        byte[] out = new byte[n];
        for (int i = n - 1; i >= 0; i--) {
            out[i] = (byte) v;
            v >>>= 8;
        }
        return out;
    }

    /** encode_sframe_header(CTR, KID) of RFC 9605 §4.3. */
    static byte[] header(long kid, long ctr) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int config = 0;
        byte[] k = null;
        byte[] c = null;
        if (kid < 8) {
            config |= (int) kid << 4;
        } else {
            k = minimal(kid);
            config |= 0x80 | (k.length - 1) << 4;
        }
        if (ctr < 8) {
            config |= (int) ctr;
        } else {
            c = minimal(ctr);
            config |= 0x08 | (c.length - 1);
        }
        out.write(config);
        if (k != null) out.writeBytes(k);
        if (c != null) out.writeBytes(c);
        return out.toByteArray();
    }

    record Header(long kid, long ctr, int length) {}

    /** Parses a minimal header at the start of {@code b}; SFRAME_MALFORMED otherwise. */
    static Header parseHeader(byte[] b) throws Refusal {
        if (b.length < 1) throw new Refusal("SFRAME_MALFORMED");
        int config = b[0] & 0xff;
        int offset = 1;
        long kid = (config >> 4) & 0x07;
        if ((config & 0x80) != 0) {
            int n = ((config >> 4) & 0x07) + 1;
            kid = readMinimal(b, offset, n);
            offset += n;
        }
        long ctr = config & 0x07;
        if ((config & 0x08) != 0) {
            int n = (config & 0x07) + 1;
            ctr = readMinimal(b, offset, n);
            offset += n;
        }
        return new Header(kid, ctr, offset);
    }

    private static long readMinimal(byte[] b, int offset, int n) throws Refusal {
        if (b.length < offset + n || n > 8 || (n == 8 && (b[offset] & 0x80) != 0)) {
            throw new Refusal("SFRAME_MALFORMED"); // (KIDs and CTRs of Hybridge fit 63 bits)
        }
        long v = 0;
        for (int i = 0; i < n; i++) v = v << 8 | (b[offset + i] & 0xff);
        if (minimal(v).length != n || v < 8) throw new Refusal("SFRAME_MALFORMED");
        return v;
    }

    /** sframe_key and sframe_salt of RFC 9605 §4.4.2 for {@code kid}. */
    static byte[][] keyAndSalt(byte[] baseKey, long kid) {
        byte[] kidSuite = new byte[10];
        for (int i = 0; i < 8; i++) kidSuite[i] = (byte) (kid >>> (56 - 8 * i));
        kidSuite[8] = (byte) (SUITE >> 8);
        kidSuite[9] = (byte) SUITE;
        return new byte[][] {
            expand(baseKey, label("SFrame 1.0 Secret key ", kidSuite), NK),
            expand(baseKey, label("SFrame 1.0 Secret salt ", kidSuite), NN)
        };
    }

    private static byte[] label(String text, byte[] kidSuite) {
        byte[] t = text.getBytes(StandardCharsets.US_ASCII);
        byte[] out = Arrays.copyOf(t, t.length + kidSuite.length);
        System.arraycopy(kidSuite, 0, out, t.length, kidSuite.length);
        return out;
    }

    /** HKDF-Expand(HKDF-Extract("", ikm), info, n) with SHA-512. */
    private static byte[] expand(byte[] ikm, byte[] info, int n) {
        HKDFBytesGenerator g = new HKDFBytesGenerator(new SHA512Digest());
        g.init(new HKDFParameters(ikm, new byte[0], info));
        byte[] out = new byte[n];
        g.generateBytes(out, 0, n);
        return out;
    }

    private static byte[] nonce(byte[] salt, long ctr) {
        byte[] n = salt.clone();
        for (int i = 0; i < 8; i++) n[NN - 1 - i] ^= (byte) (ctr >>> (8 * i));
        return n;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** encrypt(CTR, KID, metadata, plaintext) of RFC 9605 §4.4.3: header || ct || tag. */
    static byte[] seal(byte[] baseKey, long kid, long ctr, byte[] metadata, byte[] plaintext) {
        byte[][] ks = keyAndSalt(baseKey, kid);
        byte[] header = header(kid, ctr);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(
                    Cipher.ENCRYPT_MODE,
                    new SecretKeySpec(ks[0], "AES"),
                    new GCMParameterSpec(NT * 8, nonce(ks[1], ctr)));
            c.updateAAD(concat(header, metadata));
            return concat(header, c.doFinal(plaintext));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * decrypt(metadata, sframe_ciphertext) of RFC 9605 §4.4.4 in the check order of
     * spec/media-sframe.md §6, for a receiver holding the one key {@code kid} and a fresh window.
     */
    static byte[] open(byte[] baseKey, long kid, byte[] metadata, byte[] sframe) throws Refusal {
        Header h = parseHeader(sframe);
        if (sframe.length < h.length() + NT) throw new Refusal("SFRAME_MALFORMED");
        if (h.kid() != kid) throw new Refusal("SFRAME_UNKNOWN_KID");
        byte[][] ks = keyAndSalt(baseKey, kid);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(
                    Cipher.DECRYPT_MODE,
                    new SecretKeySpec(ks[0], "AES"),
                    new GCMParameterSpec(NT * 8, nonce(ks[1], h.ctr())));
            c.updateAAD(concat(Arrays.copyOf(sframe, h.length()), metadata));
            return c.doFinal(sframe, h.length(), sframe.length - h.length());
        } catch (AEADBadTagException e) {
            throw new Refusal("SFRAME_AUTH_FAILED");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    // --- the VP8 layout (spec/media-sframe.md §7.5)
    // -----------------------------------------------

    /** 10 for a key frame (bit 0 of the frame tag is 0), 3 otherwise; SFRAME_MALFORMED if shorter. */
    static int clearLength(byte[] frame) throws Refusal {
        if (frame.length < 1) throw new Refusal("SFRAME_MALFORMED");
        int n = (frame[0] & 0x01) == 0 ? 10 : 3;
        if (frame.length < n) throw new Refusal("SFRAME_MALFORMED");
        return n;
    }

    static byte[] sealVp8(byte[] baseKey, long kid, long ctr, byte[] frame) throws Refusal {
        int n = clearLength(frame);
        byte[] clear = Arrays.copyOf(frame, n);
        return concat(
                clear, seal(baseKey, kid, ctr, clear, Arrays.copyOfRange(frame, n, frame.length)));
    }

    static byte[] openVp8(byte[] baseKey, long kid, byte[] sealed) throws Refusal {
        int n = clearLength(sealed);
        byte[] clear = Arrays.copyOf(sealed, n);
        return concat(
                clear, open(baseKey, kid, clear, Arrays.copyOfRange(sealed, n, sealed.length)));
    }

    // --- the file --------------------------------------------------------------------------------

    /** A VP8 key frame of {@code width} x {@code height}: frame tag, start code, sizes, then {@code rest}. */
    private static byte[] keyFrame(int width, int height, byte[] rest) {
        byte[] head = {
            0x50,
            0x42,
            0x00,
            (byte) 0x9d,
            0x01,
            0x2a,
            (byte) width,
            (byte) (width >> 8),
            (byte) height,
            (byte) (height >> 8)
        };
        return concat(head, rest);
    }

    /** A VP8 interframe: a frame tag with bit 0 set, then {@code rest}. */
    private static byte[] interframe(byte[] rest) {
        return concat(new byte[] {0x31, 0x07, 0x00}, rest);
    }

    public static ObjectNode generate() {
        ArrayNode tests = Json.array();
        byte[] baseKey = DeterministicInputs.bytes(FILE, 0, "base_key", 32);
        long kid = 0x1234_abcd_0007L; // a Hybridge KID: sender_tag u32 || generation u16
        byte[] rest = DeterministicInputs.bytes(FILE, 0, "rest", 40);
        Object[][] good = {
            {keyFrame(640, 360, rest), 0L, "a key frame, 640x360, CTR 0: 10 clear bytes"},
            {interframe(rest), 7L, "an interframe, CTR 7 (the last inline CTR): 3 clear bytes"},
            {keyFrame(320, 180, rest), 256L, "a key frame at CTR 256 (two CTR bytes)"},
            {keyFrame(160, 120, new byte[0]), 8L, "a key frame of its 10 clear bytes only"},
            {
                interframe(new byte[0]),
                0x1_0000_0000L - 1,
                "an interframe of its 3 clear bytes only, CTR 2^32-1"
            },
        };
        int tc = 1;
        for (Object[] g : good) {
            byte[] frame = (byte[]) g[0];
            long ctr = (long) g[1];
            ObjectNode t = Json.object();
            t.put("tc_id", tc++);
            t.put("comment", (String) g[2]);
            t.put("result", "valid");
            t.put("base_key", Json.hex(baseKey));
            t.put("kid", kid);
            t.put("ctr", ctr);
            t.put("frame", Json.hex(frame));
            try {
                t.put("clear_length", clearLength(frame));
                t.put("sealed", Json.hex(sealVp8(baseKey, kid, ctr, frame)));
            } catch (Refusal e) {
                throw new IllegalStateException(e);
            }
            tests.add(t);
        }
        byte[] key;
        byte[] inter;
        try {
            key = sealVp8(baseKey, kid, 9, keyFrame(640, 360, rest));
            inter = sealVp8(baseKey, kid, 10, interframe(rest));
        } catch (Refusal e) {
            throw new IllegalStateException(e);
        }
        byte[] whole = seal(baseKey, kid, 11, new byte[0], keyFrame(640, 360, rest));
        Object[][] bad = {
            {
                Mutate.set(key, 8, key[8] ^ 0x01),
                "a key frame whose height (a clear byte) was changed"
            },
            {
                Mutate.set(inter, 1, inter[1] ^ 0x80),
                "an interframe whose partition size (a clear byte) was changed"
            },
            {
                Mutate.set(key, key.length - 1, key[key.length - 1] ^ 0x01),
                "a key frame whose tag was changed"
            },
            {
                Mutate.set(key, 0, key[0] | 0x01),
                "a key frame made an interframe (bit 0 of the frame tag set): 3 clear bytes, the start code read as the SFrame header"
            },
            {Arrays.copyOf(key, 9), "a key frame shorter than its 10 clear bytes"},
            {Arrays.copyOf(inter, 2), "an interframe shorter than its 3 clear bytes"},
            {
                Arrays.copyOf(key, 10 + 2 + 15),
                "a key frame whose sealed part is shorter than header + tag"
            },
            {whole, "a key frame sealed whole (the mesh layout, §7.1)"},
        };
        for (Object[] b : bad) {
            byte[] sealed = (byte[]) b[0];
            String expect;
            try {
                openVp8(baseKey, kid, sealed);
                throw new IllegalStateException("accepted: " + b[1]);
            } catch (Refusal e) {
                expect = e.getMessage();
            }
            ObjectNode t = Json.object();
            t.put("tc_id", tc++);
            t.put("comment", (String) b[1]);
            t.put("result", "invalid");
            t.put("base_key", Json.hex(baseKey));
            t.put("kid", kid);
            t.put("sealed", Json.hex(sealed));
            t.put("expect", expect);
            tests.add(t);
        }
        return Json.document(
                "sframe-vp8",
                "VP8 frames through the SFU (spec/media-sframe.md §7.5), SFrame suite 0x0005: sealed = clear || header || ciphertext || tag, where clear is the first clear_length bytes of the frame (10 if bit 0 of its first byte is 0, a key frame; else 3) and is the SFrame metadata (AAD = header || clear). Valid: with base_key under kid, seal frame at ctr to sealed, and open sealed back to frame. Invalid: a receiver holding only base_key under kid, with a fresh replay window, refuses sealed with the SFrame error `expect` (spec/media-sframe.md §6, §9).",
                tests);
    }

    public static List<String> verify(JsonNode doc) {
        return VectorChecks.each(
                doc,
                t -> {
                    byte[] baseKey = Json.unhex(t, "base_key");
                    long kid = t.get("kid").asLong();
                    byte[] frame = Json.unhex(t, "frame");
                    byte[] sealed = Json.unhex(t, "sealed");
                    try {
                        if (clearLength(frame) != t.get("clear_length").asInt())
                            return "clear length differs";
                        if (!Arrays.equals(
                                sealVp8(baseKey, kid, t.get("ctr").asLong(), frame), sealed))
                            return "sealed differs";
                        if (!Arrays.equals(openVp8(baseKey, kid, sealed), frame))
                            return "opened differs";
                    } catch (Refusal e) {
                        return "refused " + e.getMessage();
                    }
                    return null;
                },
                t -> {
                    try {
                        openVp8(
                                Json.unhex(t, "base_key"),
                                t.get("kid").asLong(),
                                Json.unhex(t, "sealed"));
                        return "accepted, expected " + t.get("expect").asText();
                    } catch (Refusal e) {
                        return e.getMessage().equals(t.get("expect").asText())
                                ? null
                                : "got "
                                        + e.getMessage()
                                        + ", expected "
                                        + t.get("expect").asText();
                    }
                });
    }
}
