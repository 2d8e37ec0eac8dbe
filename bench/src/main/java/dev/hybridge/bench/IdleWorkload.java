package dev.hybridge.bench;

import dev.hybridge.crypto.XWingKeyPair;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * N concurrent idle joined sessions (rooms of 2, as a call waiting between signaling bursts) on
 * the gateway and on the Node relay in the same run: time to establish them, and each server's
 * heap and RSS per session, read before and after with a full GC first; then the ratio.
 */
final class IdleWorkload {
    /** Per side: sessions, bytes of heap and of RSS they added. */
    record Footprint(int sessions, long heapBytes, long rssBytes) {
        double heapKiB() {
            return heapBytes / 1024.0 / sessions;
        }

        double rssKiB() {
            return rssBytes / 1024.0 / sessions;
        }
    }

    private final Options opt;
    private final Report report;

    /** The hop sides measured so far (gateway, helidon-ws), for the ratios to the Node relay. */
    private final java.util.Map<String, Footprint> hopSides = new java.util.LinkedHashMap<>();

    IdleWorkload(Options opt, Report report) {
        this.opt = opt;
        this.report = report;
    }

    Footprint run(Child server, int n) throws Exception {
        boolean hop = server.gateway;
        if (opt.idleWarmup > 0) {
            // The same sessions opened and closed first: a fresh process touches its memory for
            // the first time under any traffic (the JVM's young generation, V8's new space), and
            // that would be counted against the idle sessions measured next.
            System.out.printf(
                    "%s: %d sessions opened and closed before the baseline reading (--idle-warmup)%n",
                    server.name(), opt.idleWarmup);
            for (Peer p : establish(server, opt.idleWarmup)) {
                p.close();
            }
            opt.settle(3000);
        }
        long heap0 = server.heapUsedAfterGc();
        long rss0 = server.rssBytes();
        java.util.Map<String, Long> maps0 = java.util.Map.of();
        if (opt.nmt && hop) {
            server.jcmd("VM.native_memory baseline");
            maps0 = smaps(server);
        }
        long t0 = System.nanoTime();
        List<Peer> open = establish(server, n);
        long wall = System.nanoTime() - t0;
        opt.settle(1000);
        long heap1 = server.heapUsedAfterGc();
        long rss1 = server.rssBytes();
        if (opt.nmt && hop) {
            // What the JVM accounts for, then what the process holds: freed C heap that glibc
            // keeps (a malloc spike) shows only in the second, as an anonymous mapping.
            System.out.println("native memory of the " + server.name() + ", against the baseline:");
            server.jcmd("VM.native_memory summary.diff scale=KB")
                    .lines()
                    .limit(80)
                    .forEach(System.out::println);
            printGrowth(maps0, server);
        }
        if (opt.histogram && hop) {
            System.out.println("class histogram of the " + server.name() + ":");
            server.jcmd("GC.class_histogram").lines().limit(45).forEach(System.out::println);
        }
        Footprint f = new Footprint(n, heap1 - heap0, rss1 - rss0);
        if (hop) {
            hopSides.put(server.label, f);
            report.result(
                    "%s idle joined hop sessions: %d established in %.1f s (%.0f/s); heap %.1f KiB per session "
                            + "(%.1f MiB total), RSS %.1f KiB per session",
                    server.label,
                    n,
                    wall / 1e9,
                    n / (wall / 1e9),
                    f.heapKiB(),
                    f.heapBytes() / 1048576.0,
                    f.rssKiB());
        } else {
            report.result(
                    "node ws relay idle joined connections: %d in %.1f s; heap (V8 + external) %.1f KiB per connection, "
                            + "RSS %.1f KiB per connection (%.1f MiB total)",
                    n, wall / 1e9, f.heapKiB(), f.rssKiB(), f.rssBytes() / 1048576.0);
            for (var e : hopSides.entrySet()) {
                Footprint g = e.getValue();
                report.result(
                        "idle joined session, %s / node ws relay (%d each, same run): RSS %.1f / %.1f KiB = %.2f; "
                                + "heap %.1f / %.1f KiB = %.2f",
                        e.getKey(),
                        n,
                        g.rssKiB(),
                        f.rssKiB(),
                        g.rssKiB() / f.rssKiB(),
                        g.heapKiB(),
                        f.heapKiB(),
                        g.heapKiB() / f.heapKiB());
            }
        }
        for (Peer p : open) {
            p.close();
        }
        opt.settle(3000);
        return f;
    }

    /** Resident KiB of each mapping of the process, by its first line in smaps. */
    private static java.util.Map<String, Long> smaps(Child server) throws java.io.IOException {
        java.util.Map<String, Long> rss = new java.util.HashMap<>();
        String mapping = "?";
        for (String line :
                java.nio.file.Files.readAllLines(
                        java.nio.file.Path.of("/proc/" + server.pid() + "/smaps"))) {
            if (!line.contains(":") || line.indexOf(' ') < line.indexOf(':')) {
                mapping = line; // "start-end perms offset dev inode [path]"
            } else if (line.startsWith("Rss:")) {
                rss.merge(mapping, Long.parseLong(line.replaceAll("\\D+", "")), Long::sum);
            }
        }
        return rss;
    }

    /** The mappings whose resident memory changed most since {@code before}. */
    private static void printGrowth(java.util.Map<String, Long> before, Child server)
            throws java.io.IOException {
        System.out.println("resident growth by mapping (KiB, largest first):");
        smaps(server).entrySet().stream()
                .map(
                        e ->
                                java.util.Map.entry(
                                        e.getKey(),
                                        e.getValue() - before.getOrDefault(e.getKey(), 0L)))
                .filter(e -> e.getValue() != 0)
                .sorted((a, b) -> Long.compare(Math.abs(b.getValue()), Math.abs(a.getValue())))
                .limit(12)
                .forEach(e -> System.out.printf("  %+8d  %s%n", e.getValue(), e.getKey()));
    }

    /** {@code n} joined sessions on {@code server} (rooms of 2), 16 being set up at a time. */
    private static List<Peer> establish(Child server, int n) throws Exception {
        boolean hop = server.gateway;
        List<Peer> open = new ArrayList<>(n);
        byte[] pk = XWingKeyPair.generate(HopPeer.RNG).publicKey();
        String tag = "idle-" + Long.toHexString(HopPeer.RNG.nextLong()) + "-"; // rooms of this call
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Peer>> fs = new ArrayList<>();
            Semaphore inFlight = new Semaphore(16);
            byte[][] roomIds = new byte[(n + 1) / 2][32];
            for (byte[] id : roomIds) {
                HopPeer.RNG.nextBytes(id);
            }
            for (int i = 0; i < n; i++) {
                int idx = i;
                inFlight.acquire();
                fs.add(
                        ex.submit(
                                () -> {
                                    try {
                                        if (hop) { // hop handshake, then JOIN: 2 per room
                                            HopPeer h = HopPeer.connect(server);
                                            if (h.join(roomIds[idx / 2], pk, 30_000) == null) {
                                                throw new IllegalStateException(
                                                        "no JOINED within 30 s");
                                            }
                                            return h;
                                        }
                                        JsonPeer p =
                                                JsonPeer.connect(
                                                        server); // the seed's join: no handshake
                                        if (p.join(tag + (idx / 2)) == null) {
                                            throw new IllegalStateException(
                                                    "no joined within 30 s");
                                        }
                                        return p;
                                    } finally {
                                        inFlight.release();
                                    }
                                }));
            }
            for (var f : fs) {
                open.add(f.get(120, TimeUnit.SECONDS));
            }
        }
        return open;
    }
}
