package dev.hybridge.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hybridge.crypto.XWingKeyPair;
import dev.hybridge.crypto.handshake.HopClient;
import dev.hybridge.crypto.record.Channel;
import dev.hybridge.protocol.RoomCodec;
import dev.hybridge.protocol.RoomMessage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;

/**
 * The gateway load benchmark (issue 3, "Load benchmark"): one run, figures printed.
 * <ol>
 *   <li>handshakes per second and gateway CPU per handshake (against the JMH primitive sum);</li>
 *   <li>N concurrent idle hop sessions: time to establish, gateway heap and RSS per session;</li>
 *   <li>relay throughput with 1 KiB envelopes in rooms of 2 and 6, then p50/p99/p99.9 latency at
 *       half of that peak;</li>
 *   <li>the same relay workload and idle footprint against a plain Node `ws` relay with the seed's
 *       JSON room protocol and no encryption (bench/node-relay).</li>
 * </ol>
 * The gateway and the Node relay run as child processes so their CPU and memory are their own;
 * this process is the load generator. Loopback only. Every loop is bounded in count and time.
 */
public final class LoadBench {
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final SecureRandom RNG = new SecureRandom();
    static final ObjectMapper JSON = new ObjectMapper();
    static final int ENVELOPE = 1024;

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = parse(args);
        int sessions = Integer.parseInt(opt.getOrDefault("sessions", "10000"));
        int seconds = Integer.parseInt(opt.getOrDefault("seconds", "10"));
        HISTOGRAM = opt.containsKey("histogram");
        HANDSHAKE_WARMUP = Integer.parseInt(opt.getOrDefault("handshake-warmup", "60"));
        HANDSHAKE_WORKERS = Integer.parseInt(opt.getOrDefault("handshake-workers", "4"));
        if (opt.containsKey("smoke")) { // a test of the tool itself: shortest warm-ups, figures meaningless
            WARMUP_ROUND = 1;
            WARMUP_ROUNDS = 0;
            HANDSHAKE_WARMUP = 0;
        }
        Path jmh = Path.of(opt.getOrDefault("jmh", "bench/target/jmh.json"));
        Path nodeRelay = Path.of(opt.getOrDefault("node-relay", "bench/node-relay/relay.mjs"));
        System.out.printf("LoadBench: sessions=%d, %d s per measurement, %d cores%n", sessions, seconds,
                Runtime.getRuntime().availableProcessors());

        java.util.Set<String> phases = java.util.Set.of(opt.getOrDefault("phases", "handshakes,idle,relay,node").split(","));
        int[] sizes = java.util.Arrays.stream(opt.getOrDefault("rooms", "2,6").split(",")).mapToInt(Integer::parseInt).toArray();
        GATEWAY_JVM_OPTS = opt.getOrDefault("gateway-jvm", "");
        Child gw = Child.gateway();
        try {
            if (phases.contains("handshakes")) {
                handshakes(gw, seconds);
            }
            if (phases.contains("idle")) {
                idleSessions(gw, sessions, true);
            }
            if (phases.contains("relay")) {
                for (int size : sizes) {
                    relay(gw, size, seconds, true);
                }
            }
        } finally {
            gw.stop();
        }
        if (phases.contains("node") && Files.exists(nodeRelay)) {
            Child node = Child.node(nodeRelay);
            try {
                if (phases.contains("idle")) {
                    idleSessions(node, sessions, false);
                }
                for (int size : sizes) {
                    relay(node, size, seconds, false);
                }
            } finally {
                node.stop();
            }
        } else {
            System.out.println("node relay not found at " + nodeRelay + "; skipped");
        }
        if (Files.exists(jmh)) {
            primitiveSum(jmh);
        }
        System.out.println("\nSUMMARY");
        RESULTS.forEach(r -> System.out.println("  " + r));
    }

    static final List<String> RESULTS = new ArrayList<>();
    static boolean HISTOGRAM;
    static String GATEWAY_JVM_OPTS = "";
    static boolean DEBUG = Boolean.getBoolean("loadbench.debug");

    /** Machine busy and total jiffies from /proc/stat. */
    static long[] machine() throws IOException {
        String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
        long total = 0;
        for (int i = 1; i < f.length; i++) {
            total += Long.parseLong(f[i]);
        }
        long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
        return new long[] {total - idle, total};
    }

    static long selfCpu() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    static String grep(String text, String regex) {
        Pattern p = Pattern.compile("^(" + regex + ").*$", Pattern.MULTILINE);
        Matcher m = p.matcher(text);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            sb.append(m.group()).append("; ");
        }
        return sb.toString();
    }
    static int HANDSHAKE_WARMUP;
    static int HANDSHAKE_WORKERS;
    /** Seconds of one warm-up round, and how many extra relay rounds may wait for the JIT. */
    static int WARMUP_ROUND = 3;
    static int WARMUP_ROUNDS = 10;

    static void result(String fmt, Object... a) {
        String s = String.format(fmt, a);
        RESULTS.add(s);
        System.out.println(s);
    }

    // ------------------------------------------------------------------ 1. handshakes

    static double gatewayCpuMicrosPerHandshake;

    static void handshakes(Child gw, int seconds) throws Exception {
        int workers = HANDSHAKE_WORKERS;
        // Warm-up until the JIT is done: its compiler threads are a start-up cost, and on 2 busy
        // cores they take seconds of CPU. At most HANDSHAKE_WARMUP seconds, in 5 s rounds, until
        // the compiler threads used under 2% of the gateway's CPU in a round.
        long warmEnd = System.nanoTime() + HANDSHAKE_WARMUP * 1_000_000_000L;
        double jitShare;
        do {
            long[] c0 = gw.cpuSplit();
            runHandshakes(gw, workers, WARMUP_ROUND);
            long[] c1 = gw.cpuSplit();
            jitShare = (double) (c1[1] - c0[1]) / Math.max(1, c1[0] - c0[0]);
        } while (jitShare > 0.02 && System.nanoTime() < warmEnd);
        long[] cpu0 = gw.cpuSplit();
        long t0 = System.nanoTime();
        long n = runHandshakes(gw, workers, seconds);
        long wall = System.nanoTime() - t0;
        long[] cpu1 = gw.cpuSplit();
        long cpu = cpu1[0] - cpu0[0];
        long jit = cpu1[1] - cpu0[1];
        gatewayCpuMicrosPerHandshake = cpu / 1000.0 / n;
        result("gateway handshakes: %d in %.1f s = %.0f/s (%d client workers); gateway CPU %.0f us per handshake "
                        + "(connect + upgrade + handshake + close; JIT compiler threads %.0f%% of it)",
                n, wall / 1e9, n / (wall / 1e9), workers, gatewayCpuMicrosPerHandshake, 100.0 * jit / Math.max(1, cpu));
        // the same connections without the handshake: what TCP, the HTTP upgrade and the close cost
        long[] b0 = gw.cpuSplit();
        long bare = runBareConnections(gw, workers, seconds);
        long[] b1 = gw.cpuSplit();
        gatewayCpuMicrosPerConnection = (b1[0] - b0[0]) / 1000.0 / bare;
        result("gateway bare connections (connect + upgrade + close, no handshake): %d in %d s; gateway CPU %.0f us each; "
                        + "so the hop handshake itself costs %.0f us of gateway CPU",
                bare, seconds, gatewayCpuMicrosPerConnection, gatewayCpuMicrosPerHandshake - gatewayCpuMicrosPerConnection);
    }

    static double gatewayCpuMicrosPerConnection;

    static long runBareConnections(Child gw, int workers, int seconds) throws Exception {
        return repeat(workers, seconds, () -> Conn.open(gw.ws()).abort());
    }

    static long runHandshakes(Child gw, int workers, int seconds) throws Exception {
        return repeat(workers, seconds, () -> Hop.connect(gw).conn.abort());
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
                ex.submit(() -> {
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

    // ------------------------------------------------------------------ 2. idle sessions

    static void idleSessions(Child server, int n, boolean hop) throws Exception {
        long heap0 = server.heapUsedAfterGc();
        long rss0 = server.rssBytes();
        List<Object> open = new ArrayList<>(n);
        long t0 = System.nanoTime();
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            List<java.util.concurrent.Future<Object>> fs = new ArrayList<>();
            Semaphore inFlight = new Semaphore(16);
            for (int i = 0; i < n; i++) {
                int idx = i;
                inFlight.acquire();
                fs.add(ex.submit(() -> {
                    try {
                        if (hop) {
                            return Hop.connect(server);
                        }
                        // Node: a joined connection (2 per room), its idle state in the seed design
                        JsonPeer p = JsonPeer.connect(server);
                        p.join("idle-" + (idx / 2));
                        return p;
                    } finally {
                        inFlight.release();
                    }
                }));
            }
            for (var f : fs) {
                open.add(f.get());
            }
        }
        long wall = System.nanoTime() - t0;
        Thread.sleep(1000);
        long heap1 = server.heapUsedAfterGc();
        long rss1 = server.rssBytes();
        if (HISTOGRAM && hop) {
            Process j = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                    String.valueOf(server.process.pid()), "GC.class_histogram").redirectErrorStream(true).start();
            String out = new String(j.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            out.lines().limit(30).forEach(System.out::println);
        }
        String what = hop ? "gateway idle hop sessions" : "node ws relay idle joined connections";
        if (hop) {
            result("%s: %d established in %.1f s (%.0f/s); heap %.1f KiB per session (%.1f MiB total), RSS %.1f KiB per session",
                    what, n, wall / 1e9, n / (wall / 1e9), (heap1 - heap0) / 1024.0 / n, (heap1 - heap0) / 1048576.0,
                    (rss1 - rss0) / 1024.0 / n);
        } else {
            result("%s: %d in %.1f s; RSS %.1f KiB per connection (%.1f MiB total)", what, n, wall / 1e9,
                    (rss1 - rss0) / 1024.0 / n, (rss1 - rss0) / 1048576.0);
        }
        for (Object o : open) {
            if (o instanceof Hop h) {
                h.conn.abort();
            } else if (o instanceof JsonPeer p) {
                p.conn.abort();
            }
        }
        Thread.sleep(3000);
    }

    // ------------------------------------------------------------------ 3. relay

    /** One peer of the relay workload: sends envelopes carrying (seq, send time), counts and times what it receives. */
    interface Peer {
        void relay(int to, byte[] envelope) throws Exception;

        void close();
    }

    static final class Counters {
        final AtomicLong received = new AtomicLong();
        volatile Histogram histogram;
        /** Per sender: envelopes it may still have in flight (sent, not yet received). */
        final Semaphore[] window;

        Counters(int senders) {
            window = new Semaphore[senders];
            for (int i = 0; i < senders; i++) {
                window[i] = new Semaphore(WINDOW);
            }
        }

        void got(byte[] envelope) {
            received.incrementAndGet();
            window[ByteBuffer.wrap(envelope).getInt(16)].release();
            Histogram h = histogram;
            if (h != null) {
                long sent = ByteBuffer.wrap(envelope).getLong(8);
                long us = Math.max(1, (System.nanoTime() - sent) / 1000);
                synchronized (h) {
                    h.recordValue(Math.min(us, 60_000_000L));
                }
            }
        }
    }

    static void relay(Child server, int size, int seconds, boolean hop) throws Exception {
        int rooms = Math.max(1, 60 / size);
        Counters counters = new Counters(rooms * size);
        List<List<Peer>> all = new ArrayList<>();
        for (int r = 0; r < rooms; r++) {
            all.add(hop ? Hop.room(server, size, counters) : JsonPeer.room(server, size, counters, "bench-" + size + "-" + r));
        }
        String name = (hop ? "gateway" : "node ws relay") + " relay, rooms of " + size + " (" + rooms * size + " peers)";
        // peak: every peer sends as fast as it can with at most WINDOW envelopes in flight, so the
        // figure is what the relay sustains, not how fast queues can grow in front of receivers
        // warm-up: 3 s, then for the gateway more rounds until its JIT compiler threads are quiet
        // (under 2% of its CPU in a round; at most 30 s): compilation is a start-up cost
        blast(all, WARMUP_ROUND, counters, Long.MAX_VALUE);
        for (int round = 0; hop && round < WARMUP_ROUNDS; round++) {
            long[] c0 = server.cpuSplit();
            blast(all, WARMUP_ROUND, counters, Long.MAX_VALUE);
            long[] c1 = server.cpuSplit();
            if (c1[1] - c0[1] < 0.02 * (c1[0] - c0[0])) {
                break;
            }
        }
        drain(counters);
        long r0 = counters.received.get();
        long cpu0 = server.cpuNanos();
        long t0 = System.nanoTime();
        blast(all, seconds, counters, Long.MAX_VALUE);
        long sendEnd = System.nanoTime();
        long cpuWindow = server.cpuNanos() - cpu0;
        // what was sent in the window but still queued counts only if it arrives within 1 s
        long inWindow = counters.received.get();
        if (DEBUG && hop) {
            System.out.println("debug: received " + (inWindow - r0) + "; gateway " + grep(get(server.port, "/metrics"), "hybridge_envelopes_relayed_total|hybridge_inputs_rejected|hybridge_limit_hits"));
        }
        Thread.sleep(1000);
        double peak = (inWindow - r0) / ((sendEnd - t0) / 1e9);
        double cpuPerEnvelope = cpuWindow / 1000.0 / Math.max(1, inWindow - r0);
        drain(counters);
        result("%s: peak %.0f envelopes/s (%.1f MiB/s of 1 KiB envelopes), relay process CPU %.1f us per envelope",
                name, peak, peak * ENVELOPE / 1048576.0, cpuPerEnvelope);
        // latency at half of the peak rate (the target), then at a quarter and a tenth: on 2 cores
        // shared with the load generator, half of the peak keeps the machine nearly busy
        for (double fraction : LATENCY_FRACTIONS) {
            latency(server, all, counters, peak * fraction, fraction, seconds, name, size);
        }
        if (hop) {
            PEAKS_GATEWAY.put(size, peak);
        } else {
            Double g = PEAKS_GATEWAY.get(size);
            if (g != null) {
                result("throughput ratio gateway (hop-encrypted) / node ws (plain JSON), rooms of %d: %.2f", size, g / peak);
            }
        }
        all.forEach(room -> room.forEach(Peer::close));
        Thread.sleep(2000);
    }

    static final double[] LATENCY_FRACTIONS = {0.5, 0.25, 0.1};

    /** Open-loop load at {@code rate} envelopes/s in all: latency percentiles and who used the cores. */
    static void latency(Child server, List<List<Peer>> all, Counters counters, double rate, double fraction, int seconds,
            String name, int size) throws Exception {
        drain(counters);
        Histogram h = new Histogram(3);
        counters.histogram = h;
        long perPeerIntervalNanos = (long) (1e9 / (rate / (all.size() * size)));
        long[] m0 = machine();
        long s0 = server.cpuNanos();
        long g0 = selfCpu();
        long r0 = counters.received.get();
        blast(all, seconds, counters, perPeerIntervalNanos);
        long[] m1 = machine();
        long received = counters.received.get() - r0;
        Thread.sleep(1000);
        counters.histogram = null;
        synchronized (h) {
            result("%s at %.0f%% of peak (%.0f/s sent, %.0f/s received in the window): p50 %d us, p99 %d us, p99.9 %d us, "
                            + "max %d us (%d samples); cores busy: relay %.2f, load generator %.2f, machine %.2f of %d",
                    name, 100 * fraction, rate, received / (double) seconds, h.getValueAtPercentile(50),
                    h.getValueAtPercentile(99), h.getValueAtPercentile(99.9), h.getMaxValue(), h.getTotalCount(),
                    (server.cpuNanos() - s0) / 1e9 / seconds, (selfCpu() - g0) / 1e9 / seconds,
                    (double) (m1[0] - m0[0]) / (m1[1] - m0[1]) * Runtime.getRuntime().availableProcessors(),
                    Runtime.getRuntime().availableProcessors());
        }
    }

    /** Waits until nothing more arrives for 500 ms (bounded: 60 s), so queued envelopes do not spill into the next phase. */
    static void drain(Counters counters) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        long last = -1;
        while (System.nanoTime() < deadline) {
            long now = counters.received.get();
            if (now == last) {
                return;
            }
            last = now;
            Thread.sleep(500);
        }
    }

    static final Map<Integer, Double> PEAKS_GATEWAY = new java.util.concurrent.ConcurrentHashMap<>();

    /** Envelopes one sender may have in flight during the peak measurement. */
    static final int WINDOW = 16;

    /**
     * Each peer sends round-robin to the others of its room for {@code seconds}: paced if
     * interval < MAX (open loop; latency), else as fast as its window allows (closed loop; peak).
     */
    static void blast(List<List<Peer>> rooms, int seconds, Counters counters, long intervalNanos) throws Exception {
        for (Semaphore w : counters.window) { // envelopes of an earlier phase may be lost
            w.drainPermits();
            w.release(WINDOW);
        }
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
                    ex.submit(() -> {
                        long seq = 0;
                        byte[] env = new byte[ENVELOPE];
                        while (System.nanoTime() < end) {
                            if (!window.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                                continue; // nothing came back for a while: look at the clock again
                            }
                            int to = (self + 1 + (int) (seq % (size - 1))) % size;
                            ByteBuffer.wrap(env).putLong(0, seq++).putLong(8, System.nanoTime()).putInt(16, id);
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
        java.util.PriorityQueue<Pace> due = new java.util.PriorityQueue<>(java.util.Comparator.comparingLong((Pace x) -> x.next));
        long start = System.nanoTime();
        int id = 0;
        for (List<Peer> room : rooms) {
            for (int i = 0; i < room.size(); i++) {
                due.add(new Pace(room.get(i), i, room.size(), id++, start + (long) (RNG.nextDouble() * intervalNanos)));
            }
        }
        byte[] env = new byte[ENVELOPE];
        while (true) {
            Pace p = due.poll();
            long wait = p.next - System.nanoTime();
            if (wait > 50_000) {
                LockSupport.parkNanos(wait); // no spinning: on 2 cores it would take the relay's CPU
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

    // ------------------------------------------------------------------ hop client

    static final class Hop implements Peer {
        final Conn conn;
        final Channel channel;
        final BlockingQueue<RoomMessage> control = new LinkedBlockingQueue<>();
        byte[][] ids;
        Counters counters;

        private Hop(Conn conn, Channel channel) {
            this.conn = conn;
            this.channel = channel;
        }

        static Hop connect(Child gw) throws Exception {
            Conn c = Conn.open(gw.ws());
            CompletableFuture<byte[]> hello = new CompletableFuture<>();
            c.onBinary = hello::complete;
            HopClient.Started started = HopClient.start(gw.publicKey, RNG);
            c.send(started.clientHello());
            HopClient.Established est = started.next().receive(hello.get(30, TimeUnit.SECONDS));
            Hop h = new Hop(c, est.channel());
            c.onBinary = h::onRecord;
            c.send(est.clientFinished());
            return h;
        }

        private void onRecord(byte[] rec) {
            try {
                RoomMessage m = RoomCodec.decodeFromGateway(channel.open(rec));
                if (m instanceof RoomMessage.Relayed r && counters != null) {
                    counters.got(r.envelope());
                } else {
                    control.add(m);
                }
            } catch (Exception e) {
                System.err.println("hop client: " + e);
            }
        }

        /** {@code size} joined peers of one fresh room, each knowing the others' ids. */
        static List<Peer> room(Child gw, int size, Counters counters) throws Exception {
            byte[] roomId = new byte[32];
            RNG.nextBytes(roomId);
            byte[] pk = XWingKeyPair.generate(RNG).publicKey();
            List<Hop> hs = new ArrayList<>();
            byte[][] ids = new byte[size][];
            for (int i = 0; i < size; i++) {
                Hop h = connect(gw);
                h.counters = counters;
                synchronized (h.channel) {
                    h.conn.send(h.channel.seal(RoomCodec.encode(new RoomMessage.Join(roomId, pk))));
                }
                RoomMessage.Joined j = (RoomMessage.Joined) h.control.poll(30, TimeUnit.SECONDS);
                ids[i] = j.peerId();
                hs.add(h);
            }
            for (Hop h : hs) {
                h.ids = ids;
            }
            return new ArrayList<>(hs);
        }

        @Override
        public void relay(int to, byte[] envelope) throws Exception {
            byte[] rec;
            synchronized (channel) { // seal and send in seq order
                rec = channel.seal(RoomCodec.encode(new RoomMessage.Relay(ids[to], envelope)));
                conn.send(rec);
            }
        }

        @Override
        public void close() {
            conn.abort();
        }
    }

    // ------------------------------------------------------------------ JSON client for the Node relay (the seed's protocol)

    static final class JsonPeer implements Peer {
        final Conn conn;
        final BlockingQueue<JsonNode> control = new LinkedBlockingQueue<>();
        String[] ids;
        Counters counters;

        private JsonPeer(Conn conn) {
            this.conn = conn;
        }

        static JsonPeer connect(Child node) {
            JsonPeer p = new JsonPeer(Conn.open(node.ws()));
            p.conn.onText = p::onText;
            return p;
        }

        private void onText(String s) {
            try {
                JsonNode n = JSON.readTree(s);
                if (n.path("type").asText().equals("offer") && counters != null) {
                    counters.got(Base64.getDecoder().decode(n.path("data").asText()));
                } else {
                    control.add(n);
                }
            } catch (Exception e) {
                System.err.println("json client: " + e);
            }
        }

        String join(String room) throws Exception {
            conn.sendText("{\"type\":\"join\",\"room\":\"" + room + "\"}");
            JsonNode n;
            do {
                n = control.poll(30, TimeUnit.SECONDS);
            } while (n != null && !n.path("type").asText().equals("joined"));
            return n == null ? null : n.path("id").asText();
        }

        static List<Peer> room(Child node, int size, Counters counters, String room) throws Exception {
            List<JsonPeer> ps = new ArrayList<>();
            String[] ids = new String[size];
            for (int i = 0; i < size; i++) {
                JsonPeer p = connect(node);
                p.counters = counters;
                ids[i] = p.join(room);
                ps.add(p);
            }
            for (JsonPeer p : ps) {
                p.ids = ids;
            }
            return new ArrayList<>(ps);
        }

        @Override
        public void relay(int to, byte[] envelope) {
            // the seed relays SDP/ICE as JSON; a binary envelope travels as base64 text (1 KiB -> 1368 chars)
            conn.sendText("{\"type\":\"offer\",\"to\":\"" + ids[to] + "\",\"data\":\"" + Base64.getEncoder().encodeToString(envelope) + "\"}");
        }

        @Override
        public void close() {
            conn.abort();
        }
    }

    // ------------------------------------------------------------------ child processes

    static final class Child {
        final Process process;
        final int port;
        final byte[] publicKey;
        final boolean gateway;

        private Child(Process process, int port, byte[] publicKey, boolean gateway) {
            this.process = process;
            this.port = port;
            this.publicKey = publicKey;
            this.gateway = gateway;
        }

        URI ws() {
            return URI.create("ws://127.0.0.1:" + port + "/ws");
        }

        static Child gateway() throws Exception {
            int port = freePort();
            Path dir = Files.createTempDirectory("hybridge-bench");
            List<String> cmd = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString()));
            for (String o : GATEWAY_JVM_OPTS.split(" ")) {
                if (!o.isBlank()) {
                    cmd.add(o);
                }
            }
            cmd.addAll(List.of(
                    // compiler threads live for the whole run, so cpuSplit() sees all of the JIT's CPU
                    "-XX:-UseDynamicNumberOfCompilerThreads",
                    "-Dhybridge.server.port=" + port,
                    "-Dhybridge.key-file=" + dir.resolve("gateway.key"),
                    "-Dhybridge.limits.connections-per-address=19000",
                    "-Dhybridge.limits.max-connections=19000",
                    "-Dhybridge.limits.messages-per-second=1000000",
                    "-Dhybridge.limits.message-burst=1000000",
                    "-Dhybridge.limits.idle-timeout=PT10M",
                    "-Dhybridge.limits.ping-interval=PT5M",
                    "-Dhybridge.limits.handshake-timeout=PT60S",
                    "-Dhybridge.limits.send-queue-max-bytes=67108864",
                    "-Dhybridge.limits.max-rooms=100000",
                    "-Dhybridge.log-level=WARNING",
                    "-cp", System.getProperty("java.class.path"),
                    "dev.hybridge.gateway.Main"));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            waitForLine(p, "Hybridge gateway at");
            JsonNode wk = JSON.readTree(get(port, "/.well-known/hybridge.json"));
            byte[] pk = Base64.getUrlDecoder().decode(wk.path("public_key").asText());
            System.out.println("gateway pid " + p.pid() + " on port " + port + ", fingerprint " + wk.path("fingerprint").asText());
            return new Child(p, port, pk, true);
        }

        static Child node(Path script) throws Exception {
            int port = freePort();
            Process p = new ProcessBuilder("node", script.toString(), String.valueOf(port)).redirectErrorStream(true).start();
            waitForLine(p, "listening");
            System.out.println("node ws relay pid " + p.pid() + " on port " + port);
            return new Child(p, port, null, false);
        }

        /**
         * {process CPU, of which JIT compiler threads} in ns, from /proc/PID/task/TID/stat
         * (clock ticks of 10 ms). Threads that ended are missing from both; the window compares like with like.
         */
        long[] cpuSplit() throws IOException {
            long all = 0;
            long jit = 0;
            try (var tasks = Files.list(Path.of("/proc/" + process.pid() + "/task"))) {
                for (Path t : tasks.toList()) {
                    String stat;
                    try {
                        stat = Files.readString(t.resolve("stat"));
                    } catch (IOException gone) {
                        continue;
                    }
                    String comm = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    long ns = (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L;
                    all += ns;
                    if (comm.contains("CompilerThre")) {
                        jit += ns;
                    }
                }
            }
            return new long[] {all, jit};
        }

        /** utime + stime of the child, from /proc (clock ticks of 10 ms). */
        long cpuNanos() throws IOException {
            String stat = Files.readString(Path.of("/proc/" + process.pid() + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
            return ticks * 10_000_000L;
        }

        long rssBytes() throws IOException {
            for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D+", "")) * 1024;
                }
            }
            return -1;
        }

        /** Gateway: heap after a full GC (jcmd GC.run, then the heap gauge). Node: -1. */
        long heapUsedAfterGc() throws Exception {
            if (!gateway) {
                return -1;
            }
            Process j = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                    String.valueOf(process.pid()), "GC.run").redirectErrorStream(true).start();
            j.getInputStream().readAllBytes();
            j.waitFor(60, TimeUnit.SECONDS);
            Thread.sleep(500);
            Matcher m = Pattern.compile("^hybridge_jvm_heap_used_bytes (\\d+)$", Pattern.MULTILINE).matcher(get(port, "/metrics"));
            return m.find() ? Long.parseLong(m.group(1)) : -1;
        }

        void stop() throws Exception {
            process.destroy(); // SIGTERM: the gateway's graceful shutdown
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    static void waitForLine(Process p, String marker) throws Exception {
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + 60_000_000_000L;
        String line;
        while (System.nanoTime() < deadline && (line = r.readLine()) != null) {
            if (line.contains(marker)) {
                // keep draining the child's output so it never blocks on a full pipe
                Thread.ofVirtual().start(() -> {
                    try {
                        while (r.readLine() != null) {
                            // discard
                        }
                    } catch (IOException ignored) {
                        // child ended
                    }
                });
                return;
            }
        }
        throw new IllegalStateException("child did not start: " + marker);
    }

    static String get(int port, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    // ------------------------------------------------------------------ JMH primitive sum

    static void primitiveSum(Path jmhJson) throws IOException {
        JsonNode results = JSON.readTree(jmhJson.toFile());
        Map<String, Double> us = new java.util.HashMap<>();
        for (JsonNode r : results) {
            String name = r.path("benchmark").asText();
            us.put(name.substring(name.lastIndexOf('.') + 1), r.path("primaryMetric").path("score").asDouble());
        }
        // per spec/hop-handshake.md and RK2, what the gateway computes for one handshake
        double sum = us.get("xwingEncaps") + us.get("xwingDecaps") + us.get("random64")
                + us.get("sha256ClientHello") + us.get("sha256ServerHello") + 2 * us.get("sha256Short")
                + 2 * us.get("hkdfExtract") + 8 * us.get("hkdfExpand") + 2 * us.get("hmac") + 2 * us.get("gcmKeySetup");
        result("JMH primitive sum for the gateway's side of one handshake: %.0f us (encaps %.0f, decaps %.0f); "
                        + "both sides in memory: %.0f us", sum, us.get("xwingEncaps"), us.get("xwingDecaps"),
                us.get("serverHandshakeInMemory"));
        if (gatewayCpuMicrosPerHandshake > 0) {
            result("gateway CPU per hop handshake (network handshake minus bare connection) / primitive sum = %.2f (target <= 1.2); "
                            + "with the connection's own cost: %.2f",
                    (gatewayCpuMicrosPerHandshake - gatewayCpuMicrosPerConnection) / sum, gatewayCpuMicrosPerHandshake / sum);
        }
    }

    static Map<String, String> parse(String[] args) {
        Map<String, String> m = new java.util.HashMap<>();
        for (String a : args) {
            if (a.startsWith("--") && a.contains("=")) {
                m.put(a.substring(2, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
            }
        }
        return m;
    }

}
