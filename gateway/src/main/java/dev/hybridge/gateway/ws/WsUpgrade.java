package dev.hybridge.gateway.ws;

import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.HttpPrologue;
import io.helidon.http.Method;
import io.helidon.http.RequestException;
import io.helidon.http.WritableHeaders;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.http1.spi.Http1Upgrader;
import io.helidon.webserver.spi.ServerConnection;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The HTTP/1.1 upgrade to a WebSocket at {@code /ws} (RFC 6455 §4.2), plugged into Helidon's
 * HTTP/1 connection in place of its WebSocket module (see {@link WsSocket} for why). A request
 * it declines (another path, not GET, a foreign Origin) falls through to ordinary routing, which
 * answers it with a status (WebRoutes).
 */
public final class WsUpgrade implements Http1Upgrader {
    static final HeaderName KEY = HeaderNames.create("Sec-WebSocket-Key");
    /** The version header, and the one version spoken here (RFC 6455 §4.1); a 426 names it too. */
    public static final HeaderName VERSION = HeaderNames.create("Sec-WebSocket-Version");
    public static final String VERSION_13 = "13";
    private static final byte[] GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11".getBytes(StandardCharsets.US_ASCII);

    private final String path;
    private final Supplier<Connection> connections;
    private final int maxMessageBytes;

    public WsUpgrade(String path, Supplier<Connection> connections, int maxMessageBytes) {
        this.path = path;
        this.connections = connections;
        this.maxMessageBytes = maxMessageBytes;
    }

    @Override
    public String supportedProtocol() {
        return "websocket";
    }

    @Override
    public ServerConnection upgrade(ConnectionContext ctx, HttpPrologue prologue, WritableHeaders<?> headers) {
        if (!prologue.method().equals(Method.GET) || !prologue.uriPath().path().equals(path)) {
            return null;
        }
        Optional<String> key = headers.first(KEY);
        if (key.isEmpty() || !headers.first(VERSION).map(VERSION_13::equals).orElse(false)) {
            return null; // WebRoutes answers 426 with the version we speak
        }
        String accept = accept(key.get());
        Connection connection = connections.get();
        if (!connection.acceptUpgrade(headers)) {
            return null;
        }
        String response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: " + accept + "\r\n\r\n";
        WsSocket socket = new WsSocket(ctx, connection, maxMessageBytes);
        byte[] r = response.getBytes(StandardCharsets.US_ASCII);
        socket.write(r, r.length, false);
        return socket;
    }

    /** The Sec-WebSocket-Accept value; a key that is not 16 bytes in base64 is a bad request. */
    static String accept(String key) {
        byte[] nonce;
        try {
            nonce = Base64.getDecoder().decode(key.trim());
        } catch (IllegalArgumentException e) {
            nonce = new byte[0];
        }
        if (nonce.length != 16) {
            throw RequestException.builder()
                    .type(DirectHandler.EventType.BAD_REQUEST)
                    .message("Invalid Sec-WebSocket-Key header")
                    .build();
        }
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            sha1.update(key.trim().getBytes(StandardCharsets.US_ASCII));
            return Base64.getEncoder().encodeToString(sha1.digest(GUID));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has SHA-1", e);
        }
    }
}
