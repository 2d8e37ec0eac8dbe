package dev.hybridge.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hybridge.crypto.ErrorCode;
import dev.hybridge.crypto.ProtocolException;
import java.util.Arrays;
import java.util.HexFormat;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class RoomCodecTest {

    @Test
    void generatedVectorsVerify() {
        ObjectNode doc = RoomMessageVectors.generate();
        assertTrue(doc.path("tests").size() >= 30);
        assertEquals(java.util.List.of(), RoomMessageVectors.verify(doc));
    }

    @Test
    void generationIsDeterministic() {
        assertEquals(RoomMessageVectors.generate(), RoomMessageVectors.generate());
    }

    @Test
    void verifierCatchesATamperedVector() {
        ObjectNode doc = RoomMessageVectors.generate();
        ObjectNode first = (ObjectNode) doc.path("tests").get(0);
        String hex = first.path("message_hex").asText();
        first.put(
                "message_hex",
                hex.substring(0, hex.length() - 2) + (hex.endsWith("00") ? "01" : "00"));
        assertEquals(1, RoomMessageVectors.verify(doc).size());
    }

    @Test
    void verifierRefusesZeroVectors() {
        ObjectNode doc = RoomMessageVectors.generate();
        doc.putArray("tests");
        assertEquals(1, RoomMessageVectors.verify(doc).size());
    }

    @Test
    void everyTruncationAndExtensionOfEveryValidVectorFailsCleanly() {
        for (JsonNode v : RoomMessageVectors.generate().path("tests")) {
            if (!v.path("result").asText().equals("valid")) {
                continue;
            }
            byte[] msg = HexFormat.of().parseHex(v.path("message_hex").asText());
            RoomCodec.Direction dir =
                    v.path("direction").asText().equals("client_to_gateway")
                            ? RoomCodec.Direction.CLIENT_TO_GATEWAY
                            : RoomCodec.Direction.GATEWAY_TO_CLIENT;
            // every length for ordinary messages; a sample for the 64 KiB one (copies are
            // quadratic)
            int step = msg.length > 4096 ? 997 : 1;
            for (int len = 0; len < msg.length; len += step) {
                byte[] cut = Arrays.copyOf(msg, len);
                // RELAY/RELAYED/ERROR have variable length: a shorter one can still be valid.
                try {
                    RoomCodec.decode(cut, dir);
                } catch (ProtocolException e) {
                    assertTrue(
                            e.code() == ErrorCode.MALFORMED_MESSAGE,
                            v.path("tc_id") + " len " + len + ": " + e.code());
                }
            }
        }
    }

    @Test
    void relayRoundTrip() throws Exception {
        byte[] to = {1, 2, 3, 4, 5, 6, 7, 8};
        byte[] env = {9, 9, 9};
        RoomMessage m =
                RoomCodec.decodeFromClient(RoomCodec.encode(new RoomMessage.Relay(to, env)));
        RoomMessage.Relay r = (RoomMessage.Relay) m;
        assertArrayEquals(to, r.to());
        assertArrayEquals(env, r.envelope());
    }

    @Property(tries = 2000)
    void arbitraryBytesNeverThrowUnchecked(@ForAll @Size(max = 3000) byte[] msg) {
        for (RoomCodec.Direction d : RoomCodec.Direction.values()) {
            try {
                RoomMessage m = RoomCodec.decode(msg, d);
                assertArrayEquals(msg, RoomCodec.encode(m), "decode then encode is the identity");
            } catch (ProtocolException expected) {
                // a clean protocol failure is the only other outcome
            }
        }
    }
}
