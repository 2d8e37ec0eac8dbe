package dev.hybridge.crypto.vectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Every file in test-vectors/ passes, and the generator reproduces it byte for byte. */
class VectorFilesTest {
    static Path vectorsDir() {
        String p = System.getProperty("hybridge.vectors.dir");
        Path dir = p != null ? Path.of(p) : Path.of("../test-vectors");
        assertTrue(
                Files.isDirectory(dir),
                "test-vectors directory not found at " + dir.toAbsolutePath());
        return dir;
    }

    @TestFactory
    Stream<DynamicTest> everyFilePasses() {
        return VectorFile.ALL.stream()
                .map(
                        f ->
                                DynamicTest.dynamicTest(
                                        f.name(),
                                        () -> {
                                            List<String> failures = f.verifyIn(vectorsDir());
                                            assertEquals(List.of(), failures);
                                            JsonNode doc =
                                                    Json.MAPPER.readTree(
                                                            vectorsDir()
                                                                    .resolve(f.name())
                                                                    .toFile());
                                            System.out.println(
                                                    f.name()
                                                            + ": "
                                                            + doc.get("tests").size()
                                                            + " vectors verified");
                                        }));
    }

    @TestFactory
    Stream<DynamicTest> regenerationIsByteForByte() {
        return VectorFile.ALL.stream()
                .map(
                        f ->
                                DynamicTest.dynamicTest(
                                        f.name(),
                                        () ->
                                                assertArrayEquals(
                                                        Files.readAllBytes(
                                                                vectorsDir().resolve(f.name())),
                                                        f.render(),
                                                        f.name()
                                                                + " differs from what the generator writes: run ./hybridge cli vectors generate test-vectors")));
    }

    @Test
    void noFileIsMissingFromTheRegistry() throws Exception {
        try (Stream<Path> files = Files.list(vectorsDir())) {
            List<String> onDisk =
                    files.map(p -> p.getFileName().toString())
                            .filter(n -> n.endsWith(".json"))
                            .sorted()
                            .toList();
            List<String> known = VectorFile.ALL.stream().map(VectorFile::name).sorted().toList();
            assertEquals(known, onDisk);
        }
    }

    /** The verifier is not a rubber stamp: a changed byte or a changed expectation is caught. */
    @Test
    void tamperedVectorsFail() throws Exception {
        for (VectorFile f : VectorFile.ALL) {
            ObjectNode doc = f.generator().generate();
            for (JsonNode t : doc.get("tests")) {
                ObjectNode test = (ObjectNode) t;
                if (test.has("expect")) {
                    String original = test.get("expect").asText();
                    test.put(
                            "expect",
                            original.equals("MALFORMED_MESSAGE")
                                    ? "UNEXPECTED_MESSAGE"
                                    : "MALFORMED_MESSAGE");
                } else {
                    tamperFirstHex(test);
                }
            }
            List<String> failures = f.verifier().verify(doc);
            assertEquals(
                    doc.get("tests").size(),
                    failures.size(),
                    f.name() + ": every tampered vector must fail: " + failures);
        }
    }

    /** Flips one hex digit in the first output-looking field (messages, records, derived values). */
    private static void tamperFirstHex(ObjectNode test) {
        for (String field :
                List.of(
                        "messages",
                        "records",
                        "room_id",
                        "numbers",
                        "message_hex",
                        "frame",
                        "plaintext")) {
            JsonNode n = test.get(field);
            if (n == null) {
                continue;
            }
            if (n.isTextual()) {
                test.put(field, flip(n.asText()));
                return;
            }
            if (field.equals("numbers")) {
                ((com.fasterxml.jackson.databind.node.ArrayNode) n).set(0, n.get(0).asInt() + 1);
                return;
            }
            if (n.isObject()) {
                String k = n.fieldNames().next();
                ((ObjectNode) n).put(k, flip(n.get(k).asText()));
                return;
            }
            ObjectNode first = (ObjectNode) n.get(0);
            first.put("record", flip(first.get("record").asText()));
            return;
        }
        throw new AssertionError("nothing to tamper in " + test);
    }

    private static String flip(String hex) {
        char c = hex.charAt(hex.length() - 1);
        return hex.substring(0, hex.length() - 1) + (c == '0' ? '1' : '0');
    }

    @Test
    void zeroVectorsIsAFailure(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Files.writeString(tmp.resolve(HopVectors.FILE), "{\"number_of_tests\":0,\"tests\":[]}");
        VectorFile hop =
                VectorFile.ALL.stream()
                        .filter(f -> f.name().equals(HopVectors.FILE))
                        .findFirst()
                        .orElseThrow();
        assertFalse(hop.verifyIn(tmp).isEmpty());
    }
}
