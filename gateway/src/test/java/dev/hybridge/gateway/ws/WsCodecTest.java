package dev.hybridge.gateway.ws;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import org.junit.jupiter.api.Test;

/** The codec against byte-by-byte definitions of RFC 6455. */
class WsCodecTest {
    static final SecureRandom RNG = new SecureRandom();

    @Test
    void unmaskEightAtATimeEqualsTheByteWiseDefinition() {
        for (int len = 0; len <= 70; len++) {
            for (int round = 0; round < 20; round++) {
                byte[] data = new byte[len];
                RNG.nextBytes(data);
                byte[] key = new byte[4];
                RNG.nextBytes(key);
                byte[] expected = data.clone();
                for (int i = 0; i < len; i++) {
                    expected[i] ^= key[i % 4]; // RFC 6455 §5.3
                }
                int m =
                        ((key[0] & 0xFF) << 24)
                                | ((key[1] & 0xFF) << 16)
                                | ((key[2] & 0xFF) << 8)
                                | (key[3] & 0xFF);
                WsCodec.unmask(data, m);
                assertArrayEquals(expected, data, "length " + len);
            }
        }
    }

    @Test
    void frameHeadersUseTheShortestLengthEncoding() {
        for (int len : new int[] {0, 125, 126, 65535, 65536, 70000}) {
            byte[] payload = new byte[len];
            RNG.nextBytes(payload);
            byte[] f = new byte[WsCodec.frameSize(len)];
            int end = WsCodec.encode(f, 0, WsCodec.OP_BINARY, payload, 0, len);
            assertEquals(f.length, end);
            assertEquals((byte) 0x82, f[0], "FIN + binary, no RSV bits, unmasked");
            int header = len < 126 ? 2 : len < 65536 ? 4 : 10;
            int code = f[1] & 0x7F;
            assertEquals(len < 126 ? len : len < 65536 ? 126 : 127, code);
            long announced = len < 126 ? code : 0;
            for (int i = 2; i < header; i++) {
                announced = (announced << 8) | (f[i] & 0xFF);
            }
            assertEquals(len, announced);
            assertArrayEquals(payload, java.util.Arrays.copyOfRange(f, header, f.length));
        }
    }

    @Test
    void closePayloadFitsAControlFrame() {
        byte[] p = WsCodec.closePayload(4001, "x".repeat(500));
        assertEquals(125, p.length);
        assertEquals(4001, ((p[0] & 0xFF) << 8) | (p[1] & 0xFF));
    }

    @Test
    void closeCodesAnEndpointMaySend() {
        // 1012-1014 are IANA-registered after the RFC (service restart, try again later, bad
        // gateway)
        for (int ok :
                new int[] {
                    1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000,
                    4000, 4999
                }) {
            assertTrue(WsCodec.validCloseCode(ok), String.valueOf(ok));
        }
        for (int bad : new int[] {-1, 0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000}) {
            assertFalse(WsCodec.validCloseCode(bad), String.valueOf(bad));
        }
    }

    @Test
    void headersDecodeAsEncodedForEveryLengthClassMaskedOrNot() {
        for (int len : new int[] {0, 1, 125, 126, 127, 65535, 65536, 70000}) {
            for (boolean masked : new boolean[] {false, true}) {
                byte[] payload = new byte[len];
                RNG.nextBytes(payload);
                int mask = RNG.nextInt();
                byte[] f = new byte[WsCodec.headerSize(len, masked) + len];
                int end =
                        masked
                                ? WsCodec.encodeMasked(
                                        f, 0, false, WsCodec.OP_TEXT, payload, 0, len, mask)
                                : WsCodec.encode(f, 0, WsCodec.OP_BINARY, payload, 0, len);
                assertEquals(f.length, end);
                for (int cut = 0; cut < WsCodec.headerSize(len, masked); cut++) {
                    assertEquals(
                            null,
                            WsCodec.decodeHeader(f, 0, cut),
                            "a header cut at " + cut + " needs more bytes");
                }
                WsCodec.Header h = WsCodec.decodeHeader(f, 0, f.length);
                assertEquals(len, h.length());
                assertEquals(masked, h.masked());
                assertEquals(!masked, h.fin());
                assertEquals(masked ? WsCodec.OP_TEXT : WsCodec.OP_BINARY, h.opcode());
                assertEquals(0, h.rsv());
                assertEquals(WsCodec.headerSize(len, masked), h.headerLength());
                byte[] body = java.util.Arrays.copyOfRange(f, h.headerLength(), f.length);
                if (masked) {
                    assertEquals(mask, h.mask());
                    WsCodec.unmask(body, h.mask());
                }
                assertArrayEquals(payload, body);
            }
        }
    }

    @Test
    void rfc6455Section571Examples() {
        // §5.7: a single-frame unmasked text "Hello" and the same masked with 37 fa 21 3d
        byte[] unmasked = {(byte) 0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f};
        byte[] masked = {
            (byte) 0x81,
            (byte) 0x85,
            0x37,
            (byte) 0xfa,
            0x21,
            0x3d,
            0x7f,
            (byte) 0x9f,
            0x4d,
            0x51,
            0x58
        };
        byte[] hello = "Hello".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] f = new byte[7];
        WsCodec.encode(f, 0, WsCodec.OP_TEXT, hello, 0, 5);
        assertArrayEquals(unmasked, f);
        byte[] g = new byte[11];
        WsCodec.encodeMasked(g, 0, true, WsCodec.OP_TEXT, hello, 0, 5, 0x37fa213d);
        assertArrayEquals(masked, g);
        // 256 bytes and 64 KiB binary: 0x7E + 16-bit length, 0x7F + 64-bit length
        WsCodec.Header h256 =
                WsCodec.decodeHeader(new byte[] {(byte) 0x82, 0x7E, 0x01, 0x00}, 0, 4);
        assertEquals(256, h256.length());
        WsCodec.Header h64k =
                WsCodec.decodeHeader(new byte[] {(byte) 0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0}, 0, 10);
        assertEquals(65536, h64k.length());
        WsCodec.Header huge =
                WsCodec.decodeHeader(
                        new byte[] {(byte) 0x82, 0x7F, (byte) 0x80, 0, 0, 0, 0, 0, 0, 0}, 0, 10);
        assertEquals(
                WsCodec.LENGTH_OVERFLOW, huge.length(), "the top bit of a 64-bit length must be 0");
    }

    @Test
    void utf8ValidationAgreesWithTheJdkDecoderOnRandomAndEdgeInputs() throws Exception {
        var strict =
                java.nio.charset.StandardCharsets.UTF_8
                        .newDecoder()
                        .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                        .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT);
        java.util.List<byte[]> cases = new java.util.ArrayList<>();
        for (String hex :
                new String[] {
                    "",
                    "41",
                    "c2a9",
                    "e282ac",
                    "f09f9880",
                    "c0af",
                    "e080af",
                    "eda080",
                    "f4908080",
                    "f5",
                    "ff",
                    "80",
                    "c2",
                    "e282",
                    "f09f98",
                    "cebae1bdb9cf83cebcceb5",
                    "f48fbfbf",
                    "efbfbf"
                }) {
            cases.add(java.util.HexFormat.of().parseHex(hex));
        }
        for (int i = 0; i < 20_000; i++) {
            byte[] b = new byte[RNG.nextInt(8)];
            for (int j = 0; j < b.length; j++) { // biased to the interesting bytes
                b[j] = (byte) (RNG.nextBoolean() ? 0x80 + RNG.nextInt(0x80) : RNG.nextInt(256));
            }
            cases.add(b);
        }
        for (byte[] b : cases) {
            boolean jdk;
            try {
                strict.reset().decode(java.nio.ByteBuffer.wrap(b));
                jdk = true;
            } catch (java.nio.charset.CharacterCodingException e) {
                jdk = false;
            }
            assertEquals(
                    jdk, WsCodec.isUtf8(b, 0, b.length), java.util.HexFormat.of().formatHex(b));
            // the same verdict when fed in two pieces at any split (fragmented text, §5.6)
            for (int split = 0; split <= b.length; split++) {
                WsCodec.Utf8Validator v = new WsCodec.Utf8Validator();
                boolean ok =
                        v.feed(b, 0, split) && v.feed(b, split, b.length - split) && v.complete();
                assertEquals(jdk, ok, java.util.HexFormat.of().formatHex(b) + " split at " + split);
            }
        }
    }

    @Test
    void closeReasonsAreCutAtACharacterBoundary() {
        byte[] p = WsCodec.closePayload(1000, "é".repeat(100)); // 200 bytes of 2-byte characters
        assertTrue(p.length <= 125);
        assertTrue(WsCodec.isUtf8(p, 2, p.length - 2), "a cut reason must stay UTF-8");
    }
}
