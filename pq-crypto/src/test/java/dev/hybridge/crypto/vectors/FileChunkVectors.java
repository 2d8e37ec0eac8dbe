package dev.hybridge.crypto.vectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hybridge.crypto.record.FileChunk;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * test-vectors/file-chunk.json (spec/files.md §2): the binary peer-record plaintext of a file
 * chunk, {@code 0x01 || id (8) || index (u32, big-endian) || data (1 to 65523 bytes)}; plaintexts
 * the decoder refuses, each with the reason it gives.
 */
public final class FileChunkVectors {
    public static final String FILE = "file-chunk.json";

    private FileChunkVectors() {}

    public static ObjectNode generate() {
        ArrayNode tests = Json.array();
        int tc = 1;
        String drawnId = HexFormat.of().formatHex(DeterministicInputs.bytes(FILE, 2, "id", 8));
        Object[][] good = {
            {
                "0123456789abcdef",
                2L,
                "hi".getBytes(StandardCharsets.UTF_8),
                "the example of spec/files.md §2"
            },
            {drawnId, 0L, new byte[] {0x00}, "the smallest chunk: index 0, one byte of data"},
            {
                "ffffffffffffffff",
                0xFFFF_FFFFL,
                new byte[] {(byte) 0xff},
                "the largest index (2^32-1)"
            },
            {
                drawnId,
                0x0102_0304L,
                new byte[] {0x2a, 0x2b},
                "an index of four distinct bytes: big-endian"
            },
            {
                drawnId,
                1L,
                DataChannelVectors.counting(FileChunk.MAX_DATA),
                "the most data (65523 bytes): a full data-channel peer plaintext"
            },
        };
        for (Object[] g : good) {
            FileChunk c = new FileChunk((String) g[0], (long) g[1], (byte[]) g[2]);
            ObjectNode t = Json.object();
            t.put("tc_id", tc++);
            t.put("comment", (String) g[3]);
            t.put("result", "valid");
            t.put("id", c.id());
            t.put("index", c.index());
            t.put("data", Json.hex(c.data()));
            t.put("plaintext", Json.hex(c.encode()));
            tests.add(t);
        }
        byte[] smallest = new FileChunk(drawnId, 0, new byte[] {0x00}).encode();
        byte[] header = Arrays.copyOf(smallest, FileChunk.HEADER);
        byte[] oversize = Arrays.copyOf(header, FileChunk.HEADER + FileChunk.MAX_DATA + 1);
        Object[][] bad = {
            {new byte[0], "an empty plaintext"},
            {Mutate.set(smallest, 0, 0x02), "first byte 0x02, not 0x01"},
            {"{\"t\":\"ping\"}".getBytes(StandardCharsets.UTF_8), "a JSON text (first byte '{')"},
            {new byte[] {0x01}, "0x01 alone"},
            {Arrays.copyOf(header, 9), "0x01 and the id, no index"},
            {header, "the 13-byte header and no data"},
            {oversize, "one byte of data over 65523: 65537 bytes"},
        };
        for (Object[] b : bad) {
            byte[] p = (byte[]) b[0];
            ObjectNode t = Json.object();
            t.put("tc_id", tc++);
            t.put("comment", (String) b[1]);
            t.put("result", "invalid");
            t.put("plaintext", Json.hex(p));
            t.put("expect", "MALFORMED_MESSAGE");
            t.put("reason", Objects.requireNonNull(FileChunk.problem(p)));
            tests.add(t);
        }
        return Json.document(
                "file-chunk",
                "File chunks (spec/files.md §2): plaintext = 0x01 || id (8 bytes, hex in `id`) || index (u32, big-endian) || data (1 to 65523 bytes). Valid: encode id, index and data to plaintext, and decode plaintext back to them. Invalid: the plaintext is refused with `expect` (dropped and counted as MALFORMED) and the rule `reason`, worded as the reference client words it.",
                tests);
    }

    public static List<String> verify(JsonNode doc) {
        return VectorChecks.each(
                doc,
                t -> {
                    byte[] plaintext = Json.unhex(t, "plaintext");
                    FileChunk c =
                            new FileChunk(
                                    t.get("id").asText(),
                                    t.get("index").asLong(),
                                    Json.unhex(t, "data"));
                    if (!Arrays.equals(c.encode(), plaintext)) return "plaintext differs";
                    FileChunk d = FileChunk.decode(plaintext);
                    if (!d.id().equals(c.id())) return "decoded id differs";
                    if (d.index() != c.index()) return "decoded index differs";
                    if (!Arrays.equals(d.data(), c.data())) return "decoded data differs";
                    return null;
                },
                t -> {
                    byte[] plaintext = Json.unhex(t, "plaintext");
                    String reason = FileChunk.problem(plaintext);
                    if (!t.get("reason").asText().equals(reason))
                        return "reason " + reason + ", expected " + t.get("reason").asText();
                    return Mutate.expect(
                            t.get("expect").asText(), () -> FileChunk.decode(plaintext));
                });
    }
}
