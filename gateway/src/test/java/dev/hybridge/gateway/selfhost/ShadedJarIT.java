package dev.hybridge.gateway.selfhost;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hybridge.crypto.ErrorCode;
import dev.hybridge.crypto.Fingerprint;
import dev.hybridge.crypto.handshake.HopClient;
import dev.hybridge.gateway.relay.IceServers;
import dev.hybridge.gateway.testing.JarGateway;
import dev.hybridge.gateway.testing.Peers;
import dev.hybridge.gateway.testing.TestClient;
import dev.hybridge.protocol.RoomMessage;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The self-contained jar as an operator runs it ({@code java -jar hybridge-gateway.jar
 * gateway.yaml}): Helidon's services survive shading (config, WebSocket upgrade, static content,
 * health), the YAML is read, and a real client completes the hop handshake and joins a room.
 */
class ShadedJarIT {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TURN_SECRET = "jar-test-coturn-secret-0123456789";

    @TempDir Path dir;

    private String config(Path key) {
        return """
                hybridge:
                  server:
                    host: 127.0.0.1
                    port: 0
                  key-file: %s
                  log-level: INFO
                  ice:
                    turn:
                      urls: ["turn:127.0.0.1:3478?transport=udp"]
                      secret: "%s"
                """
                .formatted(key, TURN_SECRET);
    }

    @Test
    void runsFromTheJarServesHealthWellKnownWebClientAndAFullJoin() throws Exception {
        Path key = dir.resolve("state/gateway.key");
        try (JarGateway gw = JarGateway.start(dir, config(key))) {
            HttpResponse<String> health =
                    HTTP.send(
                            HttpRequest.newBuilder(gw.http("/health")).build(),
                            HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode());
            assertTrue(health.body().contains("\"status\":\"UP\""), health.body());

            HttpResponse<String> wk =
                    HTTP.send(
                            HttpRequest.newBuilder(gw.http("/.well-known/hybridge.json")).build(),
                            HttpResponse.BodyHandlers.ofString());
            assertEquals(200, wk.statusCode());
            JsonNode doc = JSON.readTree(wk.body());
            byte[] pk = Base64.getUrlDecoder().decode(doc.get("public_key").asText());
            assertEquals(1216, pk.length);
            assertEquals(Fingerprint.toHex(Fingerprint.of(pk)), doc.get("fingerprint").asText());
            assertTrue(
                    gw.output().contains(Fingerprint.toDisplay(Fingerprint.of(pk))),
                    "the fingerprint is printed at start");
            assertEquals(
                    "rw-------",
                    PosixFilePermissions.toString(Files.getPosixFilePermissions(key)),
                    "key file created owner-only");

            // the web client bundled in the jar (classpath web/), with the strict headers
            HttpResponse<String> page =
                    HTTP.send(
                            HttpRequest.newBuilder(gw.http("/")).build(),
                            HttpResponse.BodyHandlers.ofString());
            assertEquals(200, page.statusCode());
            assertTrue(
                    page.headers().firstValue("content-type").orElse("").startsWith("text/html"));
            assertTrue(
                    page.headers()
                            .firstValue("content-security-policy")
                            .orElse("")
                            .contains("script-src 'self'"));

            try (TestClient a = TestClient.established(gw.ws(), pk);
                    TestClient b = TestClient.established(gw.ws(), pk)) {
                byte[] room = Peers.roomId();
                byte[] aKey = Peers.key();
                a.send(new RoomMessage.Join(room, aKey));
                RoomMessage.Joined ja = assertInstanceOf(RoomMessage.Joined.class, a.receive());
                // TURN credentials minted from the YAML's secret, coturn's use-auth-secret scheme
                assertEquals(1, ja.iceServers().size());
                RoomMessage.IceServer turn = ja.iceServers().get(0);
                assertEquals(List.of("turn:127.0.0.1:3478?transport=udp"), turn.urls());
                assertEquals(
                        IceServers.credential(
                                TURN_SECRET.getBytes(StandardCharsets.UTF_8), turn.username()),
                        turn.credential());

                b.send(new RoomMessage.Join(room, Peers.key()));
                RoomMessage.Joined jb = assertInstanceOf(RoomMessage.Joined.class, b.receive());
                assertEquals(1, jb.peers().size());
                assertArrayEquals(aKey, jb.peers().get(0).publicKey());
                RoomMessage.PeerJoined pj =
                        assertInstanceOf(RoomMessage.PeerJoined.class, a.receive());
                assertArrayEquals(jb.peerId(), pj.peerId());

                b.send(
                        new RoomMessage.Relay(
                                ja.peerId(), "opaque".getBytes(StandardCharsets.UTF_8)));
                RoomMessage.Relayed rel = assertInstanceOf(RoomMessage.Relayed.class, a.receive());
                assertEquals("opaque", new String(rel.envelope(), StandardCharsets.UTF_8));
            }
            gw.stop(); // SIGTERM, as systemd and container runtimes stop it
            assertTrue(!gw.isAlive());
        }
    }

    @Test
    void keyCommandsRunFromTheJarAndARotatedKeyIsAnnouncedAndRefused() throws Exception {
        Path key = dir.resolve("gateway.key");
        JarGateway.Result made = JarGateway.run(List.of("keygen", key.toString()));
        assertEquals(0, made.exitCode(), made.output());
        byte[] oldPk;
        try (JarGateway gw = JarGateway.start(dir, config(key))) {
            JsonNode doc =
                    JSON.readTree(
                            HTTP.send(
                                            HttpRequest.newBuilder(
                                                            gw.http("/.well-known/hybridge.json"))
                                                    .build(),
                                            HttpResponse.BodyHandlers.ofString())
                                    .body());
            oldPk = Base64.getUrlDecoder().decode(doc.get("public_key").asText());
        }
        JarGateway.Result rotated = JarGateway.run(List.of("rotate-key", key.toString()));
        assertEquals(0, rotated.exitCode(), rotated.output());
        assertTrue(rotated.output().contains("Restart the gateway"), rotated.output());

        try (JarGateway gw = JarGateway.start(dir, config(key))) {
            JsonNode doc =
                    JSON.readTree(
                            HTTP.send(
                                            HttpRequest.newBuilder(
                                                            gw.http("/.well-known/hybridge.json"))
                                                    .build(),
                                            HttpResponse.BodyHandlers.ofString())
                                    .body());
            assertEquals(
                    Fingerprint.toHex(Fingerprint.of(oldPk)),
                    doc.get("retired").get(0).get("fingerprint").asText());
            try (TestClient c = TestClient.connect(gw.ws())) {
                c.sendRaw(HopClient.start(oldPk, new SecureRandom()).clientHello());
                assertNull(c.nextRaw());
                assertEquals(ErrorCode.UNKNOWN_GATEWAY_KEY.closeCode(), c.awaitClose().code());
            }
            byte[] newPk = Base64.getUrlDecoder().decode(doc.get("public_key").asText());
            try (TestClient c = TestClient.established(gw.ws(), newPk)) {
                c.send(new RoomMessage.Join(Peers.roomId(), Peers.key()));
                assertInstanceOf(RoomMessage.Joined.class, c.receive());
            }
        }
        JarGateway.Result fp = JarGateway.run(List.of("fingerprint", key.toString()));
        assertEquals(0, fp.exitCode(), fp.output());
        JarGateway.Result usage = JarGateway.run(List.of("--help"));
        assertTrue(usage.output().contains("rotate-key"), usage.output());
    }

    @Test
    void theDeployExampleConfigRunsWithItsSecretFromTheEnvironment() throws Exception {
        // deploy/gateway.yaml as shipped, but on a free port with the key in the test's directory
        String yaml =
                Files.readString(
                        Path.of(
                                System.getProperty("hybridge.deploy.dir", "../deploy"),
                                "gateway.yaml"));
        assertTrue(
                yaml.contains("port: 8080")
                        && yaml.contains("key-file: /var/lib/hybridge/gateway.key"));
        yaml =
                yaml.replace("port: 8080", "port: 0")
                        .replace("/var/lib/hybridge/gateway.key", dir.resolve("gw.key").toString());
        String secret = "env-secret-0123456789abcdef";
        try (JarGateway gw =
                JarGateway.start(dir, yaml, java.util.Map.of("HYBRIDGE_ICE_TURN_SECRET", secret))) {
            HttpResponse<String> wk =
                    HTTP.send(
                            HttpRequest.newBuilder(gw.http("/.well-known/hybridge.json")).build(),
                            HttpResponse.BodyHandlers.ofString());
            byte[] pk =
                    Base64.getUrlDecoder()
                            .decode(JSON.readTree(wk.body()).get("public_key").asText());
            try (TestClient c = TestClient.established(gw.ws(), pk)) {
                c.send(new RoomMessage.Join(Peers.roomId(), Peers.key()));
                RoomMessage.Joined j = assertInstanceOf(RoomMessage.Joined.class, c.receive());
                assertEquals(2, j.iceServers().size(), "STUN and TURN from the example");
                RoomMessage.IceServer turn = j.iceServers().get(1);
                assertEquals(2, turn.urls().size());
                assertEquals(
                        IceServers.credential(
                                secret.getBytes(StandardCharsets.UTF_8), turn.username()),
                        turn.credential());
            }
        }
    }

    @Test
    void aBadConfigStopsTheJarWithTheKeyNamed() throws Exception {
        Path cfg = dir.resolve("bad.yaml");
        Files.writeString(cfg, "hybridge:\n  limits:\n    room-capacity: 99\n");
        JarGateway.Result r = JarGateway.run(List.of(cfg.toString()));
        assertEquals(2, r.exitCode(), r.output());
        assertTrue(r.output().contains("room-capacity"), r.output());
    }

    /** The deployable jar carries none of pq-crypto's test kit: no vector generator, nothing ...ForTestingOnly. */
    @Test
    void theJarCarriesNoTestKit() throws Exception {
        try (JarFile jar = new JarFile(JarGateway.jar().toFile())) {
            assertTrue(
                    jar.getEntry("dev/hybridge/crypto/cli/Cli.class") != null,
                    "the key commands are in the jar");
            assertEquals(
                    List.of(),
                    jar.stream()
                            .map(JarEntry::getName)
                            .filter(
                                    n ->
                                            n.matches(
                                                    "dev/hybridge/(.*ForTestingOnly.*|(.*/)?vectors/.*|.*Vectors(\\$.*)?\\.class|.*/Deterministic.*)"))
                            .toList(),
                    "vector generators or test hooks (pq-crypto's test kit) in the deployable jar");
            List<String> withHooks = new java.util.ArrayList<>();
            for (JarEntry e : java.util.Collections.list(jar.entries())) {
                if (e.getName().startsWith("dev/hybridge/") && e.getName().endsWith(".class")) {
                    try (var in = jar.getInputStream(e)) {
                        if (new String(in.readAllBytes(), StandardCharsets.ISO_8859_1)
                                .contains("ForTestingOnly")) {
                            withHooks.add(e.getName());
                        }
                    }
                }
            }
            assertEquals(List.of(), withHooks, "a ...ForTestingOnly member in the deployable jar");
        }
    }
}
