package dev.hybridge.crypto.record;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.hybridge.crypto.ErrorCode;
import dev.hybridge.crypto.ProtocolException;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** The file chunk codec (spec/files.md §2) beyond test-vectors/file-chunk.json: the encoder's refusals. */
class FileChunkTest {
    @Test
    void theSpecExampleRoundTrips() throws ProtocolException {
        byte[] p = new FileChunk("0123456789abcdef", 2, new byte[] {0x68, 0x69}).encode();
        assertEquals("010123456789abcdef000000026869", HexFormat.of().formatHex(p));
        FileChunk d = FileChunk.decode(p);
        assertEquals("0123456789abcdef", d.id());
        assertEquals(2, d.index());
        assertArrayEquals(new byte[] {0x68, 0x69}, d.data());
    }

    @Test
    void theEncoderRefusesWhatTheJsEncoderRefuses() {
        byte[] one = new byte[1];
        assertThrows(IllegalArgumentException.class, () -> new FileChunk("0123", 0, one));
        assertThrows(
                IllegalArgumentException.class, () -> new FileChunk("0123456789ABCDEF", 0, one));
        assertThrows(
                IllegalArgumentException.class, () -> new FileChunk("0123456789abcdef", -1, one));
        assertThrows(
                IllegalArgumentException.class,
                () -> new FileChunk("0123456789abcdef", 0x1_0000_0000L, one));
        assertThrows(
                IllegalArgumentException.class,
                () -> new FileChunk("0123456789abcdef", 0, new byte[0]));
        assertThrows(
                IllegalArgumentException.class,
                () -> new FileChunk("0123456789abcdef", 0, new byte[FileChunk.MAX_DATA + 1]));
    }

    @Test
    void aRefusalIsMalformed() {
        ProtocolException e =
                assertThrows(ProtocolException.class, () -> FileChunk.decode(new byte[] {1}));
        assertEquals(ErrorCode.MALFORMED_MESSAGE, e.code());
    }
}
