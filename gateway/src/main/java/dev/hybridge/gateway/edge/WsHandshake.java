package dev.hybridge.gateway.edge;

import dev.hybridge.gateway.ws.OriginPolicy;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Optional;

/**
 * The server's checks of an opening handshake (RFC 6455 §4.2.1), in the order the RFC lists
 * them, and the 101 response (§4.2.2). Each failure is an {@link HttpRefusal} with its status:
 * a request that is not an upgrade at all gets 426 naming the version we speak; a broken or
 * ambiguous one (a missing token, a second Host, key or version header) gets 400; a foreign
 * Origin gets 403 (§10.2). Duplicates are refused rather than resolved by taking the first,
 * because a proxy in front may have taken the other one.
 */
final class WsHandshake {
    private WsHandshake() {}

    static final String VERSION = "13";
    private static final byte[] GUID =
            "258EAFA5-E914-47DA-95CA-C5AB0DC85B11".getBytes(StandardCharsets.US_ASCII);
    private static final String[] VERSION_HEADER = {"Sec-WebSocket-Version: " + VERSION};

    /** Checks {@code head} (its path is the WebSocket endpoint); returns the 101 response bytes. */
    static byte[] accept(RequestHead head, OriginPolicy origins) throws HttpRefusal {
        if (!head.method().equals("GET")) { // §4.2.1 (1)
            throw new HttpRefusal(
                    405, "the WebSocket endpoint takes GET upgrades only", "Allow: GET");
        }
        if (!head.version().equals("HTTP/1.1")) {
            throw new HttpRefusal(400, "a WebSocket upgrade needs HTTP/1.1");
        }
        Optional<String> host = head.single("Host"); // (2)
        Optional<String> origin = head.single("Origin"); // (7)
        Optional<String> key = head.single("Sec-WebSocket-Key"); // (5)
        Optional<String> version = head.single("Sec-WebSocket-Version"); // (6)
        head.single("Upgrade");
        boolean upgrade = head.hasToken("Upgrade", "websocket"); // (3)
        boolean connection = head.hasToken("Connection", "Upgrade"); // (4)
        if (!upgrade && head.all("Upgrade").isEmpty() && key.isEmpty()) {
            // a plain GET of the endpoint, not an upgrade: say what it takes (§4.4)
            throw new HttpRefusal(
                    426,
                    "WebSocket only",
                    "Upgrade: websocket",
                    "Connection: Upgrade",
                    VERSION_HEADER[0]);
        }
        if (host.isEmpty() || host.get().isEmpty()) {
            throw new HttpRefusal(400, "missing Host header");
        }
        if (!upgrade) {
            throw new HttpRefusal(400, "the Upgrade header must name websocket");
        }
        if (!connection) {
            throw new HttpRefusal(400, "the Connection header must name Upgrade");
        }
        if (version.isEmpty() || !version.get().equals(VERSION)) {
            throw new HttpRefusal(426, "unsupported WebSocket version", VERSION_HEADER);
        }
        if (key.isEmpty() || !isKey(key.get())) {
            throw new HttpRefusal(400, "Sec-WebSocket-Key must be 16 bytes in base64");
        }
        if (!origins.accepts(origin, host)) {
            throw new HttpRefusal(403, "origin not allowed");
        }
        return ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Accept: "
                        + acceptValue(key.get())
                        + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** §4.1: the key is the base64 of 16 bytes: 24 characters, padded. */
    static boolean isKey(String key) {
        if (key.length() != 24 || !key.endsWith("==")) {
            return false;
        }
        try {
            return Base64.getDecoder().decode(key).length == 16;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** §4.2.2 (5.4): base64(SHA-1(key + GUID)). */
    static String acceptValue(String key) {
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            sha1.update(key.getBytes(StandardCharsets.US_ASCII));
            return Base64.getEncoder().encodeToString(sha1.digest(GUID));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has SHA-1", e);
        }
    }
}
