package dev.hybridge.bench;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The load tool's command line ({@code --name=value} and bare {@code --flag}s), with its defaults.
 * Anything not named here is ignored, as before.
 */
final class Options {
    /** Idle sessions to establish (phase idle). */
    final int sessions;

    /**
     * Phase idle: sessions opened and closed on each side before its baseline reading, so that
     * memory a fresh process touches for the first time under any traffic is not counted against
     * the idle sessions (0: none, as before 2026-12-02 afternoon).
     */
    final int idleWarmup;

    /** Seconds of one measurement window. */
    final int seconds;

    /**
     * Which phases run: handshakes, idle, relay, node (the Node relay side of idle and relay),
     * shape (browser-shaped, both sides), storm (the reconnect storm; not in the default).
     */
    final Set<String> phases;

    /** Room sizes of the relay phase. */
    final int[] rooms;

    /** Extra JVM options for the gateway child (e.g. a JFR recording). */
    final String gatewayJvm;

    /** Print the gateway's class histogram after the idle phase. */
    final boolean histogram;

    /**
     * Print where the gateway's resident memory went in the idle phase: its native memory tracking
     * (which {@code --nmt} turns on in the gateway child) as a diff against the baseline.
     */
    final boolean nmt;

    /**
     * A third side in phases idle and shape: the same relay through Helidon's own WebSocket module
     * (bench only, {@link dev.hybridge.bench.helidon.HelidonGateway}), with {@link #gatewayJvm}.
     */
    final boolean helidon;

    /** The JMH result of HandshakePrimitivesBench, for the primitive sum. */
    final Path jmh;

    /** The Node relay script (bench/node-relay). */
    final Path nodeRelay;

    /** At most this many seconds of handshake warm-up (5 s rounds until the JIT is quiet). */
    final int handshakeWarmup;

    /** Client threads of the handshake phase. */
    final int handshakeWorkers;

    /** Seconds of one warm-up round, and how many extra relay rounds may wait for the JIT. */
    final int warmupRound;

    final int warmupRounds;

    /** Browser-shaped workloads of phase shape ({@link ShapeWorkload.Shape#parse}). */
    final java.util.List<ShapeWorkload.Shape> shapes;

    /** Alternating rounds per shape and side. */
    final int rounds;

    /** Seconds of one warm-up round of a shape. */
    final int shapeWarmup;

    /** Reconnect storm: sessions, how the gateway is stopped (term or kill), at most how long to wait for all to rejoin. */
    final int stormSessions;

    final String stormSignal;
    final int stormTimeout;

    /** A test of the tool itself (LoadBenchSmokeTest): shortest warm-ups and pauses, figures meaningless. */
    final boolean smoke;

    /** Extra output while profiling ({@code -Dloadbench.debug=true}). */
    final boolean debug = Boolean.getBoolean("loadbench.debug");

    Options(String[] args) {
        Map<String, String> opt = parse(args);
        sessions = Integer.parseInt(opt.getOrDefault("sessions", "10000"));
        seconds = Integer.parseInt(opt.getOrDefault("seconds", "10"));
        phases = Set.of(opt.getOrDefault("phases", "handshakes,idle,relay,node,shape").split(","));
        rooms =
                Arrays.stream(opt.getOrDefault("rooms", "2,6").split(","))
                        .mapToInt(Integer::parseInt)
                        .toArray();
        gatewayJvm =
                (opt.getOrDefault("gateway-jvm", "")
                                + (opt.containsKey("nmt")
                                        ? " -XX:NativeMemoryTracking=summary"
                                        : ""))
                        .strip();
        histogram = opt.containsKey("histogram");
        nmt = opt.containsKey("nmt");
        helidon = opt.containsKey("helidon");
        jmh = Path.of(opt.getOrDefault("jmh", "bench/target/jmh.json"));
        nodeRelay = Path.of(opt.getOrDefault("node-relay", "bench/node-relay/relay.mjs"));
        shapes =
                Arrays.stream(
                                opt.getOrDefault("shapes", "5000x2,500x20,closed,pingpong")
                                        .split(","))
                        .map(ShapeWorkload.Shape::parse)
                        .toList();
        rounds = Integer.parseInt(opt.getOrDefault("rounds", "3"));
        stormSessions = Integer.parseInt(opt.getOrDefault("storm-sessions", "10000"));
        stormSignal = opt.getOrDefault("storm-signal", "term");
        stormTimeout = Integer.parseInt(opt.getOrDefault("storm-timeout", "180"));
        if (!stormSignal.equals("term") && !stormSignal.equals("kill")) {
            throw new IllegalArgumentException("--storm-signal: term or kill");
        }
        smoke = opt.containsKey("smoke");
        idleWarmup = smoke ? 0 : Integer.parseInt(opt.getOrDefault("idle-warmup", "2000"));
        handshakeWarmup = smoke ? 0 : Integer.parseInt(opt.getOrDefault("handshake-warmup", "60"));
        handshakeWorkers = Integer.parseInt(opt.getOrDefault("handshake-workers", "4"));
        warmupRound = smoke ? 1 : 3;
        shapeWarmup = smoke ? 1 : Integer.parseInt(opt.getOrDefault("shape-warmup", "5"));
        warmupRounds = smoke ? 0 : 10;
    }

    /** A pause between phases (for queues to empty, sockets to close): {@code ms}, or a tenth of it in a smoke run. */
    void settle(long ms) throws InterruptedException {
        Thread.sleep(smoke ? ms / 10 : ms);
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> m = new HashMap<>();
        for (String a : args) {
            if (a.startsWith("--") && a.contains("=")) {
                m.put(a.substring(2, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
            } else if (a.startsWith("--")) {
                m.put(a.substring(2), "");
            }
        }
        return m;
    }
}
