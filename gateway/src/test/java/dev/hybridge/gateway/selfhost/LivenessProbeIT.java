package dev.hybridge.gateway.selfhost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hybridge.gateway.testing.JarGateway;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/hybridge-liveness, the external liveness probe that hybridge-liveness.timer runs, for
 * real: against the shaded jar (live), a loopback listener that accepts and never answers (deaf),
 * a port nobody listens on (dead). The restart, diagnose and is-active commands are injected
 * through the script's environment, so the test sees exactly when a restart would happen. The
 * unit files are checked with systemd-analyze verify.
 */
class LivenessProbeIT {
    static final Path DEPLOY = Path.of(System.getProperty("hybridge.deploy.dir", "../deploy"));
    static final Path SCRIPT = DEPLOY.resolve("hybridge-liveness");
    static final int TIMEOUT_S = 1;

    @TempDir Path dir;

    record Run(int exit, String output, long millis) {}

    /** Runs the probe once with the test's commands (and {@code extra} on top); at most 20 s. */
    Run probe(String url, Map<String, String> extra) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", SCRIPT.toString()).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("HYBRIDGE_"));
        Map<String, String> env =
                new HashMap<>(
                        Map.of(
                                "HYBRIDGE_LIVENESS_URL",
                                url,
                                "HYBRIDGE_LIVENESS_TIMEOUT",
                                String.valueOf(TIMEOUT_S),
                                "HYBRIDGE_LIVENESS_FAILURES",
                                "3",
                                "HYBRIDGE_LIVENESS_STATE",
                                dir.resolve("state/failures").toString(),
                                "HYBRIDGE_LIVENESS_ACTIVE",
                                "true",
                                "HYBRIDGE_LIVENESS_DIAGNOSE",
                                "echo diagnose >> '" + calls() + "'",
                                "HYBRIDGE_LIVENESS_RESTART",
                                "echo restart >> '" + calls() + "'"));
        env.putAll(extra);
        pb.environment().putAll(env);
        long t0 = System.nanoTime();
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("the probe did not finish within 20 s: " + out);
        }
        return new Run(p.exitValue(), out, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    Run probe(String url) throws Exception {
        return probe(url, Map.of());
    }

    Path calls() {
        return dir.resolve("calls");
    }

    List<String> callsMade() throws IOException {
        return Files.exists(calls()) ? Files.readAllLines(calls()) : List.of();
    }

    String failures() throws IOException {
        return Files.readString(dir.resolve("state/failures")).trim();
    }

    @Test
    void theRealGatewayIsLiveAndAGoodAnswerClearsEarlierFailures() throws Exception {
        try (JarGateway gw =
                JarGateway.start(
                        dir,
                        """
                hybridge:
                  server:
                    host: 127.0.0.1
                    port: 0
                  key-file: %s
                """
                                .formatted(dir.resolve("gateway.key")))) {
            Files.createDirectories(dir.resolve("state"));
            Files.writeString(dir.resolve("state/failures"), "2\n");
            Run r = probe(gw.http("/health/live").toString());
            assertEquals(0, r.exit(), r.output());
            assertTrue(r.output().contains("answers again (after 2 failure(s))"), r.output());
            assertEquals("0", failures());
            assertEquals(List.of(), callsMade(), "a live gateway was restarted");
        }
    }

    @Test
    void aDeafListenerFailsWithinTheTimeoutAndTheThirdFailureRestartsTheGateway() throws Exception {
        try (Deaf deaf = new Deaf()) {
            String url = "http://127.0.0.1:" + deaf.port() + "/health/live";
            for (int i = 1; i <= 2; i++) {
                Run r = probe(url);
                assertEquals(1, r.exit(), r.output());
                assertTrue(
                        r.output()
                                .contains(
                                        "no answer within "
                                                + TIMEOUT_S
                                                + " s: alive but deaf ("
                                                + i
                                                + " of 3"),
                        r.output());
                assertTrue(
                        r.millis() >= TIMEOUT_S * 1000L - 100
                                && r.millis() < TIMEOUT_S * 1000L + 2000,
                        "the probe took " + r.millis() + " ms, its timeout is " + TIMEOUT_S + " s");
                assertEquals(String.valueOf(i), failures());
                assertEquals(List.of(), callsMade(), "restarted before the third failure");
            }
            Run third = probe(url);
            assertEquals(1, third.exit(), third.output());
            assertTrue(
                    third.output()
                            .contains("(3 of 3 consecutive failures): restarting hybridge.service"),
                    third.output());
            assertEquals(
                    List.of("diagnose", "restart"), callsMade(), "a thread dump, then one restart");
            assertEquals("0", failures(), "the count starts again after a restart");
            assertTrue(
                    deaf.accepted() >= 3,
                    "the deaf listener accepted " + deaf.accepted() + " probes");
        }
    }

    @Test
    void aPortNobodyListensOnFailsAtOnce() throws Exception {
        int port = NginxFront.freePort(); // bound and released: nothing listens there now
        Run r = probe("http://127.0.0.1:" + port + "/health/live");
        assertEquals(1, r.exit(), r.output());
        assertTrue(
                r.output().contains("connection refused: nothing accepts on it (1 of 3"),
                r.output());
        assertTrue(r.millis() < TIMEOUT_S * 1000L + 2000, "took " + r.millis() + " ms");
        assertEquals("1", failures());
        assertEquals(List.of(), callsMade());
    }

    @Test
    void aGatewayStoppedOnPurposeIsNeitherProbedNorRestarted() throws Exception {
        Files.createDirectories(dir.resolve("state"));
        Files.writeString(dir.resolve("state/failures"), "2\n");
        try (Deaf deaf = new Deaf()) {
            Run r =
                    probe(
                            "http://127.0.0.1:" + deaf.port() + "/health/live",
                            Map.of("HYBRIDGE_LIVENESS_ACTIVE", "false"));
            assertEquals(0, r.exit(), r.output());
            assertEquals(0, deaf.accepted(), "probed a gateway that is stopped");
            assertEquals("0", failures());
            assertEquals(List.of(), callsMade());
        }
    }

    @Test
    void aFailedRestartIsReported() throws Exception {
        int port = NginxFront.freePort();
        Run r =
                probe(
                        "http://127.0.0.1:" + port + "/health/live",
                        Map.of(
                                "HYBRIDGE_LIVENESS_FAILURES",
                                "1",
                                "HYBRIDGE_LIVENESS_DIAGNOSE",
                                "",
                                "HYBRIDGE_LIVENESS_RESTART",
                                "exit 4"));
        assertEquals(2, r.exit(), r.output());
        assertTrue(r.output().contains("'exit 4' failed (exit 4)"), r.output());
    }

    @Test
    void invalidSettingsAreRefused() throws Exception {
        Run r = probe("http://127.0.0.1:1/", Map.of("HYBRIDGE_LIVENESS_TIMEOUT", "0.5"));
        assertEquals(3, r.exit(), r.output());
        assertFalse(Files.exists(dir.resolve("state/failures")));
    }

    /**
     * systemd-analyze verify on the three units as shipped, except two paths a test host cannot
     * have: the probe's ExecStart points at deploy/hybridge-liveness (not /usr/local/sbin), the
     * gateway's at this JVM's java (not /usr/bin/java). Any warning fails the test.
     */
    @Test
    void theUnitFilesVerify() throws Exception {
        Path analyze = Path.of("/usr/bin/systemd-analyze");
        Assumptions.assumeTrue(
                Files.isExecutable(analyze),
                "systemd-analyze is not installed here: the units are not verified");
        Path units = Files.createDirectories(dir.resolve("units"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        copy("hybridge.service", units, "ExecStart=/usr/bin/java ", "ExecStart=" + java + " ");
        copy(
                "hybridge-liveness.service",
                units,
                "ExecStart=/usr/local/sbin/hybridge-liveness",
                "ExecStart=" + SCRIPT.toAbsolutePath());
        copy("hybridge-liveness.timer", units, null, null);
        List<String> cmd = new ArrayList<>(List.of(analyze.toString(), "verify"));
        for (String u :
                List.of(
                        "hybridge.service",
                        "hybridge-liveness.service",
                        "hybridge-liveness.timer")) {
            cmd.add(units.resolve(u).toString());
        }
        Process p =
                new ProcessBuilder(cmd).redirectErrorStream(true).directory(units.toFile()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "systemd-analyze verify did not finish");
        assertEquals(0, p.exitValue(), out);
        assertEquals("", out.strip(), "systemd-analyze verify warns");
    }

    private static void copy(String unit, Path to, String what, String with) throws IOException {
        String text = Files.readString(DEPLOY.resolve(unit));
        if (what != null) {
            assertTrue(
                    text.contains(what),
                    unit + " no longer contains '" + what + "'; update LivenessProbeIT");
            text = text.replace(what, with);
        }
        Files.writeString(to.resolve(unit), text);
    }

    /** A loopback listener that accepts connections and never reads or answers: alive but deaf. */
    static final class Deaf implements AutoCloseable {
        private final ServerSocket server;
        private final List<Socket> held = new ArrayList<>();
        private final Thread acceptor;

        Deaf() throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            acceptor =
                    Thread.ofPlatform()
                            .daemon()
                            .name("deaf-listener")
                            .start(
                                    () -> {
                                        try {
                                            while (true) {
                                                Socket s = server.accept();
                                                synchronized (held) {
                                                    held.add(s);
                                                }
                                            }
                                        } catch (IOException closed) {
                                            // close() below
                                        }
                                    });
        }

        int port() {
            return server.getLocalPort();
        }

        int accepted() {
            synchronized (held) {
                return held.size();
            }
        }

        @Override
        public void close() throws Exception {
            server.close();
            acceptor.join(5000);
            synchronized (held) {
                for (Socket s : held) {
                    s.close();
                }
            }
        }
    }
}
