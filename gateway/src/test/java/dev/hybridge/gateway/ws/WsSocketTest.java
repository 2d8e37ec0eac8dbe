package dev.hybridge.gateway.ws;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import org.junit.jupiter.api.Test;

/** The frame helpers of WsSocket against byte-by-byte definitions of RFC 6455. */
class WsSocketTest {
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
                long m = ((key[0] & 0xFFL) << 24) | ((key[1] & 0xFFL) << 16) | ((key[2] & 0xFFL) << 8) | (key[3] & 0xFFL);
                WsSocket.unmask(data, m | (m << 32));
                assertArrayEquals(expected, data, "length " + len);
            }
        }
    }

    @Test
    void frameHeadersUseTheShortestLengthEncoding() {
        for (int len : new int[] {0, 125, 126, 65535, 65536, 70000}) {
            byte[] payload = new byte[len];
            RNG.nextBytes(payload);
            byte[] f = new byte[WsSocket.frameSize(len)];
            int end = WsSocket.frame(f, 0, WsSocket.OP_BINARY, payload, 0, len);
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
        byte[] p = WsSocket.closePayload(4001, "x".repeat(500));
        assertEquals(125, p.length);
        assertEquals(4001, ((p[0] & 0xFF) << 8) | (p[1] & 0xFF));
    }

    @Test
    void closeCodesAnEndpointMaySend() {
        for (int ok : new int[] {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 4000, 4999}) {
            assertTrue(WsSocket.validCloseCode(ok), String.valueOf(ok));
        }
        for (int bad : new int[] {-1, 0, 999, 1004, 1005, 1006, 1012, 1015, 2999, 5000}) {
            assertFalse(WsSocket.validCloseCode(bad), String.valueOf(bad));
        }
    }
}
