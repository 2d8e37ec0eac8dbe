package dev.hybridge.bench;

import dev.hybridge.crypto.XWingKeyPair;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;

/**
 * How far idle joined sessions and rooms scale on three cluster nodes compared with one gateway,
 * side by side in one run ({@code ClusterBench --phases=idle --sessions=N}): N sessions in rooms of
 * 2 on the lone gateway, then N on the three nodes with each room's two members on two different
 * nodes (room r: nodes r mod 3 and r+1 mod 3, so every room is a cross-node room and its owner is
 * whichever node rendezvous hashing picks). Per node: sessions, rooms owned, heap and RSS added
 * (read after a full GC before and after), the rate at which the sessions were established (hop
 * handshake, then JOIN and its JOINED, 16 at a time).
 */
final class ClusterIdle {
    private ClusterIdle() {}

    /** What one setup measured: per node sessions, rooms, heap and RSS added; the setup time. */
    record Result(
            String name,
            int sessions,
            double seconds,
            long[] nodeSessions,
            long[] rooms,
            long[] heap,
            long[] rss) {
        long total(long[] v) {
            long s = 0;
            for (long x : v) {
                s += x;
            }
            return s;
        }
    }

    static Result run(
            String name,
            List<Child> nodes,
            int n,
            int warmup,
            ToLongFunction<Child> roomsOf,
            boolean spread)
            throws Exception {
        if (warmup > 0) { // the same path first, so the JIT and first-touch memory are not counted
            for (Peer p : establish(nodes, warmup, spread)) {
                p.close();
            }
            Thread.sleep(3000);
        }
        int k = nodes.size();
        long[] heap0 = new long[k];
        long[] rss0 = new long[k];
        for (int i = 0; i < k; i++) {
            heap0[i] = nodes.get(i).heapUsedAfterGc();
            rss0[i] = nodes.get(i).rssBytes();
        }
        System.out.printf("%s: load average before: %s%n", name, loadAverage());
        long t0 = System.nanoTime();
        List<Peer> open = establish(nodes, n, spread);
        double seconds = (System.nanoTime() - t0) / 1e9;
        Thread.sleep(1000);
        long[] sessions = new long[k];
        for (int i = 0; i < n; i++) {
            sessions[node(i, k, spread)]++;
        }
        long[] rooms = new long[k];
        long[] heap = new long[k];
        long[] rss = new long[k];
        for (int i = 0; i < k; i++) {
            Child c = nodes.get(i);
            rooms[i] = roomsOf.applyAsLong(c);
            heap[i] = c.heapUsedAfterGc() - heap0[i];
            rss[i] = c.rssBytes() - rss0[i];
        }
        Result r = new Result(name, n, seconds, sessions, rooms, heap, rss);
        print(r);
        System.out.printf("%s: load average after: %s%n", name, loadAverage());
        for (Peer p : open) {
            p.close();
        }
        Thread.sleep(3000);
        return r;
    }

    /** The machine's load (1, 5, 15 min), to say how busy it was: it is shared. */
    static String loadAverage() {
        try {
            String[] f =
                    java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg"))
                            .split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    /** The node of session {@code i}: rooms of 2 (sessions 2r, 2r+1), on two nodes if spread. */
    private static int node(int i, int k, boolean spread) {
        int room = i / 2;
        return spread ? (room + i % 2) % k : room % k;
    }

    private static List<Peer> establish(List<Child> nodes, int n, boolean spread) throws Exception {
        List<Peer> open = new ArrayList<>(n);
        byte[] pk = XWingKeyPair.generate(HopPeer.RNG).publicKey();
        byte[][] roomIds = new byte[(n + 1) / 2][32];
        for (byte[] id : roomIds) {
            HopPeer.RNG.nextBytes(id);
        }
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Peer>> fs = new ArrayList<>();
            Semaphore inFlight = new Semaphore(16);
            for (int i = 0; i < n; i++) {
                int idx = i;
                Child c = nodes.get(node(i, nodes.size(), spread));
                inFlight.acquire();
                fs.add(
                        ex.submit(
                                () -> {
                                    try {
                                        HopPeer h = HopPeer.connect(c.ws(), c.publicKey, 30_000);
                                        if (h.join(roomIds[idx / 2], pk, 30_000) == null) {
                                            throw new IllegalStateException(
                                                    "no JOINED within 30 s");
                                        }
                                        return (Peer) h;
                                    } finally {
                                        inFlight.release();
                                    }
                                }));
            }
            for (Future<Peer> f : fs) {
                open.add(f.get(120, TimeUnit.SECONDS));
            }
        }
        return open;
    }

    private static void print(Result r) {
        System.out.printf(
                "%s: %d idle joined sessions (rooms of 2) established in %.1f s (%.0f/s)%n",
                r.name(), r.sessions(), r.seconds(), r.sessions() / r.seconds());
        for (int i = 0; i < r.rss().length; i++) {
            System.out.printf(
                    "  node %d: %d sessions, %d rooms owned, heap +%.1f MiB, RSS +%.1f MiB"
                            + " (%.1f KiB per session)%n",
                    i,
                    r.nodeSessions()[i],
                    r.rooms()[i],
                    r.heap()[i] / 1048576.0,
                    r.rss()[i] / 1048576.0,
                    r.rss()[i] / 1024.0 / Math.max(1, r.nodeSessions()[i]));
        }
    }

    /** The side-by-side table of the two setups. */
    static void summary(Result one, Result three) {
        System.out.println();
        System.out.println("SUMMARY idle sessions (side by side, this run)");
        System.out.printf(
                "%-34s %9s %8s %12s %14s %14s %12s%n",
                "",
                "sessions",
                "joins/s",
                "rooms/node",
                "RSS KiB/sess",
                "RSS MiB total",
                "heap MiB");
        for (Result r : List.of(one, three)) {
            StringBuilder rooms = new StringBuilder();
            for (long x : r.rooms()) {
                rooms.append(rooms.isEmpty() ? "" : "/").append(x);
            }
            System.out.printf(
                    "%-34s %9d %8.0f %12s %14.1f %14.1f %12.1f%n",
                    r.name(),
                    r.sessions(),
                    r.sessions() / r.seconds(),
                    rooms,
                    r.total(r.rss()) / 1024.0 / r.sessions(),
                    r.total(r.rss()) / 1048576.0,
                    r.total(r.heap()) / 1048576.0);
        }
        System.out.printf(
                "three nodes / one gateway: RSS per session %.2f, join rate %.2f%n",
                (three.total(three.rss()) / (double) three.sessions())
                        / (one.total(one.rss()) / (double) one.sessions()),
                (three.sessions() / three.seconds()) / (one.sessions() / one.seconds()));
    }
}
