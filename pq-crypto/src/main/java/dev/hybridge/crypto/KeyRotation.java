package dev.hybridge.crypto;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Rotation of the gateway's static key (README, "Self-host"; spec/hop-handshake.md §3).
 *
 * <p>{@link #rotate} replaces {@code KEYFILE} with a fresh key and keeps the old seed as
 * {@code KEYFILE.retired-<first 16 hex of its fingerprint>} (mode 600, a backup for an operator
 * who must roll back: move it over {@code KEYFILE} again). It records the old fingerprint and
 * the moment of retirement in {@code KEYFILE.retired.json}, public data that the gateway
 * announces in {@code /.well-known/hybridge.json} so that a client holding a link to the old key
 * can say "this link uses the gateway's previous key" instead of "key mismatch".
 *
 * <p>At every instant {@code KEYFILE} holds a valid key: the new key is written to a temporary
 * file and renamed over the old one, after the old seed is safely copied. A crash leaves either
 * the old key in place or the new one.
 */
public final class KeyRotation {
    /** Suffix of the public list of retired keys beside the key file. */
    public static final String RETIRED_LIST_SUFFIX = ".retired.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    private KeyRotation() {}

    /** One retired key as the gateway announces it: hex fingerprint and when it was retired. */
    public record Retired(String fingerprintHex, Instant retiredAt) {}

    /** What {@link #rotate} did. */
    public record Result(
            byte[] oldFingerprint, XWingKeyPair newKey, Path retiredKeyFile, Instant retiredAt) {}

    /** The public list beside {@code keyFile}. */
    public static Path retiredList(Path keyFile) {
        Path abs = keyFile.toAbsolutePath();
        return abs.resolveSibling(abs.getFileName() + RETIRED_LIST_SUFFIX);
    }

    /** Replaces {@code keyFile} (which must exist and be valid) with a fresh key; see the class comment. */
    public static Result rotate(Path keyFile, SecureRandom rng, Clock clock) throws IOException {
        Path key = keyFile.toAbsolutePath();
        XWingKeyPair old = KeyFile.load(key); // checks owner-only permissions and the length
        byte[] oldFp = old.fingerprint();
        String oldHex = Fingerprint.toHex(oldFp);
        Path retiredFile =
                key.resolveSibling(key.getFileName() + ".retired-" + oldHex.substring(0, 16));
        if (Files.exists(retiredFile, LinkOption.NOFOLLOW_LINKS)) {
            throw new IllegalStateException(
                    retiredFile + " already exists; this key was retired before");
        }
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        List<Retired> list = new ArrayList<>(readRetired(key));

        // 1. the old seed, copied to its owner-only backup
        byte[] seed = old.exportSecretSeed();
        try {
            writeOwnerOnly(retiredFile, seed);
        } finally {
            Arrays.fill(seed, (byte) 0);
        }
        // 2. the new key beside it, then renamed over the key file in one step
        Path fresh = key.resolveSibling(key.getFileName() + ".new");
        Files.deleteIfExists(fresh); // a leftover of a rotation that crashed before its rename
        XWingKeyPair next = KeyFile.create(fresh, rng);
        move(fresh, key);
        // 3. the public announcement
        list.add(new Retired(oldHex, now));
        writeRetired(key, list);
        return new Result(oldFp, next, retiredFile, now);
    }

    /** The retired keys recorded beside {@code keyFile}, oldest first; empty if there is no list. */
    public static List<Retired> readRetired(Path keyFile) throws IOException {
        Path file = retiredList(keyFile);
        if (!Files.exists(file)) {
            return List.of();
        }
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalStateException(file + " is not valid JSON: " + e.getMessage());
        }
        JsonNode arr = root == null ? null : root.get("retired");
        if (arr == null || !arr.isArray()) {
            throw new IllegalStateException(file + ": expected {\"retired\": [...]}");
        }
        List<Retired> out = new ArrayList<>();
        for (JsonNode n : arr) {
            String fp = n.path("fingerprint").asText("");
            String at = n.path("retired_at").asText("");
            if (!fp.matches("[0-9a-f]{64}")) {
                throw new IllegalStateException(
                        file
                                + ": fingerprint must be 64 lowercase hex characters, got '"
                                + fp
                                + "'");
            }
            try {
                out.add(new Retired(fp, Instant.parse(at)));
            } catch (DateTimeParseException e) {
                throw new IllegalStateException(
                        file + ": retired_at must be an ISO-8601 instant, got '" + at + "'");
            }
        }
        return List.copyOf(out);
    }

    /**
     * Appends {@code list} to {@code arr} as {@code {"fingerprint": hex, "retired_at": ISO-8601}}
     * objects: the shape of the list file and of "retired" in /.well-known/hybridge.json.
     */
    public static void addTo(ArrayNode arr, List<Retired> list) {
        for (Retired r : list) {
            arr.addObject()
                    .put("fingerprint", r.fingerprintHex())
                    .put("retired_at", r.retiredAt().toString());
        }
    }

    private static void writeRetired(Path keyFile, List<Retired> list) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        addTo(root.putArray("retired"), list);
        Path file = retiredList(keyFile);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
        move(tmp, file);
    }

    private static void writeOwnerOnly(Path file, byte[] content) throws IOException {
        boolean posix =
                Files.getFileStore(file.getParent())
                        .supportsFileAttributeView(PosixFileAttributeView.class);
        try {
            KeyFile.createOwnerOnly(file, content, posix);
        } catch (FileAlreadyExistsException e) {
            throw new IllegalStateException(file + " already exists");
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(
                    from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
