package dev.hybridge.crypto.vectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hybridge.crypto.ProtocolException;
import dev.hybridge.crypto.record.DeterministicRecords;
import dev.hybridge.crypto.record.EpochSecrets;
import dev.hybridge.crypto.record.RecordFormat;
import dev.hybridge.crypto.record.RecordOpener;
import dev.hybridge.crypto.record.RecordSealer;
import java.util.Arrays;
import java.util.List;

/**
 * test-vectors/record-layer.json: records across epoch boundaries with the epoch keys (RK1-RK3),
 * and delivery sequences that must fail at a given record with a given error.
 */
public final class RecordVectors {
    public static final String FILE = "record-layer.json";

    private RecordVectors() {}

    public static ObjectNode generate() throws ProtocolException {
        ArrayNode tests = Json.array();
        int tc = 1;
        long[] starts = {0, RecordFormat.REKEY_INTERVAL - 2, 3 * RecordFormat.REKEY_INTERVAL - 1};
        for (long start : starts) {
            tests.add(valid(tc, start));
            tc++;
        }
        byte[] secret = DeterministicInputs.bytes(FILE, 0, "traffic_secret", 32);
        byte[] otherSecret = DeterministicInputs.bytes(FILE, 0, "other_traffic_secret", 32);
        RecordSealer s = new RecordSealer(secret, RecordFormat.HOP_MAX_PLAINTEXT);
        byte[] r0 = s.seal(new byte[] {'a'});
        byte[] r1 = s.seal(new byte[] {'b'});
        byte[] foreign =
                new RecordSealer(otherSecret, RecordFormat.HOP_MAX_PLAINTEXT)
                        .seal(new byte[] {'a'});
        byte[] tooLarge = new byte[RecordFormat.maxRecord(RecordFormat.HOP_MAX_PLAINTEXT) + 1];
        tooLarge[0] = RecordFormat.TYPE;
        byte[] peerTooLarge =
                new RecordSealer(secret, RecordFormat.HOP_MAX_PLAINTEXT)
                        .seal(new byte[RecordFormat.PEER_MAX_PLAINTEXT + 1]);
        byte[] atLimit = new byte[RecordFormat.MIN_RECORD];
        atLimit[0] = RecordFormat.TYPE;
        dev.hybridge.crypto.internal.Bytes.putU64(atLimit, 1, RecordFormat.MAX_RECORDS);
        Object[][] negatives = {
            {
                new byte[][] {peerTooLarge},
                "RECORD_TOO_LARGE",
                "peer channel: one byte over the peer maximum",
                RecordFormat.PEER_MAX_PLAINTEXT,
                0L
            },
            {
                new byte[][] {atLimit},
                "RECORD_LIMIT_REACHED",
                "seq 2^32: past the last record a direction may carry",
                RecordFormat.HOP_MAX_PLAINTEXT,
                RecordFormat.MAX_RECORDS
            },
            {new byte[][] {r0, r0}, "RECORD_REPLAYED", "record 0 delivered twice"},
            {new byte[][] {r1}, "RECORD_OUT_OF_ORDER", "record 1 before record 0"},
            {new byte[][] {r0, r1, r0}, "RECORD_REPLAYED", "record 0 replayed after record 1"},
            {
                new byte[][] {Mutate.flipBit(r0, 9, 0)},
                "RECORD_AUTH_FAILED",
                "bit flip in ciphertext"
            },
            {
                new byte[][] {Mutate.flipBit(r0, r0.length - 1, 7)},
                "RECORD_AUTH_FAILED",
                "bit flip in tag"
            },
            {
                new byte[][] {Mutate.flipBit(r0, 8, 0)},
                "RECORD_OUT_OF_ORDER",
                "bit flip in seq (checked before decryption)"
            },
            {
                new byte[][] {Mutate.set(r0, 0, 0x18)},
                "UNEXPECTED_MESSAGE",
                "wrong record type byte"
            },
            {
                new byte[][] {Mutate.truncate(r0, r0.length - 1)},
                "RECORD_AUTH_FAILED",
                "tag truncated by one byte"
            },
            {
                new byte[][] {Mutate.truncate(r0, RecordFormat.MIN_RECORD - 1)},
                "MALFORMED_MESSAGE",
                "shorter than header and tag"
            },
            {new byte[][] {new byte[0]}, "MALFORMED_MESSAGE", "empty record"},
            {
                new byte[][] {foreign},
                "RECORD_AUTH_FAILED",
                "record sealed under another traffic secret"
            },
            {new byte[][] {tooLarge}, "RECORD_TOO_LARGE", "one byte over the maximum record size"},
        };
        for (Object[] n : negatives) {
            byte[][] deliver = (byte[][]) n[0];
            ObjectNode t = Json.object();
            t.put("tc_id", tc++);
            t.put("comment", (String) n[2]);
            t.put("result", "invalid");
            t.put("traffic_secret", Json.hex(secret));
            t.put("max_plaintext", n.length > 3 ? (Integer) n[3] : RecordFormat.HOP_MAX_PLAINTEXT);
            t.put("start_seq", n.length > 3 ? (Long) n[4] : 0L);
            ArrayNode d = Json.array();
            for (byte[] r : deliver) {
                d.add(Json.hex(r));
            }
            t.set("deliver", d);
            t.put("fails_at", deliver.length - 1);
            t.put("expect", (String) n[1]);
            tests.add(t);
        }
        return Json.document(
                "record-layer",
                "Record layer (spec/record-layer.md): valid: records sealed from start_seq on, crossing epoch "
                        + "boundaries, with each epoch's keys; invalid: records delivered in order to a fresh opener at "
                        + "start_seq, all before fails_at open, the one at fails_at fails with expect.",
                tests);
    }

    private static ObjectNode valid(int tcId, long startSeq) throws ProtocolException {
        byte[] secret = DeterministicInputs.bytes(FILE, tcId, "traffic_secret", 32);
        RecordSealer sealer =
                DeterministicRecords.sealerAt(secret, RecordFormat.HOP_MAX_PLAINTEXT, startSeq);
        ObjectNode t = Json.object();
        t.put("tc_id", tcId);
        t.put("comment", "records from seq " + startSeq);
        t.put("result", "valid");
        t.put("traffic_secret", Json.hex(secret));
        t.put("max_plaintext", RecordFormat.HOP_MAX_PLAINTEXT);
        t.put("start_seq", startSeq);
        ArrayNode epochs = Json.array();
        ArrayNode records = Json.array();
        long lastEpoch = -1;
        for (int i = 0; i < 4; i++) {
            long seq = sealer.nextSeq();
            long epoch = seq >>> RecordFormat.EPOCH_SHIFT;
            if (epoch != lastEpoch) {
                EpochSecrets.Epoch e = EpochSecrets.derive(secret, epoch);
                ObjectNode eo = Json.object();
                eo.put("epoch", epoch);
                eo.put("secret", Json.hex(e.secret()));
                eo.put("key", Json.hex(e.key()));
                eo.put("iv", Json.hex(e.iv()));
                epochs.add(eo);
                lastEpoch = epoch;
            }
            byte[] pt = DeterministicInputs.bytes(FILE, tcId, "plaintext/" + i, 1 + i * 40);
            records.add(HopVectors.record("send", seq, pt, sealer.seal(pt)));
        }
        t.set("epochs", epochs);
        t.set("records", records);
        return t;
    }

    public static List<String> verify(JsonNode doc) {
        return VectorChecks.each(doc, RecordVectors::verifyValid, RecordVectors::verifyInvalid);
    }

    private static String verifyValid(JsonNode t) throws ProtocolException {
        byte[] secret = Json.unhex(t, "traffic_secret");
        long start = t.get("start_seq").asLong();
        for (JsonNode e : t.get("epochs")) {
            EpochSecrets.Epoch got = EpochSecrets.derive(secret, e.get("epoch").asLong());
            if (!Arrays.equals(got.secret(), Json.unhex(e, "secret"))
                    || !Arrays.equals(got.key(), Json.unhex(e, "key"))
                    || !Arrays.equals(got.iv(), Json.unhex(e, "iv"))) {
                return "epoch " + e.get("epoch") + " keys differ";
            }
        }
        int max = t.get("max_plaintext").asInt();
        RecordSealer sealer = DeterministicRecords.sealerAt(secret, max, start);
        RecordOpener opener = DeterministicRecords.openerAt(secret, max, start);
        for (JsonNode r : t.get("records")) {
            byte[] pt = Json.unhex(r, "plaintext");
            if (sealer.nextSeq() != r.get("seq").asLong()) return "seq differs";
            byte[] rec = sealer.seal(pt);
            if (!Arrays.equals(rec, Json.unhex(r, "record")))
                return "record differs at seq " + r.get("seq");
            if (!Arrays.equals(opener.open(rec), pt))
                return "record does not open at seq " + r.get("seq");
        }
        return null;
    }

    private static String verifyInvalid(JsonNode t) {
        RecordOpener opener =
                DeterministicRecords.openerAt(
                        Json.unhex(t, "traffic_secret"),
                        t.get("max_plaintext").asInt(),
                        t.get("start_seq").asLong());
        JsonNode deliver = t.get("deliver");
        int failsAt = t.get("fails_at").asInt();
        for (int i = 0; i < failsAt; i++) {
            try {
                opener.open(java.util.HexFormat.of().parseHex(deliver.get(i).asText()));
            } catch (ProtocolException e) {
                return "record " + i + " failed early with " + e.code();
            }
        }
        byte[] last = java.util.HexFormat.of().parseHex(deliver.get(failsAt).asText());
        return Mutate.expect(t.get("expect").asText(), () -> opener.open(last));
    }
}
