package dev.hybridge.crypto.vectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hybridge.crypto.ProtocolException;
import java.util.ArrayList;
import java.util.List;

/** What every vector file shares: the verify loop over valid and invalid tests, and step vectors. */
final class VectorChecks {
    private VectorChecks() {}

    /** One check of one test: null when it passes, else what went wrong. */
    interface Check {
        String run(JsonNode test) throws ProtocolException;
    }

    /**
     * Runs {@code valid} or {@code invalid} on every test by its {@code result}; collects every
     * failure (an exception is a failure too) so one run reports all of them.
     */
    static List<String> each(JsonNode doc, Check valid, Check invalid) {
        List<String> failures = new ArrayList<>();
        for (JsonNode t : doc.get("tests")) {
            String id = "tc " + t.get("tc_id").asInt() + " (" + t.get("comment").asText() + "): ";
            try {
                String f = "valid".equals(t.get("result").asText()) ? valid.run(t) : invalid.run(t);
                if (f != null) {
                    failures.add(id + f);
                }
            } catch (ProtocolException | RuntimeException | AssertionError e) {
                failures.add(id + e);
            }
        }
        return failures;
    }

    /**
     * Appends handshake failure scenarios, each row {step, message bytes, expected code, comment},
     * all on the same inputs; returns the next tc_id.
     */
    static int addStepVectors(ArrayNode tests, int tc, ObjectNode inputs, Object[][] rows) {
        for (Object[] n : rows) {
            ObjectNode t = Json.object();
            t.put("tc_id", tc++);
            t.put("comment", (String) n[3]);
            t.put("result", "invalid");
            t.set("inputs", inputs.deepCopy());
            t.put("step", (String) n[0]);
            t.put("message", Json.hex((byte[]) n[1]));
            t.put("expect", (String) n[2]);
            tests.add(t);
        }
        return tc;
    }
}
