package dev.hybridge.crypto.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Assumptions;

/**
 * Access to the published test vectors in {@code ../shared/vectors} (see its SOURCES.md). The
 * vectors are never copied into this repository.
 *
 * <p>Where they are: the system property {@value #PROPERTY} (surefire sets it to
 * {@code <root>/../shared}); failing that, {@code ../shared} relative to the repository root or
 * to a module directory. If none of these holds a {@code vectors} directory the calling test is
 * <em>skipped</em> (a JUnit assumption) with a loud banner on stderr, so a run without the
 * vectors cannot pass for a run with them. If the directory exists but a file is missing, the
 * test <em>fails</em>: that is a broken checkout, not an absent one.
 */
public final class SharedVectors {
    private SharedVectors() {}

    /** System property naming the shared directory (the one that contains {@code vectors/}). */
    public static final String PROPERTY = "hybridge.shared.dir";

    /** Printed to stderr whenever a test is skipped for want of the vectors. */
    public static final String SKIP_BANNER =
            "!!! SKIPPED: ../shared/vectors not found — published-vector tests did not run !!!";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HexFormat HEX = HexFormat.of();
    private static volatile Path resolved; // the vectors directory once found
    private static volatile boolean announced;

    // ---------------------------------------------------------------- locating the vectors

    /** The candidate shared directories, in the order they are tried. */
    static List<Path> candidates() {
        List<Path> out = new ArrayList<>();
        String prop = System.getProperty(PROPERTY);
        if (prop != null && !prop.isBlank()) {
            out.add(Path.of(prop));
        }
        Path cwd = Path.of("").toAbsolutePath();
        out.add(cwd.resolve("../shared")); // run from the repository root
        out.add(cwd.resolve("../../shared")); // run from a module directory (surefire's default)
        return out;
    }

    /**
     * The {@code vectors} directory. Aborts (skips) the calling test, with {@link #SKIP_BANNER}
     * on stderr, if it cannot be found.
     */
    public static Path vectorsDir() {
        Path dir = resolved;
        if (dir != null) {
            return dir;
        }
        List<Path> tried = candidates();
        for (Path c : tried) {
            Path v = c.resolve("vectors").normalize();
            if (Files.isDirectory(v)) {
                resolved = v;
                if (!announced) {
                    announced = true;
                    System.err.println("published vectors: " + v);
                }
                return v;
            }
        }
        System.err.println();
        System.err.println(SKIP_BANNER);
        System.err.println(
                "!!! looked in: "
                        + tried.stream()
                                .map(p -> p.resolve("vectors").normalize().toString())
                                .toList()
                        + " (set -D"
                        + PROPERTY
                        + "=<dir containing vectors/>) !!!");
        System.err.println();
        Assumptions.abort(SKIP_BANNER);
        throw new AssertionError("unreachable");
    }

    /** A file under the vectors directory; fails (not skips) if the directory exists but the file does not. */
    public static Path file(String relative) {
        Path p = vectorsDir().resolve(relative);
        if (!Files.isRegularFile(p)) {
            fail(
                    "published vector file missing: "
                            + p
                            + " (the vectors directory exists, so the checkout of ../shared is incomplete)");
        }
        return p;
    }

    // ---------------------------------------------------------------- loading

    /** Parses a JSON vector file. */
    public static JsonNode json(String relative) {
        Path p = file(relative);
        try {
            return JSON.readTree(p.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot parse " + p, e);
        }
    }

    /** The lines of a text file (transparently gunzipped if the name ends in .gz). */
    public static List<String> lines(String relative) {
        Path p = file(relative);
        try (InputStream raw = Files.newInputStream(p);
                InputStream in = relative.endsWith(".gz") ? new GZIPInputStream(raw) : raw;
                BufferedReader r =
                        new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            return r.lines().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + p, e);
        }
    }

    /**
     * Parses a NIST-style ("KEY = value") response file into records. A record starts at each
     * {@code COUNT} line; {@code #} lines and blank lines are ignored; an empty value is "".
     */
    public static List<Map<String, String>> nistRecords(String relative) {
        List<Map<String, String>> out = new ArrayList<>();
        Map<String, String> cur = null;
        for (String raw : lines(relative)) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#") || line.startsWith("[")) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq < 0) {
                fail(relative + ": unparseable line: " + line);
            }
            String key = line.substring(0, eq).strip();
            String value = line.substring(eq + 1).strip();
            if (key.equals("COUNT")) {
                cur = new LinkedHashMap<>();
                out.add(cur);
            } else if (cur == null) {
                fail(relative + ": '" + key + "' before the first COUNT");
            }
            cur.put(key, value);
        }
        return out;
    }

    // ---------------------------------------------------------------- hex

    public static byte[] hex(String s) {
        return HEX.parseHex(s);
    }

    public static String hex(byte[] b) {
        return HEX.formatHex(b);
    }

    /** A hex field of a JSON object; a missing field is an error, never an empty array. */
    public static byte[] hex(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual()) {
            throw new AssertionError(
                    "vector has no hex field '" + field + "': " + abbreviate(node.toString()));
        }
        return hex(v.asText());
    }

    /** A field of a NIST-style record; a missing key is an error. */
    public static String field(Map<String, String> record, String key) {
        String v = record.get(key);
        if (v == null) {
            throw new AssertionError("record has no '" + key + "': " + record.keySet());
        }
        return v;
    }

    /** Compares byte strings, reporting a mismatch in hex. */
    public static void assertHex(byte[] expected, byte[] actual, String what) {
        if (!java.util.Arrays.equals(expected, actual)) {
            throw new AssertionError(
                    what
                            + " mismatch: expected "
                            + abbreviate(hex(expected))
                            + ", got "
                            + (actual == null ? "null" : abbreviate(hex(actual))));
        }
    }

    static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 64) + "…(" + s.length() + " chars)";
    }

    // ---------------------------------------------------------------- Wycheproof

    /** One Wycheproof test with its group. */
    public record WycheproofCase(JsonNode group, JsonNode test) {
        public int tcId() {
            return test.path("tcId").asInt(-1);
        }

        /** "valid", "invalid" or "acceptable" (anything else is reported by the caller). */
        public String result() {
            return test.path("result").asText("");
        }

        public String comment() {
            return test.path("comment").asText("");
        }

        public Set<String> flags() {
            Set<String> out = new LinkedHashSet<>();
            test.path("flags").forEach(f -> out.add(f.asText()));
            return out;
        }

        public byte[] hex(String field) {
            return SharedVectors.hex(test, field);
        }

        /** An integer field of the group (e.g. keySize). */
        public int groupInt(String field) {
            JsonNode v = group.get(field);
            if (v == null || !v.canConvertToInt()) {
                throw new AssertionError("group has no integer '" + field + "'");
            }
            return v.asInt();
        }

        /** "tcId 12 (comment) [flags] result" — the id a failure is reported under. */
        public String id() {
            String c = comment();
            return "tcId "
                    + tcId()
                    + (c.isEmpty() ? "" : " (" + c + ")")
                    + " "
                    + flags()
                    + " "
                    + result();
        }
    }

    /**
     * Loads a Wycheproof file, checks its {@code schema} and that {@code numberOfTests} equals the
     * number of tests actually present, and returns the tests in file order.
     */
    public static List<WycheproofCase> wycheproof(String relative, String schema) {
        JsonNode root = json(relative);
        assertEquals(schema, root.path("schema").asText(), relative + ": unexpected schema");
        List<WycheproofCase> out = new ArrayList<>();
        for (JsonNode g : root.path("testGroups")) {
            for (JsonNode t : g.path("tests")) {
                out.add(new WycheproofCase(g, t));
            }
        }
        assertEquals(
                root.path("numberOfTests").asInt(-1),
                out.size(),
                relative + ": numberOfTests disagrees with the tests present");
        return out;
    }
}
