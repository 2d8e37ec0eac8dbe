package dev.hybridge.crypto.vectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hybridge.crypto.ProtocolException;
import dev.hybridge.crypto.record.DataChannelFrame;
import dev.hybridge.crypto.record.RecordFormat;
import dev.hybridge.crypto.record.RecordOpener;
import dev.hybridge.crypto.record.RecordSealer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * test-vectors/data-channel.json (spec/data-channel.md §2): peer records sealed under a peer
 * traffic secret, framed with the channel tag of a handshake hash; frames of a wrong length.
 */
public final class DataChannelVectors {
    public static final String FILE = "data-channel.json";

    private DataChannelVectors() {}

    public static ObjectNode generate() throws ProtocolException {
        ArrayNode tests = Json.array();
        int tc = 1;
        // Valid: the records of one direction from seq 0, framed with the tag.
        byte[][] plaintexts = {
            "{\"t\":\"path\"}".getBytes(StandardCharsets.UTF_8),
            new byte[0],
            "{\"t\":\"ack\",\"id\":\"0123456789abcdef\"}".getBytes(StandardCharsets.UTF_8),
            counting(RecordFormat.PEER_MAX_PLAINTEXT),
            counting(RecordFormat.PEER_DC_MAX_PLAINTEXT),
        };
        String[] comments = {
            "a path record, the first on the data channel",
            "an empty plaintext (the shortest record)",
            "an ack",
            "the largest peer record the relay also carries",
            "the largest peer record on a data channel: the largest frame",
        };
        byte[] secret = DeterministicInputs.bytes(FILE, 0, "traffic_secret", 32);
        byte[] hh = DeterministicInputs.bytes(FILE, 0, "handshake_hash", 32);
        RecordSealer sealer = new RecordSealer(secret, RecordFormat.PEER_DC_MAX_PLAINTEXT);
        for (int i = 0; i < plaintexts.length; i++, tc++) {
            byte[] record = sealer.seal(plaintexts[i]);
            ObjectNode t = Json.object();
            t.put("tc_id", tc);
            t.put("comment", comments[i]);
            t.put("result", "valid");
            t.put("handshake_hash", Json.hex(hh));
            t.put("traffic_secret", Json.hex(secret));
            t.put("seq", i);
            t.put("plaintext", Json.hex(plaintexts[i]));
            t.put("tag", Json.hex(DataChannelFrame.tag(hh)));
            t.put("record", Json.hex(record));
            t.put("frame", Json.hex(DataChannelFrame.encode(DataChannelFrame.tag(hh), record)));
            tests.add(t);
        }
        // Invalid: frames the codec refuses by length alone.
        Object[][] bad = {
            {new byte[0], "MALFORMED_MESSAGE", "empty frame"},
            {Arrays.copyOf(hh, 8), "MALFORMED_MESSAGE", "a tag and no record"},
            {
                new byte[DataChannelFrame.MAX_FRAME + 1],
                "RECORD_TOO_LARGE",
                "one byte over the largest frame"
            },
        };
        for (Object[] b : bad) {
            ObjectNode t = Json.object();
            t.put("tc_id", tc++);
            t.put("comment", (String) b[2]);
            t.put("result", "invalid");
            t.put("frame", Json.hex((byte[]) b[0]));
            t.put("expect", (String) b[1]);
            tests.add(t);
        }
        return Json.document(
                "data-channel",
                "Peer records on a data channel (spec/data-channel.md §2): frame = tag || record, tag = handshake_hash[0:8]. Valid: seal each plaintext in order from seq 0 under traffic_secret (peer channel), frame it, and parse the frame back; open the record. Invalid: the frame is refused with `expect`.",
                tests);
    }

    /** n bytes 0, 1, ..., 255, 0, 1, ... (also FileChunkVectors') */
    static byte[] counting(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) i;
        }
        return b;
    }

    public static List<String> verify(JsonNode doc) {
        // Records are sealed in order: one sealer and one opener over the valid tests.
        RecordSealer[] sealer = {null};
        RecordOpener[] opener = {null};
        return VectorChecks.each(
                doc,
                t -> {
                    if (t.get("seq").asLong() == 0) {
                        sealer[0] =
                                new RecordSealer(
                                        Json.unhex(t, "traffic_secret"),
                                        RecordFormat.PEER_DC_MAX_PLAINTEXT);
                        opener[0] =
                                new RecordOpener(
                                        Json.unhex(t, "traffic_secret"),
                                        RecordFormat.PEER_DC_MAX_PLAINTEXT);
                    }
                    byte[] tag = DataChannelFrame.tag(Json.unhex(t, "handshake_hash"));
                    if (!Arrays.equals(tag, Json.unhex(t, "tag"))) return "tag differs";
                    byte[] record = sealer[0].seal(Json.unhex(t, "plaintext"));
                    if (!Arrays.equals(record, Json.unhex(t, "record"))) return "record differs";
                    byte[] frame = Json.unhex(t, "frame");
                    if (!Arrays.equals(DataChannelFrame.encode(tag, record), frame))
                        return "frame differs";
                    if (!Arrays.equals(DataChannelFrame.tagOf(frame), tag))
                        return "parsed tag differs";
                    byte[] parsed = DataChannelFrame.recordOf(frame);
                    if (!Arrays.equals(parsed, record)) return "parsed record differs";
                    if (!Arrays.equals(opener[0].open(parsed), Json.unhex(t, "plaintext")))
                        return "opened plaintext differs";
                    return null;
                },
                t ->
                        Mutate.expect(
                                t.get("expect").asText(),
                                () -> DataChannelFrame.recordOf(Json.unhex(t, "frame"))));
    }
}
