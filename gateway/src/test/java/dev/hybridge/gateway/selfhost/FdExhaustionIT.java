package dev.hybridge.gateway.selfhost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hybridge.gateway.testing.JarGateway;
import dev.hybridge.gateway.testing.TestClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Listener death (issue 10, item 1): the deployable jar, limited to 1,024 file descriptors, is
 * hit by 1,100 connections that each send half a request and then nothing, from 69 loopback
 * addresses (16 each: the per-address cap). Before the edge, the accept loop met "Too many open
 * files" and closed the listening socket for good. Now the connection cap is lowered at start to
 * fit the descriptor limit, what is over it is refused at accept, the half-sent requests are cut
 * at the header deadline, and afterwards the same process answers /health and completes a hop
 * handshake. Bounded: 1,100 sockets, about 10 s.
 */
class FdExhaustionIT {
    static final int FD_LIMIT = 1024;
    static final int ATTACK = 1100;

    @TempDir Path dir;

    @Test
    void theListenerOutlivesAConnectionFloodAtTheDescriptorLimit() throws Exception {
        String yaml =
                """
                hybridge:
                  server:
                    host: 127.0.0.1
                    port: 0
                  key-file: %s
                  limits:
                    header-timeout: PT2S
                """
                        .formatted(dir.resolve("gateway.key"));
        try (JarGateway gw = JarGateway.startWithFdLimit(dir, yaml, FD_LIMIT)) {
            assertTrue(
                    gw.output().contains("does not fit the file descriptor limit " + FD_LIMIT),
                    "the connection cap is lowered to fit ulimit -n, and the log says so:\n"
                            + gw.output());
            List<Socket> attack = new ArrayList<>();
            int refusedAtOnce = 0;
            try {
                for (int i = 0; i < ATTACK; i++) {
                    Socket s = new Socket();
                    s.bind(new InetSocketAddress("127.0.1." + (1 + i / 16), 0));
                    s.connect(new InetSocketAddress("127.0.0.1", gw.port()), 5_000);
                    s.setSoTimeout(10_000);
                    try {
                        s.getOutputStream()
                                .write(
                                        "GET / HTTP/1.1\r\nHost: x\r\n"
                                                .getBytes(StandardCharsets.US_ASCII));
                    } catch (IOException refused) {
                        refusedAtOnce++; // refused at accept and already closed
                    }
                    attack.add(s);
                }
                // every attacking socket ends: refused over the cap, or cut at the header deadline
                long t0 = System.nanoTime();
                for (Socket s : attack) {
                    try {
                        while (s.getInputStream().read() >= 0) {
                            // a 503 before the close
                        }
                    } catch (IOException reset) {
                        // reset: closed too
                    }
                }
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertTrue(
                        ms < 8_000,
                        "the attack's sockets were held " + ms + " ms (header-timeout 2 s)");
            } finally {
                for (Socket s : attack) {
                    s.close();
                }
            }
            System.out.println(
                    "FdExhaustionIT: " + refusedAtOnce + " writes failed at once of " + ATTACK);
            assertTrue(gw.isAlive());
            HttpResponse<String> health =
                    HttpClient.newHttpClient()
                            .send(
                                    HttpRequest.newBuilder(gw.http("/health")).build(),
                                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode(), health.body());
            try (TestClient c = TestClient.established(gw.ws(), publicKey(gw))) {
                assertFalse(c.isClosed());
            }
            assertFalse(gw.output().contains("server socket is terminating"), gw.output());
        }
    }

    private static byte[] publicKey(JarGateway gw) throws Exception {
        String doc =
                HttpClient.newHttpClient()
                        .send(
                                HttpRequest.newBuilder(gw.http("/.well-known/hybridge.json"))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString())
                        .body();
        String b64 = doc.replaceAll(".*\"public_key\":\"([^\"]+)\".*", "$1");
        return java.util.Base64.getUrlDecoder().decode(b64);
    }
}
