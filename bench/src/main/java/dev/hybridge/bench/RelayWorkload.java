package dev.hybridge.bench;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * Relay throughput with 1 KiB envelopes in rooms of a given size (closed loop, at most
 * {@link #WINDOW} envelopes in flight per sender), then p50/p99/p99.9 latency at fractions of
 * that peak (open loop, one pacing thread).
 */
final class RelayWorkload {
    /** Envelopes one sender may have in flight during the peak measurement. */
    static final int WINDOW = 16;

    static final double[] LATENCY_FRACTIONS = {0.5, 0.25, 0.1};

    private final Options opt;
    private final Report report;
    private final Map<Integer, Double> peaksGateway = new ConcurrentHashMap<>();

    RelayWorkload(Options opt, Report report) {
        this.opt = opt;
        this.report = report;
    }

    void run(Child server, int size) throws Exception {
        boolean hop = server.gateway;
        int seconds = opt.seconds;
        int rooms = Math.max(1, 60 / size);
        Counters counters = new Counters(rooms * size, WINDOW);
        List<List<Peer>> all = new ArrayList<>();
        for (int r = 0; r < rooms; r++) {
            all.add(
                    hop
                            ? HopPeer.room(server, size, counters)
                            : JsonPeer.room(server, size, counters, "bench-" + size + "-" + r));
        }
        String name = server.name() + " relay, rooms of " + size + " (" + rooms * size + " peers)";
        // peak: every peer sends as fast as it can with at most WINDOW envelopes in flight, so the
        // figure is what the relay sustains, not how fast queues can grow in front of receivers
        // warm-up: one round, then for the gateway more rounds until its JIT compiler threads are
        // quiet
        // (under 2% of its CPU in a round): compilation is a start-up cost
        blast(all, opt.warmupRound, counters, Long.MAX_VALUE);
        for (int round = 0; hop && round < opt.warmupRounds; round++) {
            long[] c0 = server.cpuSplit();
            blast(all, opt.warmupRound, counters, Long.MAX_VALUE);
            long[] c1 = server.cpuSplit();
            if (c1[1] - c0[1] < 0.02 * (c1[0] - c0[0])) {
                break;
            }
        }
        counters.drain();
        long r0 = counters.received.get();
        long cpu0 = server.cpuNanos();
        long t0 = System.nanoTime();
        blast(all, seconds, counters, Long.MAX_VALUE);
        long sendEnd = System.nanoTime();
        long cpuWindow = server.cpuNanos() - cpu0;
        // what was sent in the window but still queued counts only if it arrives within 1 s
        long inWindow = counters.received.get();
        if (opt.debug && hop) {
            System.out.println(
                    "debug: received "
                            + (inWindow - r0)
                            + "; gateway "
                            + Child.grep(
                                    Child.get(server.port, "/metrics"),
                                    "hybridge_envelopes_relayed_total|hybridge_inputs_rejected|hybridge_limit_hits"));
        }
        opt.settle(1000);
        double peak = (inWindow - r0) / ((sendEnd - t0) / 1e9);
        double cpuPerEnvelope = cpuWindow / 1000.0 / Math.max(1, inWindow - r0);
        counters.drain();
        report.result(
                "%s: peak %.0f envelopes/s (%.1f MiB/s of 1 KiB envelopes), relay process CPU %.1f us per envelope",
                name, peak, peak * Counters.ENVELOPE / 1048576.0, cpuPerEnvelope);
        // latency at half of the peak rate (the target), then at a quarter and a tenth: on 2 cores
        // shared with the load generator, half of the peak keeps the machine nearly busy
        for (double fraction : opt.smoke ? new double[] {0.5} : LATENCY_FRACTIONS) {
            latency(server, all, counters, peak * fraction, fraction, seconds, name, size);
        }
        if (hop) {
            peaksGateway.put(size, peak);
        } else {
            Double g = peaksGateway.get(size);
            if (g != null) {
                report.result(
                        "throughput ratio gateway (hop-encrypted) / node ws (plain JSON), rooms of %d: %.2f",
                        size, g / peak);
            }
        }
        all.forEach(room -> room.forEach(Peer::close));
        opt.settle(2000);
    }

    /** Open-loop load at {@code rate} envelopes/s in all: latency percentiles and who used the cores. */
    private void latency(
            Child server,
            List<List<Peer>> all,
            Counters counters,
            double rate,
            double fraction,
            int seconds,
            String name,
            int size)
            throws Exception {
        counters.drain();
        Histogram h = new Histogram(3);
        counters.histogram = h;
        long perPeerIntervalNanos = (long) (1e9 / (rate / (all.size() * size)));
        long[] m0 = Child.machine();
        long s0 = server.cpuNanos();
        long g0 = Child.selfCpu();
        long r0 = counters.received.get();
        blast(all, seconds, counters, perPeerIntervalNanos);
        long[] m1 = Child.machine();
        long received = counters.received.get() - r0;
        opt.settle(1000);
        counters.histogram = null;
        int cores = Runtime.getRuntime().availableProcessors();
        synchronized (h) {
            report.result(
                    "%s at %.0f%% of peak (%.0f/s sent, %.0f/s received in the window): p50 %d us, p99 %d us, p99.9 %d us, "
                            + "max %d us (%d samples); cores busy: relay %.2f, load generator %.2f, machine %.2f of %d",
                    name,
                    100 * fraction,
                    rate,
                    received / (double) seconds,
                    h.getValueAtPercentile(50),
                    h.getValueAtPercentile(99),
                    h.getValueAtPercentile(99.9),
                    h.getMaxValue(),
                    h.getTotalCount(),
                    (server.cpuNanos() - s0) / 1e9 / seconds,
                    (Child.selfCpu() - g0) / 1e9 / seconds,
                    (double) (m1[0] - m0[0]) / (m1[1] - m0[1]) * cores,
                    cores);
        }
    }

    /**
     * Each peer sends round-robin to the others of its room for {@code seconds}: paced if
     * interval < MAX (open loop; latency), else as fast as its window allows (closed loop; peak).
     */
    static void blast(List<List<Peer>> rooms, int seconds, Counters counters, long intervalNanos)
            throws Exception {
        counters.resetWindows();
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        if (intervalNanos != Long.MAX_VALUE) {
            paced(rooms, end, intervalNanos);
            return;
        }
        int sender = 0;
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            for (List<Peer> room : rooms) {
                for (int i = 0; i < room.size(); i++) {
                    Peer p = room.get(i);
                    int self = i;
                    int size = room.size();
                    int id = sender++;
                    Semaphore window = counters.window[id];
                    ex.submit(
                            () -> {
                                long seq = 0;
                                byte[] env = new byte[Counters.ENVELOPE];
                                while (System.nanoTime() < end) {
                                    if (!window.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                                        continue; // nothing came back for a while: look at the
                                        // clock again
                                    }
                                    int to = (self + 1 + (int) (seq % (size - 1))) % size;
                                    ByteBuffer.wrap(env)
                                            .putLong(0, seq++)
                                            .putLong(8, System.nanoTime())
                                            .putInt(16, id);
                                    p.relay(to, env.clone());
                                }
                                return null;
                            });
                }
            }
        }
    }

    /** One paced sender: when it sends next, to whom, with which sequence number. */
    private static final class Pace {
        final Peer peer;
        final int self;
        final int size;
        final int id;
        long seq;
        long next;

        Pace(Peer peer, int self, int size, int id, long next) {
            this.peer = peer;
            this.self = self;
            this.size = size;
            this.id = id;
            this.next = next;
        }
    }

    /**
     * Open-loop load: one platform thread sends for every peer at its scheduled times (a peer
     * that falls behind catches up at once). A thread per peer parking between sends cost the
     * load generator a timed wake-up per envelope, about a third of its CPU at half load.
     */
    static void paced(List<List<Peer>> rooms, long end, long intervalNanos) throws Exception {
        PriorityQueue<Pace> due = new PriorityQueue<>(Comparator.comparingLong((Pace x) -> x.next));
        long start = System.nanoTime();
        int id = 0;
        for (List<Peer> room : rooms) {
            for (int i = 0; i < room.size(); i++) {
                due.add(
                        new Pace(
                                room.get(i),
                                i,
                                room.size(),
                                id++,
                                start + (long) (HopPeer.RNG.nextDouble() * intervalNanos)));
            }
        }
        byte[] env = new byte[Counters.ENVELOPE];
        while (true) {
            Pace p = due.poll();
            long wait = p.next - System.nanoTime();
            if (wait > 50_000) {
                LockSupport.parkNanos(
                        wait); // no spinning: on 2 cores it would take the relay's CPU
            } // sends due within 50 us go now; each envelope carries its real send time
            if (p.next >= end) {
                return;
            }
            int to = (p.self + 1 + (int) (p.seq % (p.size - 1))) % p.size;
            ByteBuffer.wrap(env).putLong(0, p.seq++).putLong(8, System.nanoTime()).putInt(16, p.id);
            p.peer.relay(to, env);
            p.next += intervalNanos;
            due.add(p);
        }
    }
}
