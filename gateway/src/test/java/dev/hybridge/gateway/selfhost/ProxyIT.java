package dev.hybridge.gateway.selfhost;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hybridge.crypto.ErrorCode;
import dev.hybridge.gateway.testing.JarGateway;
import dev.hybridge.gateway.testing.Peers;
import dev.hybridge.gateway.testing.TestClient;
import dev.hybridge.gateway.testing.TrustOnly;
import dev.hybridge.protocol.RoomMessage;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The nginx example, deploy/nginx-hybridge.conf, for real: Debian's nginx on loopback with a
 * self-signed certificate (openssl) in front of the shaded jar; a client completes the hop
 * handshake and joins through wss://127.0.0.1:PORT/ws, the gateway's own-origin policy works
 * through the proxy, and trusted-proxies counts connections per real client address.
 * {@code ./hybridge test} installs nginx when it is missing.
 */
class ProxyIT {
    static final Path NGINX = Path.of("/usr/sbin/nginx");
    static final Path EXAMPLE = Path.of(System.getProperty("hybridge.deploy.dir", "../deploy"), "nginx-hybridge.conf");
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static JarGateway gw;
    static Process nginx;
    static int httpsPort;
    static int httpPort;
    static SSLContext trust;

    @BeforeAll
    static void start() throws Exception {
        if (!Files.isExecutable(NGINX)) {
            throw new IllegalStateException(NGINX + " is missing: apt-get install nginx (./hybridge test installs it)");
        }
        // a self-signed certificate for 127.0.0.1, as an operator would get one from certbot
        Path cert = dir.resolve("fullchain.pem");
        Path key = dir.resolve("privkey.pem");
        run(List.of("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", key.toString(), "-out", cert.toString(), "-days", "2", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1"));
        trust = TrustOnly.pem(cert);

        gw = JarGateway.start(dir, """
                hybridge:
                  server:
                    host: 127.0.0.1
                    port: 0
                  key-file: %s
                  trusted-proxies: ["127.0.0.1"]
                  limits:
                    connections-per-address: 1
                """.formatted(dir.resolve("gateway.key")));

        httpsPort = freePort();
        httpPort = freePort();
        String site = Files.readString(EXAMPLE);
        site = replace(site, "listen 443 ssl;", "listen 127.0.0.1:" + httpsPort + " ssl;");
        site = replace(site, "listen [::]:443 ssl;", "");
        site = replace(site, "listen 80;", "listen 127.0.0.1:" + httpPort + ";");
        site = replace(site, "listen [::]:80;", "");
        site = replace(site, "/etc/letsencrypt/live/call.example.org/fullchain.pem", cert.toString());
        site = replace(site, "/etc/letsencrypt/live/call.example.org/privkey.pem", key.toString());
        site = replace(site, "http://127.0.0.1:8080", "http://127.0.0.1:" + gw.port());
        Files.writeString(dir.resolve("site.conf"), site);
        Path temp = Files.createDirectories(dir.resolve("nginx-temp"));
        boolean root = "root".equals(System.getProperty("user.name"));
        Files.writeString(dir.resolve("nginx.conf"), """
                %s
                daemon off;
                worker_processes 1;
                pid %s/nginx.pid;
                error_log %s/error.log warn;
                events { worker_connections 256; }
                http {
                    access_log off;
                    client_body_temp_path %s/body;
                    proxy_temp_path %s/proxy;
                    fastcgi_temp_path %s/fastcgi;
                    uwsgi_temp_path %s/uwsgi;
                    scgi_temp_path %s/scgi;
                    include %s/site.conf;
                }
                """.formatted(root ? "user root;" : "", dir, dir, temp, temp, temp, temp, temp, dir));
        nginx = new ProcessBuilder(NGINX.toString(), "-e", dir.resolve("error.log").toString(), "-p", dir.toString(),
                "-c", dir.resolve("nginx.conf").toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("nginx.out").toFile()).start();
        HttpClient http = https();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            try {
                if (http.send(HttpRequest.newBuilder(https("/health")).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    break;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            if (!nginx.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("nginx did not come up: " + Files.readString(dir.resolve("nginx.out"))
                        + Files.readString(dir.resolve("error.log")));
            }
            Thread.sleep(100);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (nginx != null) {
            nginx.destroy(); // SIGTERM: fast shutdown
            if (!nginx.waitFor(10, TimeUnit.SECONDS)) {
                nginx.destroyForcibly();
            }
        }
        if (gw != null) {
            gw.close();
        }
    }

    @Test
    void httpsServesTheGatewayButNotMetricsAndHttpRedirects() throws Exception {
        HttpClient http = https();
        HttpResponse<String> wk = http.send(HttpRequest.newBuilder(https("/.well-known/hybridge.json")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, wk.statusCode());
        assertTrue(JSON.readTree(wk.body()).has("public_key"));
        assertTrue(wk.headers().firstValue("strict-transport-security").isPresent());
        HttpResponse<String> page = http.send(HttpRequest.newBuilder(https("/")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, page.statusCode());
        assertTrue(page.headers().firstValue("content-security-policy").isPresent(), "the gateway's headers pass the proxy");
        assertEquals(404, http.send(HttpRequest.newBuilder(https("/metrics")).build(), HttpResponse.BodyHandlers.discarding()).statusCode());
        HttpResponse<Void> plain = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/x")).build(), HttpResponse.BodyHandlers.discarding());
        assertEquals(301, plain.statusCode());
        assertTrue(plain.headers().firstValue("location").orElse("").startsWith("https://"));
    }

    @Test
    void handshakeJoinAndRelayThroughWssWithTheBrowsersOwnOrigin() throws Exception {
        byte[] pk = publicKey();
        // what a browser on https://127.0.0.1:PORT sends; from two client addresses, because the
        // gateway allows one connection per address here
        Map<String, String> origin = Map.of("Origin", "https://127.0.0.1:" + httpsPort);
        try (TestClient a = TestClient.connect(wss(), origin, https(InetAddress.getByName("127.0.0.2")));
                TestClient b = TestClient.connect(wss(), origin, https(InetAddress.getByName("127.0.0.3")))) {
            a.handshake(pk);
            b.handshake(pk);
            byte[] room = Peers.roomId();
            a.send(new RoomMessage.Join(room, Peers.key()));
            RoomMessage.Joined ja = assertInstanceOf(RoomMessage.Joined.class, a.receive());
            b.send(new RoomMessage.Join(room, Peers.key()));
            assertInstanceOf(RoomMessage.Joined.class, b.receive());
            assertInstanceOf(RoomMessage.PeerJoined.class, a.receive());
            b.send(new RoomMessage.Relay(ja.peerId(), new byte[] {1, 2, 3}));
            assertArrayEquals(new byte[] {1, 2, 3}, assertInstanceOf(RoomMessage.Relayed.class, a.receive()).envelope());
        }
    }

    @Test
    void aForeignOriginIsRefusedThroughTheProxy() {
        CompletionException e = assertThrows(CompletionException.class,
                () -> TestClient.connect(wss(), Map.of("Origin", "https://evil.example"), https()));
        assertTrue(String.valueOf(e.getCause()).contains("403") || e.getCause() instanceof java.net.http.WebSocketHandshakeException,
                String.valueOf(e.getCause()));
    }

    @Test
    void connectionsAreCountedPerRealClientAndItsOwnForwardedForIsIgnored() throws Exception {
        InetAddress four = InetAddress.getByName("127.0.0.4");
        try (TestClient first = TestClient.connect(wss(), Map.of(), https(four))) {
            first.handshake(publicKey());
            // same client address, a made-up X-Forwarded-For: still the same client to the gateway
            try (TestClient second = TestClient.connect(wss(), Map.of("X-Forwarded-For", "203.0.113.9"), https(four))) {
                TestClient.Close close = second.awaitClose();
                assertEquals(ErrorCode.TOO_MANY_CONNECTIONS.closeCode(), close.code());
            }
            // another address is another client
            try (TestClient other = TestClient.connect(wss(), Map.of(), https(InetAddress.getByName("127.0.0.5")))) {
                other.handshake(publicKey());
                other.send(new RoomMessage.Join(Peers.roomId(), Peers.key()));
                assertInstanceOf(RoomMessage.Joined.class, other.receive());
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    private static byte[] publicKey() throws Exception {
        String body = https().send(HttpRequest.newBuilder(https("/.well-known/hybridge.json")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        return Base64.getUrlDecoder().decode(JSON.readTree(body).get("public_key").asText());
    }

    private static URI https(String path) {
        return URI.create("https://127.0.0.1:" + httpsPort + path);
    }

    private static URI wss() {
        return URI.create("wss://127.0.0.1:" + httpsPort + "/ws");
    }

    private static HttpClient https() {
        return HttpClient.newBuilder().sslContext(trust).connectTimeout(Duration.ofSeconds(5)).build();
    }

    /** A client whose connections come from {@code local} (any 127.x address is this host). */
    private static HttpClient https(InetAddress local) {
        return HttpClient.newBuilder().sslContext(trust).localAddress(local).connectTimeout(Duration.ofSeconds(5)).build();
    }

    private static String replace(String text, String what, String with) {
        if (!text.contains(what)) {
            throw new IllegalStateException(EXAMPLE + " no longer contains '" + what + "'; update ProxyIT with it");
        }
        return text.replace(what, with);
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static void run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(cmd + " failed: " + out);
        }
    }
}
