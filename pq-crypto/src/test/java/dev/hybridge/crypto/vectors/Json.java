package dev.hybridge.crypto.vectors;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HexFormat;
import java.util.Map;

/** JSON helpers for the vector files: hex byte strings, snake_case keys, stable formatting. */
public final class Json {
    private Json() {}

    public static final ObjectMapper MAPPER = new ObjectMapper();
    private static final HexFormat HEX = HexFormat.of();

    /** Two-space indent, "\n" line ends on every platform, so regeneration is byte for byte. */
    public static final ObjectWriter WRITER =
            MAPPER.writer(
                    new DefaultPrettyPrinter()
                            .withObjectIndenter(new DefaultIndenter("  ", "\n"))
                            .withArrayIndenter(new DefaultIndenter("  ", "\n")));

    public static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    public static ArrayNode array() {
        return MAPPER.createArrayNode();
    }

    public static String hex(byte[] b) {
        return HEX.formatHex(b);
    }

    public static byte[] unhex(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual()) {
            throw new AssertionError("missing hex field '" + field + "'");
        }
        return HEX.parseHex(v.asText());
    }

    public static ObjectNode hexObject(Map<String, byte[]> values) {
        ObjectNode o = object();
        values.forEach((k, v) -> o.put(k, hex(v)));
        return o;
    }

    /** The top-level document every vector file shares. */
    public static ObjectNode document(String construction, String description, ArrayNode tests) {
        ObjectNode doc = object();
        doc.put("construction", construction);
        doc.put("protocol_version", 1);
        doc.put("description", description);
        doc.put("generator", "pq-crypto: ./hybridge cli vectors generate test-vectors");
        doc.put("number_of_tests", tests.size());
        doc.set("tests", tests);
        return doc;
    }
}
