package dev.hybridge.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;

/**
 * Relay throughput and latency of rooms whose members sit on one gateway versus spread over three
 * cluster nodes (spec/cluster.md), side by side in one run: a lone gateway (no cluster), three
 * nodes with each room's members on one node, and three nodes with each room's members spread
 * (two per node). Everything on loopback: a real nats-server and three gateway processes; CPU is
 * every gateway's plus nats-server's, read from /proc. With {@code --phases=idle} (or
 * {@code relay,idle}): how far idle sessions and rooms scale on the three nodes against the lone
 * gateway ({@link ClusterIdle}). Usage (bench/run-cluster.sh): {@code ClusterBench [--seconds=10]
 * [--room-size=6] [--rooms=10] [--rounds=3] [--phases=relay] [--sessions=10000]
 * [--idle-warmup=1000]}.
 */
public final class ClusterBench {
    private static final Path NATS = Path.of("/usr/sbin/nats-server");

    private ClusterBench() {}

    private record Scenario(String name, List<Child> nodes, Process nats, boolean spread) {}

    private record Peak(double perSecond, double cpuUsPerEnvelope, double busMessagesPerEnvelope) {}

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = new LinkedHashMap<>();
        for (String a : args) {
            String[] kv = a.replaceFirst("^--", "").split("=", 2);
            opt.put(kv[0], kv.length > 1 ? kv[1] : "true");
        }
        int seconds = Integer.parseInt(opt.getOrDefault("seconds", "10"));
        int size = Integer.parseInt(opt.getOrDefault("room-size", "6"));
        int rooms = Integer.parseInt(opt.getOrDefault("rooms", "10"));
        java.util.Set<String> phases =
                java.util.Set.of(opt.getOrDefault("phases", "relay").split(","));
        int sessions = Integer.parseInt(opt.getOrDefault("sessions", "10000"));
        if (phases.contains("idle")) {
            Child.requireOpenFiles(sessions + 1024L, "the idle phase's client sockets");
        }
        if (!Files.isExecutable(NATS)) {
            throw new IllegalStateException(NATS + " is missing: apt-get install nats-server");
        }
        System.out.printf(
                "ClusterBench (%s): relay in rooms of %d (%d rooms), 1 KiB envelopes, %d s per"
                        + " measurement; idle: %d sessions in rooms of 2; %d cores%n",
                String.join(",", phases),
                size,
                rooms,
                seconds,
                sessions,
                Runtime.getRuntime().availableProcessors());
        Path dir = Files.createTempDirectory("hybridge-cluster-bench");
        Path staticKey = dir.resolve("gateway.key");
        Path clusterKey = dir.resolve("cluster.key");
        byte[] ck = new byte[32];
        new SecureRandom().nextBytes(ck);
        Files.writeString(clusterKey, HexFormat.of().formatHex(ck));
        Files.setPosixFilePermissions(clusterKey, PosixFilePermissions.fromString("rw-------"));
        int natsPort = Child.freePort();
        Process nats =
                new ProcessBuilder(
                                NATS.toString(), "-a", "127.0.0.1", "-p", String.valueOf(natsPort))
                        .redirectErrorStream(true)
                        .redirectOutput(dir.resolve("nats.log").toFile())
                        .start();
        List<Child> cluster = new ArrayList<>();
        Child alone = null;
        try {
            awaitPort(natsPort);
            String jvm =
                    "-Dhybridge.cluster.enabled=true -Dhybridge.cluster.nats-urls=nats://127.0.0.1:"
                            + natsPort
                            + " -Dhybridge.cluster.key-file="
                            + clusterKey;
            // a shared machine can keep a request head waiting longer than the default 10 s
            String slow = " -Dhybridge.limits.header-timeout=PT60S";
            jvm += slow;
            alone = Child.gateway(slow, Child.freePort(), staticKey);
            for (int i = 0; i < 3; i++) {
                cluster.add(Child.gateway(jvm, Child.freePort(), staticKey));
            }
            for (Child c : cluster) {
                awaitMetric(c, "hybridge_cluster_nodes", 3);
            }
            if (phases.contains("relay")) {
                relay(alone, cluster, nats, opt, seconds, size, rooms);
            }
            if (phases.contains("idle")) {
                int warmup = Integer.parseInt(opt.getOrDefault("idle-warmup", "1000"));
                ToLongFunction<Child> roomsOf =
                        c -> {
                            try {
                                return metric(c, "hybridge_rooms");
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                        };
                ClusterIdle.Result one =
                        ClusterIdle.run(
                                "one gateway, no cluster",
                                List.of(alone),
                                sessions,
                                warmup,
                                roomsOf,
                                false);
                ClusterIdle.Result three =
                        ClusterIdle.run(
                                "3 nodes, each room over 2 nodes",
                                cluster,
                                sessions,
                                warmup,
                                roomsOf,
                                true);
                ClusterIdle.summary(one, three);
            }
        } finally {
            for (Child c : cluster) {
                c.stop();
            }
            if (alone != null) {
                alone.stop();
            }
            nats.destroy();
            nats.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** The relay comparison: throughput, CPU and latency of the three setups, side by side. */
    private static void relay(
            Child alone,
            List<Child> cluster,
            Process nats,
            Map<String, String> opt,
            int seconds,
            int size,
            int rooms)
            throws Exception {
        {
            List<Scenario> scenarios =
                    List.of(
                            new Scenario("one gateway, no cluster", List.of(alone), null, false),
                            new Scenario("3 nodes, each room on one node", cluster, nats, false),
                            new Scenario("3 nodes, each room spread over 3", cluster, nats, true));
            int roundsN = Integer.parseInt(opt.getOrDefault("rounds", "3"));
            Map<Scenario, List<List<Peer>>> built = new LinkedHashMap<>();
            Map<Scenario, Counters> counters = new LinkedHashMap<>();
            for (Scenario s : scenarios) {
                Counters c = new Counters(rooms * size, RelayWorkload.WINDOW);
                counters.put(s, c);
                built.put(s, build(s, rooms, size, c));
            }
            for (Scenario s : scenarios) { // warm-up: the JIT compiles the relay path everywhere
                for (int i = 0; i < 3; i++) {
                    RelayWorkload.blast(built.get(s), 4, counters.get(s), Long.MAX_VALUE);
                }
                counters.get(s).drain();
            }
            // alternating rounds (the order rotates), so a change in the machine's load hits all
            Map<Scenario, List<Peak>> peakRounds = new LinkedHashMap<>();
            for (int round = 0; round < roundsN; round++) {
                for (int k = 0; k < scenarios.size(); k++) {
                    Scenario s = scenarios.get((k + round) % scenarios.size());
                    System.out.printf("round %d: ", round + 1);
                    peakRounds
                            .computeIfAbsent(s, x -> new ArrayList<>())
                            .add(peak(s, built.get(s), counters.get(s), seconds));
                }
            }
            Map<Scenario, Peak> peaks = new LinkedHashMap<>();
            for (Scenario s : scenarios) {
                List<Peak> ps = new ArrayList<>(peakRounds.get(s));
                ps.sort(java.util.Comparator.comparingDouble(Peak::perSecond));
                peaks.put(s, ps.get(ps.size() / 2));
            }
            double rate =
                    0.5 * peaks.values().stream().mapToDouble(Peak::perSecond).min().orElse(0);
            Map<Scenario, List<long[]>> latRounds = new LinkedHashMap<>();
            for (int round = 0; round < roundsN; round++) {
                for (int k = 0; k < scenarios.size(); k++) {
                    Scenario s = scenarios.get((k + round) % scenarios.size());
                    long[] l = latency(built.get(s), counters.get(s), rate, seconds);
                    System.out.printf(
                            "round %d: %s at %.0f/s: p50 %d us, p99 %d us%n",
                            round + 1, s.name(), rate, l[0], l[1]);
                    latRounds.computeIfAbsent(s, x -> new ArrayList<>()).add(l);
                }
            }
            Map<Scenario, long[]> latencies = new LinkedHashMap<>();
            for (Scenario s : scenarios) {
                List<long[]> ls = latRounds.get(s);
                long[] p50 = ls.stream().mapToLong(l -> l[0]).sorted().toArray();
                long[] p99 = ls.stream().mapToLong(l -> l[1]).sorted().toArray();
                latencies.put(s, new long[] {p50[p50.length / 2], p99[p99.length / 2]});
            }
            for (List<List<Peer>> all : built.values()) {
                all.forEach(r -> r.forEach(Peer::close));
            }
            System.out.println();
            System.out.println(
                    "SUMMARY (side by side, this run; medians of "
                            + roundsN
                            + " alternating rounds)");
            System.out.printf(
                    "%-36s %12s %10s %12s %9s %9s %10s%n",
                    "", "peak env/s", "CPU us/env", "bus msg/env", "p50 us", "p99 us", "vs alone");
            double base = peaks.get(scenarios.get(0)).perSecond();
            for (Scenario s : scenarios) {
                Peak p = peaks.get(s);
                long[] l = latencies.get(s);
                System.out.printf(
                        "%-36s %12.0f %10.1f %12.2f %9d %9d %9.2fx%n",
                        s.name(),
                        p.perSecond(),
                        p.cpuUsPerEnvelope(),
                        p.busMessagesPerEnvelope(),
                        l[0],
                        l[1],
                        p.perSecond() / base);
            }
            double crossFraction = (size - size / 3.0) / (size - 1.0);
            double local = peaks.get(scenarios.get(1)).cpuUsPerEnvelope();
            double spread = peaks.get(scenarios.get(2)).cpuUsPerEnvelope();
            System.out.printf(
                    "latency measured at %.0f envelopes/s in all (half of the lowest peak)%n",
                    rate);
            System.out.printf(
                    "cost per cross-node envelope: %.1f us of CPU (gateways + nats-server) more than a"
                            + " local one (%.0f%% of envelopes cross nodes when spread)%n",
                    (spread - local) / crossFraction, 100 * crossFraction);
        }
    }

    /** Rooms of {@code size} joined peers: all on one node (room r on node r % n), or spread. */
    private static List<List<Peer>> build(Scenario s, int rooms, int size, Counters counters)
            throws Exception {
        List<List<Peer>> all = new ArrayList<>();
        byte[] pk = dev.hybridge.crypto.XWingKeyPair.generate(HopPeer.RNG).publicKey();
        for (int r = 0; r < rooms; r++) {
            byte[] roomId = new byte[32];
            HopPeer.RNG.nextBytes(roomId);
            List<HopPeer> hs = new ArrayList<>();
            byte[][] ids = new byte[size][];
            for (int i = 0; i < size; i++) {
                Child node = s.nodes().get((s.spread() ? i : r) % s.nodes().size());
                HopPeer h = HopPeer.connect(node.ws(), node.publicKey, 30_000);
                h.counters = counters;
                ids[i] = h.join(roomId, pk, 30_000);
                if (ids[i] == null) {
                    throw new IllegalStateException("no JOINED in " + s.name());
                }
                hs.add(h);
            }
            for (HopPeer h : hs) {
                h.ids = ids;
            }
            all.add(new ArrayList<>(hs));
        }
        Thread.sleep(1000); // every node has heard of every member
        return all;
    }

    private static Peak peak(Scenario s, List<List<Peer>> all, Counters counters, int seconds)
            throws Exception {
        counters.drain();
        long r0 = counters.received.get();
        long cpu0 = cpu(s);
        long bus0 = bus(s);
        long t0 = System.nanoTime();
        RelayWorkload.blast(all, seconds, counters, Long.MAX_VALUE);
        long t1 = System.nanoTime();
        long cpu = cpu(s) - cpu0;
        long bus = bus(s) - bus0;
        long n = Math.max(1, counters.received.get() - r0);
        counters.drain();
        Peak p = new Peak(n / ((t1 - t0) / 1e9), cpu / 1000.0 / n, bus / (double) n);
        System.out.printf(
                "%s: peak %.0f envelopes/s, CPU %.1f us per envelope, %.2f bus messages per envelope%n",
                s.name(), p.perSecond(), p.cpuUsPerEnvelope(), p.busMessagesPerEnvelope());
        return p;
    }

    private static long[] latency(List<List<Peer>> all, Counters counters, double rate, int seconds)
            throws Exception {
        counters.drain();
        Histogram h = new Histogram(3);
        counters.histogram = h;
        int peers = all.stream().mapToInt(List::size).sum();
        RelayWorkload.blast(all, seconds, counters, (long) (1e9 / (rate / peers)));
        counters.drain();
        counters.histogram = null;
        synchronized (h) {
            return new long[] {h.getValueAtPercentile(50), h.getValueAtPercentile(99)};
        }
    }

    /** CPU of every gateway of the scenario and of nats-server, ns. */
    private static long cpu(Scenario s) throws IOException {
        long sum = 0;
        for (Child c : s.nodes()) {
            sum += c.cpuNanos();
        }
        if (s.nats() != null) {
            String stat = Files.readString(Path.of("/proc/" + s.nats().pid() + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            sum += (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L;
        }
        return sum;
    }

    /** Bus messages the nodes of the scenario published so far. */
    private static long bus(Scenario s) throws Exception {
        if (s.nats() == null) {
            return 0;
        }
        long sum = 0;
        for (Child c : s.nodes()) {
            sum += metric(c, "hybridge_cluster_bus_messages_total{direction=\"out\"}");
        }
        return sum;
    }

    private static long metric(Child c, String name) throws Exception {
        Matcher m =
                Pattern.compile("(?m)^" + Pattern.quote(name) + " (\\d+)")
                        .matcher(Child.get(c.port, "/metrics"));
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    private static void awaitMetric(Child c, String name, long want) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (metric(c, name) != want) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(name + " never reached " + want);
            }
            Thread.sleep(100);
        }
    }

    private static void awaitPort(int port) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(50);
            }
        }
    }
}
