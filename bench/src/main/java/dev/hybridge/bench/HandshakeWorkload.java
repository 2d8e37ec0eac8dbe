package dev.hybridge.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Handshakes per second and the gateway's CPU per hop handshake, against bare connections
 * (connect, upgrade, close) and the JMH sum of the handshake's primitives.
 */
final class HandshakeWorkload {
    private final Options opt;
    private final Report report;
    double gatewayCpuMicrosPerHandshake;
    double gatewayCpuMicrosPerConnection;

    HandshakeWorkload(Options opt, Report report) {
        this.opt = opt;
        this.report = report;
    }

    void run(Child gw) throws Exception {
        int workers = opt.handshakeWorkers;
        int seconds = opt.seconds;
        // Warm-up until the JIT is done: its compiler threads are a start-up cost, and on 2 busy
        // cores they take seconds of CPU. At most handshakeWarmup seconds, in rounds, until
        // the compiler threads used under 2% of the gateway's CPU in a round.
        long warmEnd = System.nanoTime() + opt.handshakeWarmup * 1_000_000_000L;
        double jitShare;
        do {
            long[] c0 = gw.cpuSplit();
            handshakes(gw, workers, opt.warmupRound);
            long[] c1 = gw.cpuSplit();
            jitShare = (double) (c1[1] - c0[1]) / Math.max(1, c1[0] - c0[0]);
        } while (jitShare > 0.02 && System.nanoTime() < warmEnd);
        long[] cpu0 = gw.cpuSplit();
        Map<String, Long> threads0 = gw.cpuByThread();
        long t0 = System.nanoTime();
        long n = handshakes(gw, workers, seconds);
        long wall = System.nanoTime() - t0;
        long[] cpu1 = gw.cpuSplit();
        Map<String, Long> threads1 = gw.cpuByThread();
        long cpu = cpu1[0] - cpu0[0];
        long jit = cpu1[1] - cpu0[1];
        gatewayCpuMicrosPerHandshake = cpu / 1000.0 / n;
        report.result(
                "gateway handshakes: %d in %.1f s = %.0f/s (%d client workers); gateway CPU %.0f us per handshake "
                        + "(connect + upgrade + handshake + close; JIT compiler threads %.0f%% of it)",
                n,
                wall / 1e9,
                n / (wall / 1e9),
                workers,
                gatewayCpuMicrosPerHandshake,
                100.0 * jit / Math.max(1, cpu));
        StringBuilder by = new StringBuilder();
        threads1.forEach(
                (name, ns) -> {
                    double us = (ns - threads0.getOrDefault(name, 0L)) / 1000.0 / n;
                    if (us >= 1) {
                        by.append(String.format("%s%s %.0f", by.isEmpty() ? "" : ", ", name, us));
                    }
                });
        report.result("gateway CPU per handshake by thread (us; VM Thread = SerialGC): %s", by);
        // the same connections without the handshake: what TCP, the HTTP upgrade and the close cost
        long[] b0 = gw.cpuSplit();
        long bare = repeat(workers, seconds, () -> Conn.open(gw.ws()).abort());
        long[] b1 = gw.cpuSplit();
        gatewayCpuMicrosPerConnection = (b1[0] - b0[0]) / 1000.0 / bare;
        report.result(
                "gateway bare connections (connect + upgrade + close, no handshake): %d in %d s; gateway CPU %.0f us each; "
                        + "so the hop handshake itself costs %.0f us of gateway CPU",
                bare,
                seconds,
                gatewayCpuMicrosPerConnection,
                gatewayCpuMicrosPerHandshake - gatewayCpuMicrosPerConnection);
    }

    private static long handshakes(Child gw, int workers, int seconds) throws Exception {
        return repeat(workers, seconds, () -> HopPeer.connect(gw).conn.abort());
    }

    interface Op {
        void run() throws Exception;
    }

    /** Runs {@code op} in a loop on {@code workers} virtual threads for {@code seconds}; returns how often. */
    static long repeat(int workers, int seconds, Op op) throws Exception {
        AtomicLong count = new AtomicLong();
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int w = 0; w < workers; w++) {
                ex.submit(
                        () -> {
                            while (System.nanoTime() < end) {
                                op.run();
                                count.incrementAndGet();
                            }
                            return null;
                        });
            }
        }
        return count.get();
    }

    /** The JMH primitive sum of the gateway's side of one handshake, and the measured CPU against it. */
    void primitiveSum(Path jmhJson) throws IOException {
        JsonNode results = Child.JSON.readTree(jmhJson.toFile());
        Map<String, Double> us = new HashMap<>();
        for (JsonNode r : results) {
            String name = r.path("benchmark").asText();
            us.put(
                    name.substring(name.lastIndexOf('.') + 1),
                    r.path("primaryMetric").path("score").asDouble());
        }
        // per spec/hop-handshake.md and RK2, what the gateway computes for one handshake
        double sum =
                us.get("xwingEncaps")
                        + us.get("xwingDecaps")
                        + us.get("random64")
                        + us.get("sha256ClientHello")
                        + us.get("sha256ServerHello")
                        + 2 * us.get("sha256Short")
                        + 2 * us.get("hkdfExtract")
                        + 8 * us.get("hkdfExpand")
                        + 2 * us.get("hmac")
                        + 2 * us.get("gcmKeySetup");
        report.result(
                "JMH primitive sum for the gateway's side of one handshake: %.0f us (encaps %.0f, decaps %.0f); "
                        + "both sides in memory: %.0f us",
                sum,
                us.get("xwingEncaps"),
                us.get("xwingDecaps"),
                us.get("serverHandshakeInMemory"));
        if (gatewayCpuMicrosPerHandshake > 0) {
            report.result(
                    "gateway CPU per hop handshake (network handshake minus bare connection) / primitive sum = %.2f (target <= 1.2); "
                            + "with the connection's own cost: %.2f",
                    (gatewayCpuMicrosPerHandshake - gatewayCpuMicrosPerConnection) / sum,
                    gatewayCpuMicrosPerHandshake / sum);
        }
    }
}
