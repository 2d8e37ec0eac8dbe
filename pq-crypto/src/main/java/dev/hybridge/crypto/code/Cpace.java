package dev.hybridge.crypto.code;

import dev.hybridge.crypto.ErrorCode;
import dev.hybridge.crypto.ProtocolException;
import dev.hybridge.crypto.internal.Bytes;
import dev.hybridge.crypto.internal.Primitives;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import org.bouncycastle.crypto.digests.SHA512Digest;

/**
 * CPACE-X25519-SHA512 of draft-irtf-cfrg-cpace (spec/short-codes.md §3, CK2-CK5): generator
 * from PRS, CI and sid by Elligator 2, shares and the shared point by X25519 (RFC 7748, from
 * Bouncy Castle), and ISK. Checked against the draft's published vectors.
 *
 * <p>Bouncy Castle has X25519 but no Elligator 2 map for curve25519, so the map is written here,
 * in the draft's reference form (its appendix "Elligator 2 reference implementation", equal to
 * RFC 9380's map_to_curve_elligator2 with Z = 2). It uses {@link BigInteger}, which is not
 * constant-time: this Java implementation serves the test kit (vectors, property tests) and is
 * never run by the gateway, which never knows a code. The browser client is the one that runs
 * CPace with a real code.
 */
public final class Cpace {
    private Cpace() {}

    /** G_X25519.DSI. */
    public static final byte[] DSI = "CPace255".getBytes(StandardCharsets.US_ASCII);

    /** DSI || "_ISK", the prefix of the ISK hash. */
    public static final byte[] DSI_ISK = "CPace255_ISK".getBytes(StandardCharsets.US_ASCII);

    /** SHA-512's input block size, s_in_bytes of the generator string. */
    public static final int SHA512_BLOCK = 128;

    public static final int POINT_LEN = 32;
    public static final int ISK_LEN = 64;

    private static final BigInteger P = BigInteger.TWO.pow(255).subtract(BigInteger.valueOf(19));
    private static final BigInteger A = BigInteger.valueOf(486662);
    private static final BigInteger Z = BigInteger.TWO;

    /** prepend_len: the LEB128 length, then the bytes. */
    public static byte[] prependLen(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(data.length + 3);
        int length = data.length;
        do {
            int b = length & 0x7F;
            length >>>= 7;
            out.write(length == 0 ? b : b | 0x80);
        } while (length != 0);
        out.writeBytes(data);
        return out.toByteArray();
    }

    /** lv_cat(a0, a1, ...). */
    public static byte[] lvCat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(prependLen(p));
        }
        return out.toByteArray();
    }

    /** generator_string(DSI, PRS, CI, sid, s_in_bytes) = lv_cat(DSI, PRS, zpad, CI, sid). */
    public static byte[] generatorString(byte[] prs, byte[] ci, byte[] sid) {
        int zpad = Math.max(0, SHA512_BLOCK - prependLen(prs).length - prependLen(DSI).length - 1);
        return lvCat(DSI, prs, new byte[zpad], ci, sid);
    }

    /** G_X25519.calculate_generator(SHA-512, PRS, CI, sid): a u coordinate, 32 bytes. */
    public static byte[] calculateGenerator(byte[] prs, byte[] ci, byte[] sid) {
        byte[] gen = generatorString(prs, ci, sid);
        byte[] h = sha512(gen);
        byte[] u32 = java.util.Arrays.copyOf(h, POINT_LEN);
        Bytes.wipe(gen, h);
        byte[] g = elligator2(decodeUCoordinate(u32));
        Bytes.wipe(u32);
        return g;
    }

    /** RFC 7748 decodeUCoordinate for 255 bits: little-endian, bit 255 cleared. */
    static BigInteger decodeUCoordinate(byte[] u) {
        byte[] be = new byte[POINT_LEN];
        for (int i = 0; i < POINT_LEN; i++) {
            be[i] = u[POINT_LEN - 1 - i];
        }
        be[0] &= 0x7F;
        return new BigInteger(1, be);
    }

    /** The draft's elligator2(r): the u coordinate of a point of curve25519, encoded. */
    static byte[] elligator2(BigInteger r) {
        BigInteger r2 = r.multiply(r).mod(P);
        BigInteger den = BigInteger.ONE.add(Z.multiply(r2)).mod(P);
        BigInteger v = A.negate().multiply(den.modInverse(P)).mod(P);
        BigInteger gv = v.pow(3).add(A.multiply(v.pow(2))).add(v).mod(P);
        BigInteger eps = gv.modPow(P.subtract(BigInteger.ONE).shiftRight(1), P);
        BigInteger halfA = A.multiply(BigInteger.TWO.modInverse(P)).mod(P);
        BigInteger x =
                eps.multiply(v).subtract(BigInteger.ONE.subtract(eps).multiply(halfA)).mod(P);
        return encodeUCoordinate(x);
    }

    static byte[] encodeUCoordinate(BigInteger x) {
        byte[] be = x.toByteArray();
        byte[] le = new byte[POINT_LEN];
        for (int i = 0; i < POINT_LEN && i < be.length; i++) {
            le[i] = be[be.length - 1 - i];
        }
        return le;
    }

    /** G.scalar_mult(y, g) = X25519(y, g): a party's share. */
    public static byte[] share(byte[] scalar, byte[] generator) throws ProtocolException {
        return Primitives.x25519(scalar, generator);
    }

    /**
     * G.scalar_mult_vfy(y, Y): the shared point K; INVALID_PUBLIC_KEY when it is the neutral
     * element (a low-order share on the curve or its twist) or the share is not 32 bytes.
     */
    public static byte[] sharedPoint(byte[] scalar, byte[] share) throws ProtocolException {
        if (share.length != POINT_LEN) {
            throw new ProtocolException(ErrorCode.INVALID_PUBLIC_KEY);
        }
        byte[] k = Primitives.x25519(scalar, share);
        if (Bytes.isAllZero(k)) {
            throw new ProtocolException(ErrorCode.INVALID_PUBLIC_KEY);
        }
        return k;
    }

    /** transcript_ir(Ya, ADa, Yb, ADb) = lv_cat(Ya, ADa) || lv_cat(Yb, ADb). */
    public static byte[] transcriptIr(byte[] ya, byte[] ada, byte[] yb, byte[] adb) {
        return Bytes.concat(lvCat(ya, ada), lvCat(yb, adb));
    }

    /** transcript_oc: ordered concatenation, "oc" || larger lv_cat || smaller lv_cat. */
    public static byte[] transcriptOc(byte[] ya, byte[] ada, byte[] yb, byte[] adb) {
        byte[] a = lvCat(ya, ada);
        byte[] b = lvCat(yb, adb);
        boolean aFirst = compare(a, b) > 0;
        return Bytes.concat(
                "oc".getBytes(StandardCharsets.US_ASCII), aFirst ? a : b, aFirst ? b : a);
    }

    /** ISK = SHA-512(lv_cat(DSI_ISK, sid, K) || transcript). */
    public static byte[] isk(byte[] sid, byte[] k, byte[] transcript) {
        byte[] prefix = lvCat(DSI_ISK, sid, k);
        byte[] isk = sha512(prefix, transcript);
        Bytes.wipe(prefix);
        return isk;
    }

    /** sid_output = SHA-512("CPaceSidOutput" || transcript). */
    public static byte[] sidOutput(byte[] transcript) {
        return sha512("CPaceSidOutput".getBytes(StandardCharsets.US_ASCII), transcript);
    }

    static byte[] sha512(byte[]... parts) {
        SHA512Digest d = new SHA512Digest();
        for (byte[] p : parts) {
            d.update(p, 0, p.length);
        }
        byte[] out = new byte[64];
        d.doFinal(out, 0);
        return out;
    }

    /** The draft's lexicographic order: byte by byte, then the longer string is larger. */
    private static int compare(byte[] a, byte[] b) {
        for (int i = 0; i < Math.min(a.length, b.length); i++) {
            int c = Integer.compare(a[i] & 0xFF, b[i] & 0xFF);
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(a.length, b.length);
    }
}
