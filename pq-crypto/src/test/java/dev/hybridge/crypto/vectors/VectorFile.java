package dev.hybridge.crypto.vectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hybridge.crypto.ProtocolException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** One file of test-vectors/: how it is generated and how it is verified. */
public record VectorFile(String name, Generator generator, Verifier verifier) {

    public interface Generator {
        ObjectNode generate() throws ProtocolException;
    }

    public interface Verifier {
        List<String> verify(JsonNode doc);
    }

    /** Every file of test-vectors/, in the order the README lists them. */
    public static final List<VectorFile> ALL =
            List.of(
                    new VectorFile(
                            RoomSecretVectors.FILE,
                            RoomSecretVectors::generate,
                            RoomSecretVectors::verify),
                    new VectorFile(HopVectors.FILE, HopVectors::generate, HopVectors::verify),
                    new VectorFile(
                            RecordVectors.FILE, RecordVectors::generate, RecordVectors::verify),
                    new VectorFile(PeerVectors.FILE, PeerVectors::generate, PeerVectors::verify),
                    new VectorFile(CodeVectors.FILE, CodeVectors::generate, CodeVectors::verify),
                    new VectorFile(
                            "room-messages.json",
                            dev.hybridge.protocol.RoomMessageVectors::generate,
                            dev.hybridge.protocol.RoomMessageVectors::verify),
                    new VectorFile(
                            DataChannelVectors.FILE,
                            DataChannelVectors::generate,
                            DataChannelVectors::verify),
                    new VectorFile(
                            FileChunkVectors.FILE,
                            FileChunkVectors::generate,
                            FileChunkVectors::verify),
                    new VectorFile(
                            SFrameVp8Vectors.FILE,
                            SFrameVp8Vectors::generate,
                            SFrameVp8Vectors::verify));

    /** The exact bytes this generator writes (two-space JSON, trailing newline). */
    public byte[] render() throws ProtocolException, IOException {
        return (Json.WRITER.writeValueAsString(generator.generate()) + "\n")
                .getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Verifies the file in {@code dir}: every vector passes and the count is non-zero.
     *
     * @return failures, empty when the file passes
     */
    public List<String> verifyIn(Path dir) throws IOException {
        JsonNode doc = Json.MAPPER.readTree(Files.readAllBytes(dir.resolve(name)));
        List<String> failures = new ArrayList<>();
        JsonNode tests = doc.get("tests");
        if (tests == null || tests.isEmpty()) {
            failures.add(name + ": no vectors loaded");
            return failures;
        }
        if (doc.get("number_of_tests").asInt() != tests.size()) {
            failures.add(name + ": number_of_tests does not match");
        }
        for (String f : verifier.verify(doc)) {
            failures.add(name + ": " + f);
        }
        return failures;
    }
}
