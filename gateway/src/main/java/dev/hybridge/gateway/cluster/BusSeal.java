package dev.hybridge.gateway.cluster;

import dev.hybridge.crypto.KeyFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The sealing of every bus message under the cluster key (spec/cluster.md §4): AES-256-GCM under
 * a key per sending node, the nonce a counter, the subject and header authenticated. Not
 * thread-safe for sealing: the caller serialises {@link #seal} (the counter order must be the
 * publish order, which the receivers' replay check relies on).
 */
final class BusSeal {
    static final byte VERSION = 0x01;
    static final int HEADER = 1 + 16 + 8;
    private static final int TAG = 16;

    private final byte[] clusterKey;
    private final byte[] self;
    private final SecretKeySpec selfKey;
    private final Cipher sealer;
    private long counter;
    private final ConcurrentHashMap<String, SecretKeySpec> peerKeys = new ConcurrentHashMap<>();

    /** Replay check: last counter accepted per (sender, subject). */
    private final ConcurrentHashMap<String, Long> lastAccepted = new ConcurrentHashMap<>();

    BusSeal(byte[] clusterKey, byte[] selfNodeId) {
        this.clusterKey = clusterKey.clone();
        this.self = selfNodeId.clone();
        this.selfKey = nodeKey(self);
        try {
            this.sealer = Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** k_route: the key of the rendezvous hash. */
    byte[] routeKey() {
        return hmac(clusterKey, "hybridge/v1/cluster route".getBytes(StandardCharsets.US_ASCII));
    }

    private SecretKeySpec nodeKey(byte[] nodeId) {
        byte[] label = "hybridge/v1/cluster node".getBytes(StandardCharsets.US_ASCII);
        byte[] info = Arrays.copyOf(label, label.length + nodeId.length);
        System.arraycopy(nodeId, 0, info, label.length, nodeId.length);
        return new SecretKeySpec(hmac(clusterKey, info), "AES");
    }

    byte[] seal(String subject, byte[] plaintext) {
        long n = counter++;
        ByteBuffer header = ByteBuffer.allocate(HEADER).put(VERSION).put(self).putLong(n);
        try {
            sealer.init(Cipher.ENCRYPT_MODE, selfKey, new GCMParameterSpec(TAG * 8, nonce(n)));
            sealer.updateAAD(subject.getBytes(StandardCharsets.US_ASCII));
            sealer.updateAAD(header.array());
            byte[] out = new byte[HEADER + plaintext.length + TAG];
            System.arraycopy(header.array(), 0, out, 0, HEADER);
            sealer.doFinal(plaintext, 0, plaintext.length, out, HEADER);
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A message opened: its sender node and plaintext. */
    record Opened(byte[] sender, String senderHex, byte[] plaintext) {}

    /** Opens {@code msg} received on {@code subject}; null if it fails or is a replay. */
    Opened open(String subject, byte[] msg) {
        if (msg == null || msg.length < HEADER + TAG || msg[0] != VERSION) {
            return null;
        }
        byte[] sender = Arrays.copyOfRange(msg, 1, 17);
        long n = ByteBuffer.wrap(msg, 17, 8).getLong();
        String hex = HexFormat.of().formatHex(sender);
        SecretKeySpec k = peerKeys.computeIfAbsent(hex, h -> nodeKey(sender));
        byte[] plain;
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, k, new GCMParameterSpec(TAG * 8, nonce(n)));
            c.updateAAD(subject.getBytes(StandardCharsets.US_ASCII));
            c.updateAAD(msg, 0, HEADER);
            plain = c.doFinal(msg, HEADER, msg.length - HEADER);
        } catch (GeneralSecurityException e) {
            return null;
        }
        String stream = hex + ' ' + subject;
        Long last = lastAccepted.get(stream);
        if (last != null && n <= last) {
            return null;
        }
        lastAccepted.put(stream, n);
        return new Opened(sender, hex, plain);
    }

    /** Forgets a departed node's replay state and key. */
    void forget(String nodeHex) {
        peerKeys.remove(nodeHex);
        lastAccepted.keySet().removeIf(k -> k.startsWith(nodeHex + ' '));
    }

    private static byte[] nonce(long n) {
        return ByteBuffer.allocate(12).putInt(0).putLong(n).array();
    }

    static byte[] hmac(byte[] key, byte[] msg) {
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(new SecretKeySpec(key, "HmacSHA256"));
            return m.doFinal(msg);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Reads the cluster key file: 64 hex digits (surrounding white space ignored), owner-only.
     * Refuses anything else with the reason, so a node never runs with a key the others lack.
     */
    static byte[] loadKey(Path path) throws IOException {
        if (!Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) {
            throw new IllegalStateException(
                    "cluster key file "
                            + path
                            + " is missing or not a regular file: create it on one node with"
                            + " `openssl rand -hex 32 > "
                            + path
                            + " && chmod 600 "
                            + path
                            + "` and copy it to every node");
        }
        KeyFile.requireOwnerOnly(path, "cluster key file");
        String text = Files.readString(path, StandardCharsets.US_ASCII).strip();
        if (!text.matches("[0-9a-fA-F]{64}")) {
            throw new IllegalStateException(
                    "cluster key file " + path + " must hold exactly 64 hex digits (32 bytes)");
        }
        return HexFormat.of().parseHex(text);
    }
}
