import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Build step for the self-contained jar (run by Maven as a single-file program: {@code java
 * MergeHelidonMetadata.java OUT_DIR CLASSES_DIR CLASSPATH_FILE}).
 *
 * <p>Helidon 4.2 finds its services through per-module files under {@code META-INF/helidon/}
 * (the service registry replaces ServiceLoader for much of the runtime). In a shaded jar only one
 * copy of each name would survive, so config mappers, media support or the WebSocket upgrade
 * could silently go missing. Helidon's own shade transformer (helidon-shade-extensions) is not
 * served by the registry these machines reach, so this merges the files the same way:
 * JSON arrays are concatenated element-wise into one array, line files are appended. The shade
 * plugin then excludes the originals and includes these merged copies.
 */
public final class MergeHelidonMetadata {
    /** JSON documents that are one top-level array per module. */
    static final List<String> JSON_ARRAYS = List.of(
            "META-INF/helidon/service-registry.json",
            "META-INF/helidon/config-metadata.json");
    /** Line-oriented files: concatenation is their merge. */
    static final List<String> LINE_FILES = List.of("META-INF/helidon/service.loader");

    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            System.err.println("usage: MergeHelidonMetadata OUT_DIR CLASSES_DIR CLASSPATH_FILE");
            System.exit(2);
        }
        Path out = Path.of(args[0]);
        List<Path> roots = new ArrayList<>();
        roots.add(Path.of(args[1]));
        for (String entry : Files.readString(Path.of(args[2])).trim().split(java.io.File.pathSeparator)) {
            if (!entry.isBlank()) {
                roots.add(Path.of(entry));
            }
        }
        for (String name : JSON_ARRAYS) {
            List<String> elements = new ArrayList<>();
            for (Path root : roots) {
                String doc = read(root, name);
                if (doc == null) {
                    continue;
                }
                String t = doc.strip();
                if (!t.startsWith("[") || !t.endsWith("]")) {
                    throw new IllegalStateException(name + " in " + root + " is not a JSON array");
                }
                String inner = t.substring(1, t.length() - 1).strip();
                if (!inner.isEmpty()) {
                    elements.add(inner);
                }
            }
            write(out.resolve(name), "[" + String.join(",", elements) + "]");
            System.out.println("merged " + name + " from " + elements.size() + " modules");
        }
        for (String name : LINE_FILES) {
            StringBuilder sb = new StringBuilder();
            int n = 0;
            for (Path root : roots) {
                String doc = read(root, name);
                if (doc != null) {
                    sb.append(doc.endsWith("\n") ? doc : doc + "\n");
                    n++;
                }
            }
            write(out.resolve(name), sb.toString());
            System.out.println("merged " + name + " from " + n + " modules");
        }
    }

    /** The resource {@code name} from a classes directory or a jar, or null. */
    private static String read(Path root, String name) throws IOException {
        if (Files.isDirectory(root)) {
            Path p = root.resolve(name);
            return Files.isRegularFile(p) ? Files.readString(p, StandardCharsets.UTF_8) : null;
        }
        if (!Files.isRegularFile(root) || !root.toString().endsWith(".jar")) {
            return null;
        }
        try (ZipFile zip = new ZipFile(root.toFile())) {
            ZipEntry e = zip.getEntry(name);
            if (e == null) {
                return null;
            }
            try (InputStream in = zip.getInputStream(e)) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        }
    }

    private static void write(Path file, String content) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, content, StandardCharsets.UTF_8);
    }
}
