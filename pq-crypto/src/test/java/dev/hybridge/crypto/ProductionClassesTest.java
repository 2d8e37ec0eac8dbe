package dev.hybridge.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hybridge.crypto.cli.Cli;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What pq-crypto ships (target/classes, which the gateway's deployable jar carries) holds no test
 * kit: no vector generator, no vectors package, no {@code ForTestingOnly} class or member. Those
 * live in pq-crypto's test-jar. The gateway's ShadedJarIT checks the same names in the jar itself.
 */
class ProductionClassesTest {
    /** A class of the test kit, by its entry name (dev/hybridge/.../X.class). */
    static final Pattern TEST_KIT_CLASS =
            Pattern.compile(
                    "dev/hybridge/(.*ForTestingOnly.*|(.*/)?vectors/.*|.*Vectors(\\$.*)?\\.class)");

    @Test
    void mainClassesHoldNoGeneratorAndNoTestingOnlyHook() throws Exception {
        Path classes =
                Path.of(Cli.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        assertTrue(
                Files.isDirectory(classes),
                "pq-crypto's main classes should be a directory: " + classes);
        List<String> found = new ArrayList<>();
        List<String> offending = new ArrayList<>();
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                String entry = classes.relativize(p).toString().replace('\\', '/');
                found.add(entry);
                if (TEST_KIT_CLASS.matcher(entry).matches()) {
                    offending.add(entry);
                }
                // Member names too: a ForTestingOnly method or field is in the constant pool.
                if (new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1)
                        .contains("ForTestingOnly")) {
                    offending.add(entry + " (a member named ...ForTestingOnly)");
                }
            }
        }
        assertTrue(
                found.contains("dev/hybridge/crypto/cli/Cli.class"),
                "scanned nothing useful: " + found.size() + " classes");
        assertTrue(found.contains("dev/hybridge/crypto/handshake/HopClient.class"));
        assertEquals(
                List.of(),
                offending,
                "test-kit code in pq-crypto's main classes: move it to src/test (the test-jar)");
    }

    @Test
    void thePatternCatchesWhatItShould() {
        for (String kit :
                List.of(
                        "dev/hybridge/crypto/vectors/HopVectors.class",
                        "dev/hybridge/crypto/vectors/Json.class",
                        "dev/hybridge/protocol/RoomMessageVectors.class",
                        "dev/hybridge/protocol/RoomMessageVectors$1.class",
                        "dev/hybridge/crypto/FooForTestingOnly.class")) {
            assertTrue(TEST_KIT_CLASS.matcher(kit).matches(), kit);
        }
        for (String prod :
                List.of(
                        "dev/hybridge/crypto/cli/Cli.class",
                        "dev/hybridge/protocol/RoomCodec.class",
                        "dev/hybridge/crypto/kdf/Trace.class",
                        "com/example/vectors/Foo.class")) {
            assertTrue(!TEST_KIT_CLASS.matcher(prod).matches(), prod);
        }
    }
}
