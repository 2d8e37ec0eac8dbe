package dev.hybridge.gateway.selfhost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hybridge.gateway.testing.JarGateway;
import dev.hybridge.gateway.testing.Peers;
import dev.hybridge.gateway.testing.TestClient;
import dev.hybridge.gateway.testing.TrustOnly;
import dev.hybridge.protocol.RoomError;
import dev.hybridge.protocol.RoomMessage;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Caddy example, deploy/Caddyfile, for real: Debian's caddy on loopback with a self-signed
 * certificate in front of the shaded jar. What the file promises: the WebSocket and the hop
 * handshake pass, X-Forwarded-For lets the gateway count real clients (a client's own header
 * ignored), the header deadline cuts half-sent requests and slowloris while a healthy call
 * goes on, and request heads over the limit are refused. Stock Caddy has no per-address cap (the
 * Caddyfile says what to use instead), so none is tested here. {@code ./hybridge test} installs
 * caddy when it is missing.
 */
class CaddyEdgeIT {
    static final Path CADDY = Path.of("/usr/bin/caddy");
    static final Path EXAMPLE =
            Path.of(System.getProperty("hybridge.deploy.dir", "../deploy"), "Caddyfile");
    static final ObjectMapper JSON = new ObjectMapper();
    static final long SLACK_MS = 3000;

    @TempDir static Path dir;
    static JarGateway gw;
    static Process caddy;
    static int port;
    static SSLContext trust;
    static byte[] gatewayKey;
    static int headerTimeoutS;

    @BeforeAll
    static void start() throws Exception {
        if (!Files.isExecutable(CADDY)) {
            throw new IllegalStateException(
                    CADDY + " is missing: apt-get install caddy (./hybridge test installs it)");
        }
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        NginxFront.run(
                List.of(
                        "openssl",
                        "req",
                        "-x509",
                        "-newkey",
                        "ec",
                        "-pkeyopt",
                        "ec_paramgen_curve:prime256v1",
                        "-nodes",
                        "-keyout",
                        key.toString(),
                        "-out",
                        cert.toString(),
                        "-days",
                        "2",
                        "-subj",
                        "/CN=127.0.0.1",
                        "-addext",
                        "subjectAltName=IP:127.0.0.1"));
        trust = TrustOnly.pem(cert);
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

        port = NginxFront.freePort();
        String file = Files.readString(EXAMPLE);
        // a test host: no admin endpoint, no port 80, no ACME; the site on a free loopback port
        // with the test certificate; the gateway's port
        file =
                replace(
                        file,
                        "{\n\tservers {",
                        "{\n\tadmin off\n\tauto_https disable_redirects\n\thttp_port "
                                + NginxFront.freePort()
                                + "\n\tservers {");
        file =
                replace(
                        file,
                        "call.example.org {",
                        "https://127.0.0.1:"
                                + port
                                + " {\n\tbind 127.0.0.1\n\ttls "
                                + cert
                                + " "
                                + key);
        file =
                replace(
                        file,
                        "reverse_proxy 127.0.0.1:8080 {",
                        "reverse_proxy 127.0.0.1:" + gw.port() + " {");
        headerTimeoutS = Integer.parseInt(file.replaceAll("(?s).*read_header (\\d+)s.*", "$1"));
        Path caddyfile = dir.resolve("Caddyfile");
        Files.writeString(caddyfile, file);
        ProcessBuilder pb =
                new ProcessBuilder(
                                CADDY.toString(),
                                "run",
                                "--config",
                                caddyfile.toString(),
                                "--adapter",
                                "caddyfile")
                        .redirectErrorStream(true)
                        .redirectOutput(dir.resolve("caddy.out").toFile());
        pb.environment().put("HOME", dir.toString());
        pb.environment().put("XDG_DATA_HOME", dir.resolve("data").toString());
        pb.environment().put("XDG_CONFIG_HOME", dir.resolve("config").toString());
        caddy = pb.start();
        HttpClient http = https(InetAddress.getLoopbackAddress());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            try {
                if (http.send(
                                        HttpRequest.newBuilder(https("/health")).build(),
                                        HttpResponse.BodyHandlers.discarding())
                                .statusCode()
                        == 200) {
                    break;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            if (!caddy.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException(
                        "caddy did not come up: " + Files.readString(dir.resolve("caddy.out")));
            }
            Thread.sleep(100);
        }
        String body =
                http.send(
                                HttpRequest.newBuilder(https("/.well-known/hybridge.json")).build(),
                                HttpResponse.BodyHandlers.ofString())
                        .body();
        gatewayKey = Base64.getUrlDecoder().decode(JSON.readTree(body).get("public_key").asText());
    }

    @AfterAll
    static void stop() throws Exception {
        if (caddy != null) {
            caddy.destroy();
            if (!caddy.waitFor(10, TimeUnit.SECONDS)) {
                caddy.destroyForcibly();
            }
        }
        if (gw != null) {
            gw.close();
        }
    }

    @Test
    void handshakeJoinAndPerClientCountingThroughCaddy() throws Exception {
        InetAddress four = InetAddress.getByName("127.0.0.4");
        try (TestClient first = TestClient.connect(wss(), Map.of(), https(four))) {
            first.handshake(gatewayKey);
            first.send(new RoomMessage.Join(Peers.roomId(), Peers.key()));
            assertInstanceOf(RoomMessage.Joined.class, first.receive());
            // same client address, a made-up X-Forwarded-For: still the same client to the gateway
            // (cap 1)
            try (TestClient second =
                    TestClient.connect(
                            wss(), Map.of("X-Forwarded-For", "203.0.113.9"), https(four))) {
                assertEquals(
                        RoomError.TOO_MANY_CONNECTIONS.closeCode(), second.awaitClose().code());
            }
            // another address is another client
            try (TestClient other =
                    TestClient.connect(
                            wss(), Map.of(), https(InetAddress.getByName("127.0.0.5")))) {
                other.handshake(gatewayKey);
            }
        }
    }

    @Test
    void halfSentRequestsAndSlowlorisAreCutAtTheHeaderDeadlineBesideAHealthyCall()
            throws Exception {
        // the healthy call's two peers need two addresses here (the gateway allows one connection
        // per address)
        try (TimedRoomPair call = new TimedRoomPair()) {
            InetAddress attacker = InetAddress.getByName("127.0.0.2");
            byte[] request = TlsWebSocket.upgradeRequest("127.0.0.1:" + port);
            int half = 40;
            int slow = 10;
            int inTls = 20;
            int n = half + slow + inTls;
            ProxyEdgeIT.Watch watch = new ProxyEdgeIT.Watch(n);
            AtomicIntegerArray sent = new AtomicIntegerArray(n);
            List<Thread> dribblers = new ArrayList<>();
            try {
                for (int i = 0; i < half; i++) {
                    SSLSocket s = tls(attacker);
                    s.getOutputStream().write(request, 0, request.length / 2);
                    s.getOutputStream().flush();
                    watch.add(s, System.nanoTime()); // Go's header deadline starts after the TLS
                    // handshake
                }
                for (int i = 0; i < slow; i++) {
                    SSLSocket s = tls(attacker);
                    int idx = watch.add(s, System.nanoTime());
                    dribblers.add(
                            Thread.ofVirtual()
                                    .start(
                                            () -> {
                                                try {
                                                    OutputStream out = s.getOutputStream();
                                                    for (int k = 0;
                                                            k < request.length
                                                                    && !watch.isClosed(idx);
                                                            k++) {
                                                        out.write(request[k]);
                                                        out.flush();
                                                        sent.incrementAndGet(idx);
                                                        Thread.sleep(
                                                                headerTimeoutS
                                                                        * 1000L
                                                                        * 2
                                                                        / 5); // the attacker's pace
                                                    }
                                                } catch (IOException | InterruptedException cut) {
                                                    // cut: what this case wants
                                                }
                                            }));
                }
                for (int i = 0; i < inTls; i++) {
                    long t0 = System.nanoTime();
                    Socket s = ProxyEdgeIT.plain(attacker, port);
                    s.getOutputStream().write(new byte[] {0x16, 0x03, 0x01});
                    s.getOutputStream().flush();
                    watch.add(s, t0);
                }
                long bound = headerTimeoutS * 1000L + SLACK_MS;
                assertTrue(
                        watch.awaitAll(bound),
                        watch.open()
                                + " of "
                                + n
                                + " connections still open "
                                + bound
                                + " ms later");
                watch.assertEachCutBetween(headerTimeoutS * 1000L - 500, bound);
                for (int i = half; i < half + slow; i++) {
                    assertTrue(
                            sent.get(i) >= 2 && sent.get(i) < request.length,
                            "slowloris " + i + " sent " + sent.get(i) + " bytes");
                }
            } finally {
                watch.closeAll();
                for (Thread t : dribblers) {
                    t.join(5000);
                }
            }
            System.out.println(
                    "healthy call beside Caddy: worst latency " + call.verify().toMillis() + " ms");
        }
        try (TestClient fresh =
                TestClient.connect(wss(), Map.of(), https(InetAddress.getByName("127.0.0.201")))) {
            fresh.handshake(gatewayKey);
        }
    }

    /** max_header_size 8KiB; Go reads 4 KiB beyond it before it refuses, so 13 KiB is over (the default would be 1 MB). */
    @Test
    void requestHeadsOverTheLimitAreRefused() throws Exception {
        HttpResponse<Void> r =
                https(InetAddress.getByName("127.0.0.3"))
                        .send(
                                HttpRequest.newBuilder(https("/health"))
                                        .header("X-Padding", "a".repeat(13 * 1024))
                                        .build(),
                                HttpResponse.BodyHandlers.discarding());
        assertEquals(431, r.statusCode());
    }

    /** {@link TimedRoom} with each peer on its own address (127.0.0.10, .11). */
    static final class TimedRoomPair implements AutoCloseable {
        private final TimedRoom room;

        TimedRoomPair() throws Exception {
            room =
                    TimedRoom.start(
                            wss(),
                            https(InetAddress.getByName("127.0.0.10")),
                            https(InetAddress.getByName("127.0.0.11")),
                            gatewayKey,
                            40);
        }

        Duration verify() throws Exception {
            return room.stopAndVerify(ProxyEdgeIT.LATENCY_BOUND);
        }

        @Override
        public void close() {
            room.close();
        }
    }

    private static SSLSocket tls(InetAddress local) throws IOException {
        SSLSocket s = (SSLSocket) trust.getSocketFactory().createSocket();
        s.bind(new InetSocketAddress(local, 0));
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
        s.setSoTimeout(10_000);
        s.setEnabledProtocols(new String[] {"TLSv1.3"});
        javax.net.ssl.SSLParameters p = s.getSSLParameters();
        p.setApplicationProtocols(new String[] {"http/1.1"});
        s.setSSLParameters(p);
        s.startHandshake();
        return s;
    }

    private static URI https(String path) {
        return URI.create("https://127.0.0.1:" + port + path);
    }

    private static URI wss() {
        return URI.create("wss://127.0.0.1:" + port + "/ws");
    }

    private static HttpClient https(InetAddress local) {
        return HttpClient.newBuilder()
                .sslContext(trust)
                .localAddress(local)
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    private static String replace(String text, String what, String with) {
        if (!text.contains(what)) {
            throw new IllegalStateException(
                    EXAMPLE
                            + " no longer contains '"
                            + what.replace("\n", "\\n")
                            + "'; update CaddyEdgeIT");
        }
        return text.replace(what, with);
    }
}
