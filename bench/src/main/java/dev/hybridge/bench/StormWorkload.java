package dev.hybridge.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hybridge.crypto.XWingKeyPair;
import dev.hybridge.protocol.RoomMessage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The reconnect storm after a gateway restart (an upgrade, a crash): N sessions joined in rooms
 * of 2, and one healthy pair relaying 20 envelopes/s each way on connections of its own. The
 * gateway is stopped (SIGTERM as {@code systemctl restart} sends, or SIGKILL) and started again
 * on the same port with the same key file. Every client then does what the web client does
 * (web-client/src/signal/session.js {@code #reconnect}): waits its backoff ({@link Backoff}),
 * fetches /.well-known/hybridge.json and checks the key, opens the WebSocket, runs the hop
 * handshake (10 s timeout) and JOINs (10 s timeout); on failure it waits its next backoff.
 * Printed: how long until every session is back in its room, hop handshakes per second during
 * the storm, the new gateway's peak RSS and CPU, and the healthy pair's signaling gaps.
 */
final class StormWorkload {
    /** The web client's hop handshake and join timeouts (session.js). */
    static final long HANDSHAKE_TIMEOUT_MS = 10_000;

    static final long JOIN_TIMEOUT_MS = 10_000;

    /** The healthy pair's period per direction. */
    static final long PAIR_PERIOD_MS = 50;

    private final Options opt;
    private final Report report;
    private int port;
    private URI ws;
    private byte[] pinnedKey;
    private volatile boolean stopping;
    private volatile long storm0; // when the gateway was told to stop; 0 before
    private final AtomicLong handshakes = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong fetchFailed = new AtomicLong();
    private final AtomicLong handshakeFailed = new AtomicLong();
    private final AtomicLong joinFailed = new AtomicLong();

    /** Hop handshakes completed in each second after the storm began (bounded by the timeout). */
    private AtomicLongArray perSecond;

    StormWorkload(Options opt, Report report) {
        this.opt = opt;
        this.report = report;
    }

    static long openFilesNeeded(int sessions) {
        return sessions + 256L;
    }

    /** One browser tab of the storm: its room, its key, its backoff, its current connection. */
    private final class Client {
        final byte[] roomId;
        final byte[] publicKey;
        final Backoff backoff = new Backoff();
        volatile HopPeer hop;
        volatile long joinedAt;
        volatile java.util.function.Consumer<RoomMessage> watch;

        Client(byte[] roomId, byte[] publicKey) {
            this.roomId = roomId;
            this.publicKey = publicKey;
        }

        /** session.js #connectAndJoin: key check, WebSocket, hop handshake, JOIN; throws when any step fails. */
        void connectAndJoin() throws Exception {
            byte[] key;
            try {
                key = fetchKey();
            } catch (ConnectException e) {
                refused.incrementAndGet();
                throw e;
            } catch (IOException | RuntimeException e) {
                fetchFailed.incrementAndGet();
                throw e;
            }
            if (!Arrays.equals(key, pinnedKey)) {
                throw new IllegalStateException(
                        "UNKNOWN_GATEWAY_KEY: the restarted gateway has another key");
            }
            HopPeer h;
            try {
                h = HopPeer.connect(ws, key, HANDSHAKE_TIMEOUT_MS);
            } catch (Exception e) {
                if (e.getCause() instanceof ConnectException) {
                    refused.incrementAndGet();
                } else {
                    handshakeFailed.incrementAndGet();
                }
                throw e;
            }
            long now = System.nanoTime();
            handshakes.incrementAndGet();
            if (storm0 != 0 && perSecond != null) {
                int sec = (int) ((now - storm0) / 1_000_000_000L);
                if (sec >= 0 && sec < perSecond.length()) {
                    perSecond.incrementAndGet(sec);
                }
            }
            h.watch = watch;
            if (h.join(roomId, publicKey, JOIN_TIMEOUT_MS) == null) {
                joinFailed.incrementAndGet();
                h.close();
                throw new IOException("no JOINED within " + JOIN_TIMEOUT_MS + " ms");
            }
            AtomicBoolean lost = new AtomicBoolean();
            Runnable onLost =
                    () -> {
                        if (lost.compareAndSet(false, true)) {
                            lost(h);
                        }
                    };
            hop = h;
            joinedAt = System.nanoTime();
            h.conn.onClose = onLost;
            if (!h.conn.isOpen()) {
                onLost.run();
            }
        }

        /** The connection of a joined session ended: session.js #reconnect, bounded by the run's deadline. */
        void lost(HopPeer h) {
            if (hop == h) {
                hop = null;
            }
            if (stopping) {
                return;
            }
            Thread.ofVirtual()
                    .start(
                            () -> {
                                long deadline =
                                        System.nanoTime() + opt.stormTimeout * 1_000_000_000L;
                                while (!stopping && System.nanoTime() < deadline) {
                                    try {
                                        Thread.sleep(backoff.next());
                                        if (stopping) {
                                            return;
                                        }
                                        connectAndJoin();
                                        backoff.reset();
                                        return;
                                    } catch (InterruptedException e) {
                                        return;
                                    } catch (Exception e) {
                                        // counted where it failed; the next backoff follows
                                    }
                                }
                            });
        }

        boolean rejoinedSince(long t) {
            return hop != null && joinedAt > t;
        }

        void close() {
            HopPeer h = hop;
            if (h != null) {
                h.close();
            }
        }
    }

    /** GET /.well-known/hybridge.json as the web client fetches it before each connection; the gateway's public key. */
    private byte[] fetchKey() throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), (int) HANDSHAKE_TIMEOUT_MS);
            s.setSoTimeout((int) HANDSHAKE_TIMEOUT_MS);
            OutputStream out = s.getOutputStream();
            out.write(
                    ("GET /.well-known/hybridge.json HTTP/1.1\r\nHost: 127.0.0.1:"
                                    + port
                                    + "\r\nAccept: application/json\r\nConnection: close\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int state = 0;
            while (state < 4 && head.size() < 16_384) {
                int c = in.read();
                if (c < 0) {
                    throw new IOException("connection closed in the response head");
                }
                head.write(c);
                state =
                        (c == '\r' && (state == 0 || state == 2))
                                        || (c == '\n' && (state == 1 || state == 3))
                                ? state + 1
                                : 0;
            }
            String h = head.toString(StandardCharsets.US_ASCII);
            if (!h.startsWith("HTTP/1.1 200")) {
                throw new IOException("well-known: " + h.lines().findFirst().orElse(""));
            }
            byte[] body;
            java.util.regex.Matcher len =
                    java.util.regex.Pattern.compile("(?im)^content-length:\\s*(\\d+)").matcher(h);
            if (len.find()) {
                body = in.readNBytes(Math.min(65_536, Integer.parseInt(len.group(1))));
            } else if (h.toLowerCase(Locale.ROOT).contains("transfer-encoding: chunked")) {
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                for (int chunks = 0; chunks < 64; chunks++) {
                    String size = readLine(in);
                    int n = Integer.parseInt(size.split(";")[0].trim(), 16);
                    if (n == 0 || b.size() + n > 65_536) {
                        break;
                    }
                    b.write(in.readNBytes(n));
                    readLine(in);
                }
                body = b.toByteArray();
            } else {
                body = in.readNBytes(65_536);
            }
            JsonNode wk = Child.JSON.readTree(body);
            return Base64.getUrlDecoder().decode(wk.path("public_key").asText());
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 1024; i++) {
            int c = in.read();
            if (c < 0 || c == '\n') {
                break;
            }
            if (c != '\r') {
                sb.append((char) c);
            }
        }
        return sb.toString();
    }

    /** Receive times of one direction of the healthy pair. */
    private static final class Arrivals {
        private long[] t = new long[1024];
        private int n;

        synchronized void add(long now) {
            if (n == t.length) {
                t = Arrays.copyOf(t, n * 2);
            }
            t[n++] = now;
        }

        /** The first arrival at or after {@code from}, or -1. */
        synchronized long firstAfter(long from) {
            for (int i = 0; i < n; i++) {
                if (t[i] >= from) {
                    return t[i];
                }
            }
            return -1;
        }

        /** The longest time between consecutive arrivals within [from, to]; counts the edges of the window too. */
        synchronized long maxGap(long from, long to) {
            long last = from;
            long max = 0;
            for (int i = 0; i < n; i++) {
                if (t[i] < from) {
                    continue;
                }
                if (t[i] > to) {
                    break;
                }
                max = Math.max(max, t[i] - last);
                last = t[i];
            }
            return Math.max(max, to - last);
        }
    }

    void run() throws Exception {
        int n = opt.stormSessions;
        if (n < 2 || n % 2 != 0) {
            throw new IllegalArgumentException(
                    "--storm-sessions: an even number, at least 2 (rooms of 2)");
        }
        port = Child.freePort();
        Path keyFile = Files.createTempDirectory("hybridge-storm").resolve("gateway.key");
        Child gw = Child.gateway(opt.gatewayJvm, port, keyFile);
        ws = gw.ws();
        pinnedKey = gw.publicKey;
        perSecond = new AtomicLongArray(opt.stormTimeout + 60);
        byte[] pk = XWingKeyPair.generate(HopPeer.RNG).publicKey();
        List<Client> clients = new ArrayList<>(n);
        for (int i = 0; i < n / 2; i++) {
            byte[] room = new byte[32];
            HopPeer.RNG.nextBytes(room);
            clients.add(new Client(room, pk));
            clients.add(new Client(room, pk));
        }
        // the healthy pair: its own room and connections, relaying throughout
        byte[] pairRoom = new byte[32];
        HopPeer.RNG.nextBytes(pairRoom);
        Client a = new Client(pairRoom, XWingKeyPair.generate(HopPeer.RNG).publicKey());
        Client b = new Client(pairRoom, XWingKeyPair.generate(HopPeer.RNG).publicKey());
        Arrivals atA = new Arrivals();
        Arrivals atB = new Arrivals();
        byte[][] otherOf = new byte[2][]; // [0]: b's id as a knows it, [1]: a's id as b knows it
        a.watch = m -> watchPair(m, otherOf, 0, atA);
        b.watch = m -> watchPair(m, otherOf, 1, atB);
        Thread sender = null;
        try {
            long t0 = System.nanoTime();
            try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
                Semaphore inFlight = new Semaphore(16);
                List<Future<?>> fs = new ArrayList<>(n);
                for (Client c : clients) {
                    inFlight.acquire();
                    fs.add(
                            ex.submit(
                                    () -> {
                                        try {
                                            c.connectAndJoin();
                                            return null;
                                        } finally {
                                            inFlight.release();
                                        }
                                    }));
                }
                for (Future<?> f : fs) {
                    f.get(120, TimeUnit.SECONDS);
                }
            }
            a.connectAndJoin();
            b.connectAndJoin();
            long rssBefore = gw.rssBytes();
            System.out.printf(
                    "storm: %d sessions joined in %.1f s, plus the healthy pair; gateway RSS %.0f MiB%n",
                    n, (System.nanoTime() - t0) / 1e9, rssBefore / 1048576.0);
            long handshakesBefore = handshakes.get();
            sender =
                    Thread.ofPlatform()
                            .name("bench-storm-pair")
                            .daemon()
                            .start(() -> pairSender(a, b, otherOf));
            long base0 = System.nanoTime();
            opt.settle(3000); // the pair in quiet times, for comparison
            long base1 = System.nanoTime();

            // ---- the restart
            storm0 = System.nanoTime();
            if (opt.stormSignal.equals("kill")) {
                gw.process.destroyForcibly();
            } else {
                gw.process.destroy();
            }
            if (!gw.process.waitFor(60, TimeUnit.SECONDS)) {
                gw.process.destroyForcibly();
                gw.process.waitFor(10, TimeUnit.SECONDS);
            }
            long gone = System.nanoTime();
            gw = Child.gateway(opt.gatewayJvm, port, keyFile);
            long up = System.nanoTime();
            long cpuAtUp = gw.cpuNanos();
            long selfAtUp = Child.selfCpu();
            long[] machineAtUp = Child.machine();
            if (!Arrays.equals(gw.publicKey, pinnedKey)) {
                throw new IllegalStateException(
                        "the restarted gateway has another key: the key file was not reused");
            }
            long deadline = storm0 + opt.stormTimeout * 1_000_000_000L;
            long peakSampled = 0;
            int back = 0;
            while (System.nanoTime() < deadline) {
                back = 0;
                for (Client c : clients) {
                    if (c.rejoinedSince(storm0)) {
                        back++;
                    }
                }
                boolean pairBack = a.rejoinedSince(storm0) && b.rejoinedSince(storm0);
                peakSampled = Math.max(peakSampled, gw.rssBytes());
                if (back == n && pairBack) {
                    break;
                }
                Thread.sleep(100);
            }
            long allBack = System.nanoTime();
            long lastJoin = storm0;
            boolean pairBack = a.rejoinedSince(storm0) && b.rejoinedSince(storm0);
            if (pairBack) {
                lastJoin = Math.max(a.joinedAt, b.joinedAt);
            }
            for (Client c : clients) {
                if (c.rejoinedSince(storm0)) {
                    lastJoin = Math.max(lastJoin, c.joinedAt);
                }
            }
            long gwCpu = gw.cpuNanos();
            long selfCpu = Child.selfCpu() - selfAtUp;
            long[] machineEnd = Child.machine();
            long peakRss = Math.max(peakSampled, gw.peakRssBytes());
            long stormHandshakes = handshakes.get() - handshakesBefore;
            opt.settle(2000); // the pair after the storm
            long end = System.nanoTime();
            double beyond = (end - allBack) / 1e9;
            stopping = true;
            sender.join(5000);

            long peakPerSecond = 0;
            for (int i = 0; i < perSecond.length(); i++) {
                peakPerSecond = Math.max(peakPerSecond, perSecond.get(i));
            }
            double fromUp = (lastJoin - up) / 1e9;
            report.result(
                    "reconnect storm: %d sessions in rooms of 2 + 1 healthy pair; gateway stopped with %s: gone after %.2f s, "
                            + "listening again (same port, same key) %.2f s after the stop",
                    n,
                    opt.stormSignal.equals("kill") ? "SIGKILL" : "SIGTERM",
                    (gone - storm0) / 1e9,
                    (up - storm0) / 1e9);
            report.result(
                    "reconnect storm: %s rejoined by %.2f s after the stop (%.2f s after the gateway listened); "
                            + "hop handshakes %d (%.0f/s from listening to the last rejoin, peak %d in one second); failed attempts: "
                            + "refused %d, key fetch %d, handshake %d, join %d",
                    (back == n
                                    ? "all " + n + " sessions"
                                    : "ONLY " + back + " of " + n + " sessions")
                            + (pairBack ? " and the pair" : ", NOT the pair,")
                            + (back == n && pairBack
                                    ? ""
                                    : " (timeout " + opt.stormTimeout + " s)"),
                    (lastJoin - storm0) / 1e9,
                    fromUp,
                    stormHandshakes,
                    stormHandshakes / Math.max(1e-3, fromUp),
                    peakPerSecond,
                    refused.get(),
                    fetchFailed.get(),
                    handshakeFailed.get(),
                    joinFailed.get());
            report.result(
                    "reconnect storm: restarted gateway peak RSS %.0f MiB (the gateway before the restart, same sessions "
                            + "joined: %.0f MiB); its CPU from listening to the last rejoin %.2f s = %.0f us per hop handshake "
                            + "(connection, key fetch, upgrade, handshake, JOIN; its start-up before that: %.2f s)",
                    peakRss / 1048576.0,
                    rssBefore / 1048576.0,
                    (gwCpu - cpuAtUp) / 1e9,
                    (gwCpu - cpuAtUp) / 1000.0 / Math.max(1, stormHandshakes),
                    cpuAtUp / 1e9);
            double stormSecs = Math.max(1e-3, (allBack - up) / 1e9);
            int cores = Runtime.getRuntime().availableProcessors();
            report.result(
                    "reconnect storm: cores busy from listening to the last rejoin: gateway %.2f, load generator %.2f "
                            + "(the clients' side of every handshake), machine %.2f of %d",
                    (gwCpu - cpuAtUp) / 1e9 / stormSecs,
                    selfCpu / 1e9 / stormSecs,
                    (double) (machineEnd[0] - machineAtUp[0])
                            / Math.max(1, machineEnd[1] - machineAtUp[1])
                            * cores,
                    cores);
            // only the new gateway can deliver after the old one is gone
            long firstA = atA.firstAfter(gone);
            long firstB = atB.firstAfter(gone);
            if (firstA < 0 || firstB < 0) {
                report.result(
                        "reconnect storm: healthy pair: signaling NOT back after the restart (a->b %s, b->a %s)",
                        firstB < 0 ? "no" : "yes", firstA < 0 ? "no" : "yes");
            } else {
                long resumed = Math.max(firstA, firstB);
                long gapAfter = Math.max(atA.maxGap(firstA, end), atB.maxGap(firstB, end));
                long gapBefore = Math.max(atA.maxGap(base0, base1), atB.maxGap(base0, base1));
                report.result(
                        "reconnect storm: healthy pair (%d ms per envelope each way): max gap %d ms before the restart; "
                                + "signaling back %.2f s after the stop (%.2f s after the gateway listened; the pair has its backoff too); "
                                + "max signaling stall after that, through the storm and %.1f s beyond: %d ms",
                        PAIR_PERIOD_MS,
                        gapBefore / 1_000_000,
                        (resumed - storm0) / 1e9,
                        (resumed - up) / 1e9,
                        beyond,
                        gapAfter / 1_000_000);
            }
        } finally {
            stopping = true;
            if (sender != null) {
                sender.join(5000);
            }
            clients.forEach(Client::close);
            a.close();
            b.close();
            gw.stop();
        }
    }

    /** The healthy pair's view of its room: the other's current id, and when its envelopes arrive. */
    private static void watchPair(RoomMessage m, byte[][] otherOf, int self, Arrivals arrivals) {
        switch (m) {
            case RoomMessage.Relayed r -> arrivals.add(System.nanoTime());
            case RoomMessage.Joined j -> {
                synchronized (otherOf) {
                    otherOf[self] =
                            j.peers().isEmpty()
                                    ? null
                                    : j.peers().get(j.peers().size() - 1).peerId();
                }
            }
            case RoomMessage.PeerJoined p -> {
                synchronized (otherOf) {
                    otherOf[self] = p.peerId();
                }
            }
            case RoomMessage.PeerLeft l -> {
                synchronized (otherOf) {
                    if (otherOf[self] != null && Arrays.equals(otherOf[self], l.peerId())) {
                        otherOf[self] = null;
                    }
                }
            }
            default -> {}
        }
    }

    /** Every PAIR_PERIOD_MS, each side of the pair sends one 1 KiB envelope to the other when both are joined. */
    private void pairSender(Client a, Client b, byte[][] otherOf) {
        byte[] env = new byte[Counters.ENVELOPE];
        long next = System.nanoTime();
        long deadline = next + (opt.stormTimeout + 120) * 1_000_000_000L;
        while (!stopping && System.nanoTime() < deadline) {
            for (int side = 0; side < 2; side++) {
                HopPeer h = (side == 0 ? a : b).hop;
                byte[] to;
                synchronized (otherOf) {
                    to = otherOf[side];
                }
                if (h != null && to != null) {
                    try {
                        h.send(new RoomMessage.Relay(to, env));
                    } catch (Exception e) {
                        // the connection just went: the client reconnects; nothing to send on
                    }
                }
            }
            next += PAIR_PERIOD_MS * 1_000_000L;
            long wait = next - System.nanoTime();
            if (wait > 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(wait);
            }
        }
    }
}
