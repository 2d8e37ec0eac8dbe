package dev.hybridge.bench;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * Browser-shaped relay load, the gateway and the Node relay side by side in one run: many
 * connections in rooms of 2, each sending 1 KiB envelopes to its peer at a low fixed rate, one
 * message per write (TCP_NODELAY, nothing batched, nothing pipelined), as a browser tab sends its
 * signaling. The two sides alternate in rounds (gateway first in odd rounds, Node first in even
 * ones), so a change in the machine's load hits both; the figure is the ratio of their CPU per
 * relayed message.
 *
 * <p>Shapes: {@code NxR} is N connections at R messages/s each (open loop, paced from two
 * platform threads, each walking its senders in order of a random phase within the period);
 * {@code closed} is the peak workload of {@link RelayWorkload} (60 peers in rooms of 2, up to 16
 * envelopes in flight per sender); {@code pingpong} is the same with one in flight per sender
 * (each waits for its last envelope to arrive before it sends the next).
 */
final class ShapeWorkload {
    /** Sends due within this much of now go at once: one wake-up of a pacing thread serves them all. */
    static final long SLACK_NANOS = 1_000_000;

    /** Pacing threads: each serves half of the senders. */
    static final int PACERS = 2;

    record Shape(String name, int connections, double rate, int window) {
        boolean paced() {
            return rate > 0;
        }

        static Shape parse(String s) {
            s = s.trim();
            if (s.equals("closed")) {
                return new Shape(s, 60, 0, RelayWorkload.WINDOW);
            }
            if (s.equals("pingpong")) {
                return new Shape(s, 60, 0, 1);
            }
            String[] nr = s.split("x");
            if (nr.length != 2) {
                throw new IllegalArgumentException(
                        "shape "
                                + s
                                + ": expected NxR (N connections at R messages/s each), closed or pingpong");
            }
            int n = Integer.parseInt(nr[0]);
            double r = Double.parseDouble(nr[1]);
            if (n < 2 || n % 2 != 0 || r <= 0 || r > 1000) {
                throw new IllegalArgumentException(
                        "shape "
                                + s
                                + ": N must be even and at least 2 (rooms of 2), 0 < R <= 1000");
            }
            return new Shape(s, n, r, 1);
        }

        String describe() {
            return paced()
                    ? String.format(
                            "%d connections in rooms of 2, each %s msg/s, %.0f/s in all",
                            connections, fmt(rate), connections * rate)
                    : String.format(
                            "%d connections in rooms of 2, closed loop, %d in flight per sender",
                            connections, window);
        }
    }

    /** One round of one side. */
    record Measure(
            long delivered,
            double seconds,
            double serverUsPerMsg,
            double serverCores,
            long p50,
            long p99,
            double generatorCores,
            double generatorUsPerMsg,
            long lagP99Us,
            double machineCores) {
        double rate() {
            return delivered / seconds;
        }
    }

    /** One relay under load: its connections, what they received, its rounds. */
    private static final class Side {
        final Child server;
        final Counters counters;
        final List<List<Peer>> rooms;
        final List<Measure> rounds = new ArrayList<>();

        Side(Child server, Counters counters, List<List<Peer>> rooms) {
            this.server = server;
            this.counters = counters;
            this.rooms = rooms;
        }

        String name() {
            return server.label;
        }
    }

    private final Options opt;
    private final Report report;

    ShapeWorkload(Options opt, Report report) {
        this.opt = opt;
        this.report = report;
    }

    /** Open files this run needs: every side's connections are held by this process for a whole shape. */
    static long openFilesNeeded(List<Shape> shapes, int sides) {
        return (long) sides * shapes.stream().mapToInt(Shape::connections).max().orElse(0) + 256;
    }

    /** {@code helidon}: null, or the gateway's Helidon WebSocket variant as a third side. */
    void run(Child gw, Child helidon, Child node, List<Shape> shapes) throws Exception {
        for (Shape shape : shapes) {
            run(gw, helidon, node, shape);
        }
    }

    private void run(Child gw, Child helidon, Child node, Shape shape) throws Exception {
        System.out.printf(
                "%nshape %s: %s; %d rounds of %d s per side, alternating%n",
                shape.name(), shape.describe(), opt.rounds, opt.seconds);
        Side g = open(gw, shape);
        Side h = helidon == null ? null : open(helidon, shape);
        Side n = open(node, shape);
        List<Side> sides = h == null ? List.of(g, n) : List.of(g, h, n);
        try {
            // warm-up of each side; a JVM's until its JIT compiler threads are quiet
            // (under 2% of its CPU in a round), at most warmupRounds more rounds
            drive(n, shape, opt.shapeWarmup);
            for (Side jvm : h == null ? List.of(g) : List.of(g, h)) {
                drive(jvm, shape, opt.shapeWarmup);
                for (int round = 0; round < opt.warmupRounds; round++) {
                    long[] c0 = jvm.server.cpuSplit();
                    drive(jvm, shape, opt.shapeWarmup);
                    long[] c1 = jvm.server.cpuSplit();
                    if (c1[1] - c0[1] < 0.02 * (c1[0] - c0[0])) {
                        break;
                    }
                }
            }
            for (int round = 1; round <= opt.rounds; round++) {
                // each round starts with another side (two sides: gateway first in odd rounds)
                List<Side> order = new ArrayList<>(sides);
                java.util.Collections.rotate(order, -(round - 1) % sides.size());
                for (Side s : order) {
                    Measure m = measure(s, shape);
                    s.rounds.add(m);
                    System.out.printf(
                            "  round %d, %-8s delivered %.0f/s; relay CPU %.1f us per message (%.2f cores); "
                                    + "latency p50 %d us, p99 %d us; load generator %.2f cores (%.1f us per message%s); "
                                    + "machine %.2f cores busy%n",
                            round,
                            s.name() + ":",
                            m.rate(),
                            m.serverUsPerMsg(),
                            m.serverCores(),
                            m.p50(),
                            m.p99(),
                            m.generatorCores(),
                            m.generatorUsPerMsg(),
                            shape.paced() ? ", its send lag p99 " + m.lagP99Us() + " us" : "",
                            m.machineCores());
                }
            }
            Measure mg = median(g.rounds);
            Measure mn = median(n.rounds);
            report.result(
                    "shape %s (%s), median of %d rounds: relay CPU per relayed message gateway %.1f us, node %.1f us, "
                            + "ratio gateway/node %.2f; delivered gateway %.0f/s, node %.0f/s; p50/p99 gateway %d/%d us, node %d/%d us; "
                            + "load generator %.2f / %.2f cores (gateway / node rounds); machine %.2f / %.2f of %d cores busy",
                    shape.name(),
                    shape.describe(),
                    opt.rounds,
                    mg.serverUsPerMsg(),
                    mn.serverUsPerMsg(),
                    mg.serverUsPerMsg() / mn.serverUsPerMsg(),
                    mg.rate(),
                    mn.rate(),
                    mg.p50(),
                    mg.p99(),
                    mn.p50(),
                    mn.p99(),
                    mg.generatorCores(),
                    mn.generatorCores(),
                    mg.machineCores(),
                    mn.machineCores(),
                    Runtime.getRuntime().availableProcessors());
        } finally {
            close(g);
            close(n);
            opt.settle(1000);
        }
    }

    /** The round whose relay CPU per message is the median; its other figures come with it. */
    private static Measure median(List<Measure> ms) {
        List<Measure> sorted = new ArrayList<>(ms);
        sorted.sort((a, b) -> Double.compare(a.serverUsPerMsg(), b.serverUsPerMsg()));
        return sorted.get(sorted.size() / 2);
    }

    /** Establishes the shape's connections on one relay: rooms of 2, 16 connections being set up at a time. */
    private static Side open(Child server, Shape shape) throws Exception {
        int rooms = shape.connections() / 2;
        Counters counters = new Counters(shape.connections(), shape.window());
        List<List<Peer>> all = new ArrayList<>(rooms);
        long t0 = System.nanoTime();
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            Semaphore inFlight = new Semaphore(8); // rooms of 2: 16 connections
            List<Future<List<Peer>>> fs = new ArrayList<>(rooms);
            for (int r = 0; r < rooms; r++) {
                String tag = "shape-" + shape.name() + "-" + r;
                inFlight.acquire();
                fs.add(
                        ex.submit(
                                () -> {
                                    try {
                                        return server.gateway
                                                ? HopPeer.room(server, 2, counters)
                                                : JsonPeer.room(server, 2, counters, tag);
                                    } finally {
                                        inFlight.release();
                                    }
                                }));
            }
            for (var f : fs) {
                all.add(f.get(120, TimeUnit.SECONDS));
            }
        }
        System.out.printf(
                "  %s: %d connections joined in %.1f s%n",
                server.name(), shape.connections(), (System.nanoTime() - t0) / 1e9);
        return new Side(server, counters, all);
    }

    private static void close(Side s) throws InterruptedException {
        s.rooms.forEach(room -> room.forEach(Peer::close));
    }

    /** One measured window on one side. */
    private Measure measure(Side s, Shape shape) throws Exception {
        s.counters.drain();
        Histogram latency = new Histogram(3);
        Histogram lag = new Histogram(3);
        s.counters.histogram = latency;
        long[] m0 = Child.machine();
        long c0 = s.server.cpuNanos();
        long g0 = Child.selfCpu();
        long r0 = s.counters.received.get();
        long t0 = System.nanoTime();
        drive(s, shape, opt.seconds, lag);
        long wall = System.nanoTime() - t0;
        long delivered = s.counters.received.get() - r0;
        long cpu = s.server.cpuNanos() - c0;
        long gen = Child.selfCpu() - g0;
        long[] m1 = Child.machine();
        s.counters.histogram = null;
        int cores = Runtime.getRuntime().availableProcessors();
        double secs = wall / 1e9;
        synchronized (latency) {
            return new Measure(
                    delivered,
                    secs,
                    cpu / 1000.0 / Math.max(1, delivered),
                    cpu / 1e9 / secs,
                    latency.getValueAtPercentile(50),
                    latency.getValueAtPercentile(99),
                    gen / 1e9 / secs,
                    gen / 1000.0 / Math.max(1, delivered),
                    lag.getValueAtPercentile(99),
                    (double) (m1[0] - m0[0]) / Math.max(1, m1[1] - m0[1]) * cores);
        }
    }

    private static void drive(Side s, Shape shape, int seconds) throws Exception {
        drive(s, shape, seconds, new Histogram(3));
    }

    private static void drive(Side s, Shape shape, int seconds, Histogram lag) throws Exception {
        if (shape.paced()) {
            paced(s.rooms, shape.rate(), System.nanoTime() + seconds * 1_000_000_000L, lag);
        } else {
            RelayWorkload.blast(s.rooms, seconds, s.counters, Long.MAX_VALUE);
        }
    }

    /** One sender of a paced shape: its peer, the peer it sends to, its id and sequence number. */
    private static final class Sender {
        final Peer peer;
        final int to;
        final int id;
        final long phase;
        long seq;

        Sender(Peer peer, int to, int id, long phase) {
            this.peer = peer;
            this.to = to;
            this.id = id;
            this.phase = phase;
        }
    }

    /**
     * Every peer sends one envelope per period to the other peer of its room until {@code end}.
     * {@link #PACERS} platform threads share the senders; each walks its own in order of their
     * phase (a random offset within the period), parks until the next is due, and sends what is
     * due within {@link #SLACK_NANOS}: a timer wheel with one slot per sender, no thread per
     * connection and no wake-up per message. A sender that is late goes at once; how late is
     * recorded in {@code lag} (the load generator's own delay, printed beside the figures).
     */
    static void paced(List<List<Peer>> rooms, double rate, long end, Histogram lag)
            throws Exception {
        long period = (long) (1e9 / rate);
        List<List<Sender>> perThread = new ArrayList<>();
        for (int t = 0; t < PACERS; t++) {
            perThread.add(new ArrayList<>());
        }
        int id = 0;
        for (List<Peer> room : rooms) {
            for (int i = 0; i < room.size(); i++) {
                Sender s =
                        new Sender(
                                room.get(i),
                                (i + 1) % room.size(),
                                id,
                                (long) (HopPeer.RNG.nextDouble() * period));
                perThread.get(id % PACERS).add(s);
                id++;
            }
        }
        long start = System.nanoTime();
        List<Thread> threads = new ArrayList<>();
        Throwable[] failure = new Throwable[1];
        for (List<Sender> senders : perThread) {
            Sender[] order = senders.toArray(Sender[]::new);
            Arrays.sort(order, (a, b) -> Long.compare(a.phase, b.phase));
            threads.add(
                    Thread.ofPlatform()
                            .name("bench-pacer")
                            .start(
                                    () -> {
                                        byte[] env = new byte[Counters.ENVELOPE];
                                        Histogram myLag = new Histogram(3);
                                        try {
                                            for (long k = 0; ; k++) {
                                                for (Sender s : order) {
                                                    long due = start + k * period + s.phase;
                                                    if (due >= end) {
                                                        return;
                                                    }
                                                    long wait = due - System.nanoTime();
                                                    if (wait > SLACK_NANOS) {
                                                        LockSupport.parkNanos(wait);
                                                    }
                                                    long now = System.nanoTime();
                                                    myLag.recordValue(
                                                            Math.min(
                                                                    60_000_000L,
                                                                    Math.max(0, now - due) / 1000));
                                                    ByteBuffer.wrap(env)
                                                            .putLong(0, s.seq++)
                                                            .putLong(8, now)
                                                            .putInt(16, s.id);
                                                    s.peer.relay(s.to, env);
                                                }
                                            }
                                        } catch (Throwable e) {
                                            synchronized (failure) {
                                                failure[0] = e;
                                            }
                                        } finally {
                                            synchronized (lag) {
                                                lag.add(myLag);
                                            }
                                        }
                                    }));
        }
        for (Thread t : threads) {
            if (!t.join(
                    java.time.Duration.ofNanos(
                            Math.max(0, end - System.nanoTime()) + 30_000_000_000L))) {
                throw new IllegalStateException(
                        "a pacing thread did not finish 30 s after its end");
            }
        }
        synchronized (failure) {
            if (failure[0] != null) {
                throw new IllegalStateException("pacing thread failed", failure[0]);
            }
        }
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }
}
