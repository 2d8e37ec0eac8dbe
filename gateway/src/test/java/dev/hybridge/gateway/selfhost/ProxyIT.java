package dev.hybridge.gateway.selfhost;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hybridge.gateway.testing.JarGateway;
import dev.hybridge.gateway.testing.Peers;
import dev.hybridge.gateway.testing.TestClient;
import dev.hybridge.protocol.RoomError;
import dev.hybridge.protocol.RoomMessage;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The nginx example, deploy/nginx-hybridge.conf, for real: Debian's nginx on loopback with a
 * self-signed certificate (openssl) in front of the shaded jar; a client completes the hop
 * handshake and joins through wss://127.0.0.1:PORT/ws, the gateway's own-origin policy works
 * through the proxy, and trusted-proxies counts connections per real client address. The
 * protections of the file against abusive clients: ProxyEdgeIT.
 */
class ProxyIT {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir static Path dir;
    static JarGateway gw;
    static NginxFront front;
    static int httpPort;

    @BeforeAll
    static void start() throws Exception {
        gw =
                JarGateway.start(
                        dir,
                        """
                hybridge:
                  server:
                    host: 127.0.0.1
                    port: 0
                  key-file: %s
                  trusted-proxies: ["127.0.0.1"]
                  limits:
                    connections-per-address: 1
                """
                                .formatted(dir.resolve("gateway.key")));
        front = NginxFront.start(dir, gw.port());
        httpPort = front.httpPort;
    }

    @AfterAll
    static void stop() throws Exception {
        if (front != null) {
            front.close();
        }
        if (gw != null) {
            gw.close();
        }
    }

    @Test
    void httpsServesTheGatewayButNotMetricsAndHttpRedirects() throws Exception {
        HttpClient http = https();
        HttpResponse<String> wk =
                http.send(
                        HttpRequest.newBuilder(https("/.well-known/hybridge.json")).build(),
                        HttpResponse.BodyHandlers.ofString());
        assertEquals(200, wk.statusCode());
        assertTrue(JSON.readTree(wk.body()).has("public_key"));
        assertTrue(wk.headers().firstValue("strict-transport-security").isPresent());
        HttpResponse<String> page =
                http.send(
                        HttpRequest.newBuilder(https("/")).build(),
                        HttpResponse.BodyHandlers.ofString());
        assertEquals(200, page.statusCode());
        assertTrue(
                page.headers().firstValue("content-security-policy").isPresent(),
                "the gateway's headers pass the proxy");
        assertEquals(
                404,
                http.send(
                                HttpRequest.newBuilder(https("/metrics")).build(),
                                HttpResponse.BodyHandlers.discarding())
                        .statusCode());
        HttpResponse<Void> plain =
                HttpClient.newHttpClient()
                        .send(
                                HttpRequest.newBuilder(
                                                URI.create("http://127.0.0.1:" + httpPort + "/x"))
                                        .build(),
                                HttpResponse.BodyHandlers.discarding());
        assertEquals(301, plain.statusCode());
        assertTrue(plain.headers().firstValue("location").orElse("").startsWith("https://"));
    }

    @Test
    void handshakeJoinAndRelayThroughWssWithTheBrowsersOwnOrigin() throws Exception {
        byte[] pk = publicKey();
        // what a browser on https://127.0.0.1:PORT sends; from two client addresses, because the
        // gateway allows one connection per address here
        Map<String, String> origin = Map.of("Origin", "https://127.0.0.1:" + front.httpsPort);
        try (TestClient a =
                        TestClient.connect(
                                wss(), origin, https(InetAddress.getByName("127.0.0.2")));
                TestClient b =
                        TestClient.connect(
                                wss(), origin, https(InetAddress.getByName("127.0.0.3")))) {
            a.handshake(pk);
            b.handshake(pk);
            byte[] room = Peers.roomId();
            a.send(new RoomMessage.Join(room, Peers.key()));
            RoomMessage.Joined ja = assertInstanceOf(RoomMessage.Joined.class, a.receive());
            b.send(new RoomMessage.Join(room, Peers.key()));
            assertInstanceOf(RoomMessage.Joined.class, b.receive());
            assertInstanceOf(RoomMessage.PeerJoined.class, a.receive());
            b.send(new RoomMessage.Relay(ja.peerId(), new byte[] {1, 2, 3}));
            assertArrayEquals(
                    new byte[] {1, 2, 3},
                    assertInstanceOf(RoomMessage.Relayed.class, a.receive()).envelope());
        }
    }

    @Test
    void aForeignOriginIsRefusedThroughTheProxy() {
        CompletionException e =
                assertThrows(
                        CompletionException.class,
                        () ->
                                TestClient.connect(
                                        wss(), Map.of("Origin", "https://evil.example"), https()));
        assertTrue(
                String.valueOf(e.getCause()).contains("403")
                        || e.getCause() instanceof java.net.http.WebSocketHandshakeException,
                String.valueOf(e.getCause()));
    }

    @Test
    void connectionsAreCountedPerRealClientAndItsOwnForwardedForIsIgnored() throws Exception {
        InetAddress four = InetAddress.getByName("127.0.0.4");
        try (TestClient first = TestClient.connect(wss(), Map.of(), https(four))) {
            first.handshake(publicKey());
            // same client address, a made-up X-Forwarded-For: still the same client to the gateway
            try (TestClient second =
                    TestClient.connect(
                            wss(), Map.of("X-Forwarded-For", "203.0.113.9"), https(four))) {
                TestClient.Close close = second.awaitClose();
                assertEquals(RoomError.TOO_MANY_CONNECTIONS.closeCode(), close.code());
            }
            // another address is another client
            try (TestClient other =
                    TestClient.connect(
                            wss(), Map.of(), https(InetAddress.getByName("127.0.0.5")))) {
                other.handshake(publicKey());
                other.send(new RoomMessage.Join(Peers.roomId(), Peers.key()));
                assertInstanceOf(RoomMessage.Joined.class, other.receive());
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    private static byte[] publicKey() throws Exception {
        String body =
                https().send(
                                HttpRequest.newBuilder(https("/.well-known/hybridge.json")).build(),
                                HttpResponse.BodyHandlers.ofString())
                        .body();
        return Base64.getUrlDecoder().decode(JSON.readTree(body).get("public_key").asText());
    }

    private static URI https(String path) {
        return front.https(path);
    }

    private static URI wss() {
        return front.wss();
    }

    private static HttpClient https() {
        return front.https();
    }

    /** A client whose connections come from {@code local} (any 127.x address is this host). */
    private static HttpClient https(InetAddress local) {
        return front.https(local);
    }
}
