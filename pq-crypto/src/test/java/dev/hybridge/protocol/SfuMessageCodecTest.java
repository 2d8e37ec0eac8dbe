package dev.hybridge.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.hybridge.crypto.ErrorCode;
import dev.hybridge.crypto.ProtocolException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** SFU_REQUEST and SFU_EVENT (spec/sfu.md §2): layouts and the decoder's refusals. */
class SfuMessageCodecTest {
    private static final byte[] TXN = HexFormat.of().parseHex("0102030405060708");
    private static final byte[] JSON = "{\"janus\":\"message\"}".getBytes(StandardCharsets.UTF_8);

    @Test
    void requestRoundTripsWithItsLayout() throws Exception {
        byte[] wire = RoomCodec.encode(new RoomMessage.SfuRequest(2, TXN, JSON));
        assertEquals(0x28, wire[0]);
        assertEquals(2, wire[1]);
        assertEquals(11 + JSON.length - 1, wire.length);
        RoomMessage.SfuRequest r = (RoomMessage.SfuRequest) RoomCodec.decodeFromClient(wire);
        assertEquals(2, r.handle());
        assertArrayEquals(TXN, r.txn());
        assertArrayEquals(JSON, r.json());
    }

    @Test
    void eventRoundTripsAndMayCarryTheZeroTxn() throws Exception {
        byte[] wire = RoomCodec.encode(new RoomMessage.SfuEvent(1, new byte[8], JSON));
        assertEquals(0x38, wire[0]);
        RoomMessage.SfuEvent e = (RoomMessage.SfuEvent) RoomCodec.decodeFromGateway(wire);
        assertEquals(1, e.handle());
        assertArrayEquals(new byte[8], e.txn());
        assertArrayEquals(JSON, e.json());
    }

    @Test
    void badHandleZeroTxnEmptyJsonAndWrongDirectionAreRefused() {
        byte[] ok = RoomCodec.encode(new RoomMessage.SfuRequest(1, TXN, JSON));
        for (int handle : new int[] {0, 3, 0xFF}) {
            byte[] bad = ok.clone();
            bad[1] = (byte) handle;
            assertCode(
                    ErrorCode.MALFORMED_MESSAGE.code(), bad, RoomCodec.Direction.CLIENT_TO_GATEWAY);
        }
        byte[] zeroTxn = ok.clone();
        java.util.Arrays.fill(zeroTxn, 2, 10, (byte) 0);
        assertCode(
                ErrorCode.MALFORMED_MESSAGE.code(), zeroTxn, RoomCodec.Direction.CLIENT_TO_GATEWAY);
        byte[] noJson = java.util.Arrays.copyOf(ok, 10);
        assertCode(
                ErrorCode.MALFORMED_MESSAGE.code(), noJson, RoomCodec.Direction.CLIENT_TO_GATEWAY);
        assertCode(ErrorCode.UNEXPECTED_MESSAGE.code(), ok, RoomCodec.Direction.GATEWAY_TO_CLIENT);
        // 0x26 and 0x36 stay unknown (the vectors say so)
        byte[] unknown = ok.clone();
        unknown[0] = 0x26;
        assertCode(
                RoomError.UNKNOWN_MESSAGE.code(), unknown, RoomCodec.Direction.CLIENT_TO_GATEWAY);
    }

    private static void assertCode(int code, byte[] msg, RoomCodec.Direction d) {
        ProtocolException e = assertThrows(ProtocolException.class, () -> RoomCodec.decode(msg, d));
        assertEquals(code, e.code().code());
    }
}
