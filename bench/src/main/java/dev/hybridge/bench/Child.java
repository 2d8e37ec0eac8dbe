package dev.hybridge.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Process control: the gateway or the Node relay as a child process on loopback, so its CPU and
 * memory are its own, and the readings the load tool takes of it (CPU from /proc, RSS, heap after
 * a full GC), of itself and of the machine.
 */
final class Child {
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final ObjectMapper JSON = new ObjectMapper();

    final Process process;
    final int port;
    final byte[] publicKey;

    /** Speaks the hop protocol (the gateway, or its Helidon WebSocket variant); false: the Node relay. */
    final boolean gateway;

    /** What the figures call it: gateway, helidon-ws, node. */
    final String label;

    private Child(Process process, int port, byte[] publicKey, boolean gateway, String label) {
        // a load tool stopped early (Ctrl-C, a timeout) takes its relays with it
        Runtime.getRuntime()
                .addShutdownHook(new Thread(process::destroyForcibly, "bench-child-stop"));
        this.process = process;
        this.port = port;
        this.publicKey = publicKey;
        this.gateway = gateway;
        this.label = label;
    }

    URI ws() {
        return URI.create("ws://127.0.0.1:" + port + "/ws");
    }

    String name() {
        return switch (label) {
            case "node" -> "node ws relay";
            case "helidon-ws" -> "helidon-ws gateway";
            default -> label;
        };
    }

    static Child gateway(String jvmOpts) throws Exception {
        return gateway(
                jvmOpts,
                freePort(),
                Files.createTempDirectory("hybridge-bench").resolve("gateway.key"));
    }

    /** A gateway on {@code port} with the key in {@code keyFile} (created on its first start). */
    static Child gateway(String jvmOpts, int port, Path keyFile) throws Exception {
        return hop(jvmOpts, port, keyFile, "dev.hybridge.gateway.Main", "gateway");
    }

    /**
     * The bench-only variant that serves the same hop channel and room relay through Helidon's own
     * WebSocket module ({@link dev.hybridge.bench.helidon.HelidonGateway}), with the gateway's
     * settings and JVM options.
     */
    static Child helidon(String jvmOpts) throws Exception {
        return hop(
                jvmOpts,
                freePort(),
                Files.createTempDirectory("hybridge-bench").resolve("gateway.key"),
                "dev.hybridge.bench.helidon.HelidonGateway",
                "helidon-ws");
    }

    private static Child hop(String jvmOpts, int port, Path keyFile, String main, String label)
            throws Exception {
        List<String> cmd =
                new ArrayList<>(
                        List.of(
                                Path.of(System.getProperty("java.home"), "bin", "java")
                                        .toString()));
        for (String o : jvmOpts.split(" ")) {
            if (!o.isBlank()) {
                cmd.add(o);
            }
        }
        cmd.addAll(
                List.of(
                        // compiler threads live for the whole run, so cpuSplit() sees all of the
                        // JIT's CPU
                        "-XX:-UseDynamicNumberOfCompilerThreads",
                        "-Dhybridge.server.port=" + port,
                        "-Dhybridge.key-file=" + keyFile,
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
                        "-cp",
                        System.getProperty("java.class.path"),
                        main));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        waitForLine(p, "Hybridge gateway at");
        JsonNode wk = JSON.readTree(get(port, "/.well-known/hybridge.json"));
        byte[] pk = Base64.getUrlDecoder().decode(wk.path("public_key").asText());
        System.out.println(
                label
                        + " pid "
                        + p.pid()
                        + " on port "
                        + port
                        + ", fingerprint "
                        + wk.path("fingerprint").asText());
        return new Child(p, port, pk, true, label);
    }

    static Child node(Path script) throws Exception {
        int port = freePort();
        Process p =
                new ProcessBuilder("node", "--expose-gc", script.toString(), String.valueOf(port))
                        .redirectErrorStream(true)
                        .start();
        waitForLine(p, "listening");
        System.out.println("node ws relay pid " + p.pid() + " on port " + port);
        return new Child(p, port, null, false, "node");
    }

    /**
     * {process CPU, of which JIT compiler threads} in ns, from /proc/PID/task/TID/stat
     * (clock ticks of 10 ms). Threads that ended are missing from both; the window compares like with like.
     */
    long[] cpuSplit() throws IOException {
        long all = 0;
        long jit = 0;
        for (var e : cpuByThread().entrySet()) {
            all += e.getValue();
            if (e.getKey().contains("CompilerThre")) {
                jit += e.getValue();
            }
        }
        return new long[] {all, jit};
    }

    /**
     * CPU in ns of the child's live threads, grouped by name with digits and '#' left out
     * ("C2 CompilerThre", "VM Thread": SerialGC collects there, "hybridge-loop-"...).
     */
    java.util.Map<String, Long> cpuByThread() throws IOException {
        java.util.Map<String, Long> by = new java.util.TreeMap<>();
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
                by.merge(comm.replaceAll("[0-9#]+", "").strip(), ns, Long::sum);
            }
        }
        return by;
    }

    /** utime + stime of the child, from /proc (clock ticks of 10 ms). */
    long cpuNanos() throws IOException {
        String stat = Files.readString(Path.of("/proc/" + process.pid() + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
        return ticks * 10_000_000L;
    }

    long pid() {
        return process.pid();
    }

    long rssBytes() throws IOException {
        return status("VmRSS:");
    }

    /** The peak resident set of the process so far (VmHWM). */
    long peakRssBytes() throws IOException {
        return status("VmHWM:");
    }

    private long status(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
            if (line.startsWith(field)) {
                return Long.parseLong(line.replaceAll("\\D+", "")) * 1024;
            }
        }
        return -1;
    }

    /**
     * Heap in use after a full GC. Gateway: jcmd GC.run, then its heap gauge. Node: V8's heapUsed
     * plus what lives outside the V8 heap (external: buffers), after global.gc(), asked over a
     * connection of its own (the relay's bench-memory message).
     */
    long heapUsedAfterGc() throws Exception {
        if (!gateway) {
            JsonPeer p = JsonPeer.connect(this);
            try {
                p.conn.sendText("{\"type\":\"bench-memory\"}");
                for (int i = 0; i < 100; i++) {
                    JsonNode n = p.control.poll(30, TimeUnit.SECONDS);
                    if (n == null) {
                        break;
                    }
                    if (n.path("type").asText().equals("bench-memory")) {
                        return n.path("heapUsed").asLong() + n.path("external").asLong();
                    }
                }
                return -1;
            } finally {
                p.close();
            }
        }
        jcmd("GC.run");
        Thread.sleep(500);
        Matcher m =
                Pattern.compile("^hybridge_jvm_heap_used_bytes (\\d+)$", Pattern.MULTILINE)
                        .matcher(get(port, "/metrics"));
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /** Runs a jcmd command against the gateway; its output. */
    String jcmd(String command) throws Exception {
        Process j =
                new ProcessBuilder(
                                Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                                String.valueOf(process.pid()),
                                command)
                        .redirectErrorStream(true)
                        .start();
        String out = new String(j.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        j.waitFor(60, TimeUnit.SECONDS);
        return out;
    }

    void stop() throws Exception {
        process.destroy(); // SIGTERM: the gateway's graceful shutdown
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }

    // ------------------------------------------------------------------ readings of this process
    // and the machine

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

    /** CPU time of this process (the load generator), ns. */
    static long selfCpu() {
        return ((com.sun.management.OperatingSystemMXBean)
                        ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** The soft limit on open files of this process (children inherit it); -1 when unknown. */
    static long openFilesLimit() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max open files")) {
                    String v = line.substring("Max open files".length()).trim().split("\\s+")[0];
                    return v.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(v);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: nothing to check
        }
        return -1;
    }

    /**
     * Stops the run at once, with what to do, when this process may not open {@code needed} files.
     * The JVM raises its soft limit to the hard limit at start, and the children inherit it, so
     * {@code ulimit -n} (soft and hard) in the shell that starts the tool is what counts.
     */
    static void requireOpenFiles(long needed, String why) {
        long limit = openFilesLimit();
        System.out.printf(
                "open files: %s needs %d; the limit here is %s%n",
                why, needed, limit < 0 ? "unknown" : limit);
        if (limit >= 0 && limit < needed) {
            throw new IllegalStateException(
                    "too few file descriptors: "
                            + why
                            + " needs "
                            + needed
                            + " open files, the limit is "
                            + limit
                            + ". Raise it in the shell that starts the tool (ulimit -n "
                            + needed
                            + "; the hard limit too, as "
                            + "root or in /etc/security/limits.conf), or run fewer sessions.");
        }
    }

    static void waitForLine(Process p, String marker) throws Exception {
        BufferedReader r =
                new BufferedReader(
                        new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + 60_000_000_000L;
        String line;
        StringBuilder seen = new StringBuilder();
        while (System.nanoTime() < deadline && (line = r.readLine()) != null) {
            if (seen.length() < 4000) {
                seen.append("\n  ").append(line);
            }
            if (line.contains(marker)) {
                // keep draining the child's output so it never blocks on a full pipe; on a platform
                // thread: a virtual one blocked in this pipe read holds its carrier, and with two
                // such readers on a 2-core machine no other virtual thread ran (the tool hung)
                Thread.ofPlatform()
                        .daemon()
                        .name("bench-child-output")
                        .start(
                                () -> {
                                    // kept in a file (the log of a run that went wrong)
                                    Path log =
                                            Path.of(
                                                    System.getProperty("java.io.tmpdir"),
                                                    "hybridge-bench-child-" + p.pid() + ".log");
                                    try (var w = Files.newBufferedWriter(log)) {
                                        String l;
                                        while ((l = r.readLine()) != null) {
                                            w.write(l);
                                            w.newLine();
                                            w.flush();
                                        }
                                    } catch (IOException ignored) {
                                        // child ended
                                    }
                                });
                return;
            }
        }
        throw new IllegalStateException(
                "child did not start (no \"" + marker + "\" line); it printed:" + seen);
    }

    static String get(int port, String path) throws Exception {
        return HTTP.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
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
}
