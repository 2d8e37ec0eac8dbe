package dev.hybridge.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Reads a JMH JSON result ({@code -rf json}) of the Hybridge benchmarks and prints what the
 * project's targets ask for: each primitive's time, the gateway's CPU per hop handshake against
 * the sum of the primitive operations it performs (target: at most 1.2x), handshakes per second
 * per core, record throughput, and Bouncy Castle's ML-KEM-768 against the JDK's.
 *
 * <p>Usage: {@code java -cp bench/target/benchmarks.jar dev.hybridge.bench.Summary result.json
 * [--markdown]}. With {@code --markdown} the tables come out as Markdown, for the README.
 */
public final class Summary {
    /** The target of ARCHITECTURE.md: gateway CPU per handshake within 1.2x its primitives. */
    public static final double TARGET_RATIO = 1.2;

    /**
     * One benchmark's result in microseconds per operation: wall clock (JMH's score) and, where
     * CpuTimeProfiler ran, CPU time of the benchmark thread and of the whole JVM.
     */
    public record Result(String name, double us, double errorUs, Double cpuThreadUs, Double cpuProcessUs,
                         Double allocBytes) {
        Double metric(Metric m) {
            return switch (m) {
                case WALL -> us;
                case CPU_THREAD -> cpuThreadUs;
                case CPU_PROCESS -> cpuProcessUs;
            };
        }
    }

    /** What a time means. */
    public enum Metric {
        WALL("wall clock"), CPU_THREAD("CPU, benchmark thread"), CPU_PROCESS("CPU, whole JVM");

        final String label;

        Metric(String label) {
            this.label = label;
        }
    }

    private final Map<String, Result> results;
    private final JsonNode first;
    private final boolean markdown;
    private final PrintStream out;
    /** CPU time of the benchmark thread where every result has it, else wall clock. */
    private final Metric main;

    Summary(JsonNode root, boolean markdown, PrintStream out) {
        this.results = parse(root);
        this.first = root.size() > 0 ? root.get(0) : null;
        this.markdown = markdown;
        this.out = out;
        this.main = !results.isEmpty() && results.values().stream().allMatch(r -> r.cpuThreadUs() != null)
                ? Metric.CPU_THREAD : Metric.WALL;
    }

    /** A result's time in the main metric. */
    private double v(Result r) {
        Double x = r.metric(main);
        return x == null ? r.us() : x;
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: Summary <jmh-result.json> [--markdown]");
            System.exit(2);
        }
        boolean md = List.of(args).contains("--markdown");
        JsonNode root = new ObjectMapper().readTree(Files.readString(Path.of(args[0])));
        new Summary(root, md, System.out).print();
    }

    static Map<String, Result> parse(JsonNode root) {
        Map<String, Result> m = new LinkedHashMap<>();
        for (JsonNode b : root) {
            String full = b.get("benchmark").asText();
            String name = full.substring(full.lastIndexOf('.') + 1);
            JsonNode pm = b.get("primaryMetric");
            double scale = toMicros(pm.get("scoreUnit").asText());
            double score = pm.get("score").asDouble() * scale;
            double err = pm.path("scoreError").isNumber() ? pm.get("scoreError").asDouble() * scale : Double.NaN;
            JsonNode sec = b.path("secondaryMetrics");
            JsonNode alloc = sec.path("gc.alloc.rate.norm").path("score");
            m.put(name, new Result(name, score, err, secondary(sec, "cpu.thread"), secondary(sec, "cpu.process"),
                    alloc.isNumber() ? alloc.asDouble() : null));
        }
        return m;
    }

    private static Double secondary(JsonNode sec, String key) {
        JsonNode n = sec.path(key);
        return n.path("score").isNumber() ? n.get("score").asDouble() * toMicros(n.get("scoreUnit").asText()) : null;
    }

    static double toMicros(String unit) {
        return switch (unit) {
            case "s/op" -> 1e6;
            case "ms/op" -> 1e3;
            case "us/op" -> 1.0;
            case "ns/op" -> 1e-3;
            default -> throw new IllegalArgumentException("expected an average-time result, got " + unit);
        };
    }

    // ------------------------------------------------------------------------------------ output

    void print() {
        header();
        primitives();
        handshake("Gateway", "hopHandshakeGateway", HandshakeOps.GATEWAY, true);
        handshake("Client", "hopHandshakeClient", HandshakeOps.CLIENT, false);
        full();
        records();
        mlkem();
    }

    private void header() {
        title("Run");
        if (first == null) {
            out.println("no results");
            return;
        }
        out.printf(Locale.ROOT, "JMH %s, %s %s, forks %d, warmup %d x %s, measurement %d x %s, threads %d, %d CPUs%n",
                first.path("jmhVersion").asText("?"), first.path("vmName").asText("?"),
                first.path("jdkVersion").asText("?"), first.path("forks").asInt(),
                first.path("warmupIterations").asInt(), first.path("warmupTime").asText(),
                first.path("measurementIterations").asInt(), first.path("measurementTime").asText(),
                first.path("threads").asInt(), Runtime.getRuntime().availableProcessors());
        out.println("times are JMH averages (single thread) with the 99.9% confidence half-width;"
                + " CPU thread / CPU JVM are CPU time per operation of the benchmark thread / of the whole JVM"
                + " (CpuTimeProfiler); alloc is bytes allocated per operation (-prof gc)");
    }

    private void primitives() {
        title("All benchmarks");
        row("benchmark", "wall", "± 99.9%", "CPU thread", "CPU JVM", "alloc/op");
        rule(6);
        for (Result r : results.values()) {
            row(r.name(), time(r.us()), time(r.errorUs()), time(r.cpuThreadUs()), time(r.cpuProcessUs()),
                    r.allocBytes() == null ? "-" : bytes(r.allocBytes()));
        }
        end();
    }

    /** Sum of counted primitives by wall clock; null if one of them was not measured. */
    Double sum(List<HandshakeOps.Op> ops, boolean strict) {
        return sum(ops, strict, Metric.WALL);
    }

    /** Sum of counted primitives in one metric; null if one of them was not measured in it. */
    Double sum(List<HandshakeOps.Op> ops, boolean strict, Metric metric) {
        double s = 0;
        for (HandshakeOps.Op op : ops) {
            String name = strict ? HandshakeOps.STRICT.getOrDefault(op.benchmark(), op.benchmark()) : op.benchmark();
            Result r = results.get(name);
            Double v = r == null ? null : r.metric(metric);
            if (v == null) {
                return null;
            }
            s += op.count() * v;
        }
        return s;
    }

    private void handshake(String side, String bench, List<HandshakeOps.Op> ops, boolean gateway) {
        Result hs = results.get(bench);
        title(side + " side of the hop handshake (" + bench + ")");
        if (hs == null) {
            out.println("not measured");
            return;
        }
        out.println("primitive operations it performs (counted in HandshakeOps), each at its measured time:");
        if (markdown) {
            out.println();
        }
        row("operation", "count", "wall each", "CPU each", "CPU subtotal", "where");
        rule(6);
        for (HandshakeOps.Op op : ops) {
            Result r = results.get(op.benchmark());
            row(op.benchmark(), Integer.toString(op.count()), r == null ? "missing" : time(r.us()),
                    r == null ? "-" : time(r.cpuThreadUs()),
                    r == null || r.cpuThreadUs() == null ? "-" : time(op.count() * r.cpuThreadUs()), op.where());
        }
        end();

        List<Metric> metrics = List.of(Metric.WALL, Metric.CPU_THREAD, Metric.CPU_PROCESS);
        Result seq = gateway ? results.get("gatewayPrimitives") : null;
        row("per handshake", "wall", "CPU thread", "CPU JVM");
        rule(4);
        metricRow(bench, metrics, hs::metric, Summary::time);
        metricRow("handshakes/s per core", metrics, m -> hs.metric(m) == null ? null : 1e6 / hs.metric(m), Summary::count);
        metricRow("sum of its primitives", metrics, m -> sum(ops, false, m), Summary::time);
        metricRow("ratio handshake / sum", metrics, m -> ratio(hs.metric(m), sum(ops, false, m)), Summary::times);
        if (seq != null) {
            metricRow("gatewayPrimitives (run in sequence)", metrics, seq::metric, Summary::time);
            metricRow("ratio handshake / that", metrics, m -> ratio(hs.metric(m), seq.metric(m)), Summary::times);
        }
        metricRow("sum with xwingDecapsExpandedKey", metrics, m -> sum(ops, true, m), Summary::time);
        metricRow("ratio handshake / that (strict)", metrics, m -> ratio(hs.metric(m), sum(ops, true, m)), Summary::times);
        end();
        Double sum = sum(ops, false, Metric.CPU_THREAD);
        Metric used = Metric.CPU_THREAD;
        if (sum == null || hs.cpuThreadUs() == null) {
            sum = sum(ops, false, Metric.WALL);
            used = Metric.WALL;
        }
        if (sum == null) {
            out.println("a primitive is missing from this run: no ratio");
            return;
        }
        double time = hs.metric(used);
        double ratio = time / sum;
        out.printf(Locale.ROOT, "%s per handshake %s (%,.0f handshakes/s per core); sum of its primitives %s;"
                        + " ratio %.2fx%s%n",
                used == Metric.CPU_THREAD ? "CPU" : "wall time", time(time), 1e6 / time, time(sum), ratio,
                gateway ? String.format(Locale.ROOT, " (target <= %.1fx: %s)", TARGET_RATIO,
                        ratio <= TARGET_RATIO ? "met" : "NOT met") : "");
        out.printf(Locale.ROOT, "beyond its primitives: %s (%.0f%% of the handshake)%n",
                time(time - sum), 100 * (time - sum) / time);
        Result exp = results.get("xwingDecapsExpandedKey");
        Result dec = results.get("xwingDecaps");
        if (exp != null && dec != null && exp.metric(used) != null && dec.metric(used) != null) {
            double waste = dec.metric(used) - exp.metric(used);
            out.printf(Locale.ROOT, "decapsulating from the 32-byte seed (xwingDecaps %s) instead of an expanded key"
                            + " (xwingDecapsExpandedKey %s) costs %s per handshake (%.0f%% of it)%n",
                    time(dec.metric(used)), time(exp.metric(used)), time(waste), 100 * waste / time);
        }
    }

    /** One table row: a label, then f of each metric formatted by fmt ("-" where f gives null). */
    private void metricRow(String label, List<Metric> metrics, Function<Metric, Double> f, Function<Double, String> fmt) {
        String[] c = new String[metrics.size() + 1];
        c[0] = label;
        for (int i = 0; i < metrics.size(); i++) {
            Double v = f.apply(metrics.get(i));
            c[i + 1] = v == null || v.isNaN() ? "-" : fmt.apply(v);
        }
        row(c);
    }

    private static Double ratio(Double a, Double b) {
        return a == null || b == null ? null : a / b;
    }

    private static String times(double r) {
        return String.format(Locale.ROOT, "%.2fx", r);
    }

    private static String count(double n) {
        return String.format(Locale.ROOT, "%,.0f", n);
    }

    private void full() {
        title("Both sides in one thread (hopHandshakeFull)");
        Result f = results.get("hopHandshakeFull");
        Result c = results.get("hopHandshakeClient");
        Result g = results.get("hopHandshakeGateway");
        if (f == null || c == null || g == null) {
            out.println("not measured");
            return;
        }
        out.printf(Locale.ROOT, "%s: measured %s; client + gateway measured apart = %s (%.2fx)%n",
                main.label, time(v(f)), time(v(c) + v(g)), v(f) / (v(c) + v(g)));
    }

    private void records() {
        title("Record layer, 1 KiB of plaintext per record (" + main.label + ")");
        row("operation", "time", "records/s", "MB/s", "alloc/record", "bare AES-GCM", "record / bare");
        rule(7);
        recordRow("seal", results.get("recordSeal1KiB"), results.get("gcmSeal1KiB"));
        recordRow("open", results.get("recordOpen1KiB"), results.get("gcmOpen1KiB"));
        end();
        out.println("MB = 10^6 bytes of plaintext; one thread (one core); open: per record of a batch of "
                + RecordBench.BATCH + ", in order");
    }

    private void recordRow(String what, Result rec, Result bare) {
        if (rec == null) {
            row(what, "not measured", "", "", "", "", "");
            return;
        }
        double perSec = 1e6 / v(rec);
        row(what, time(v(rec)), String.format(Locale.ROOT, "%,.0f", perSec),
                String.format(Locale.ROOT, "%,.0f", perSec * RecordBench.PLAINTEXT_LEN / 1e6),
                rec.allocBytes() == null ? "-" : bytes(rec.allocBytes()),
                bare == null ? "-" : time(v(bare)),
                bare == null ? "-" : String.format(Locale.ROOT, "%.2fx", v(rec) / v(bare)));
    }

    private void mlkem() {
        title("ML-KEM-768: Bouncy Castle 1.87 vs the JDK's javax.crypto.KEM (" + main.label + ")");
        row("operation", "Bouncy Castle", "JDK", "BC / JDK");
        rule(4);
        for (String op : List.of("Keygen", "Encaps", "Decaps")) {
            Result bc = results.get("mlkemBc" + op);
            Result jdk = results.get("mlkemJdk" + op);
            row(op.toLowerCase(Locale.ROOT), bc == null ? "-" : time(v(bc)),
                    jdk == null ? "-" : time(v(jdk)),
                    bc == null || jdk == null ? "-" : String.format(Locale.ROOT, "%.2fx", v(bc) / v(jdk)));
        }
        end();
        out.println("(BC keygen expands a 64-byte seed; the JDK's draws a fresh random key pair)");
        Result g = results.get("hopHandshakeGateway");
        Result kg = results.get("mlkemBcKeygen");
        Result enc = results.get("mlkemBcEncaps");
        Result dec = results.get("mlkemBcDecaps");
        Result xe = results.get("xwingEncaps");
        Result xd = results.get("xwingDecaps");
        Result x = results.get("x25519");
        if (g == null || kg == null || enc == null || dec == null || xe == null || xd == null) {
            return;
        }
        double bcMlkem = v(kg) + v(enc) + v(dec);
        double xwing = v(xe) + v(xd);
        out.printf(Locale.ROOT, "gateway handshake %s, of which X-Wing encaps + decaps %s (%.0f%%);%n",
                time(v(g)), time(xwing), 100 * xwing / v(g));
        out.printf(Locale.ROOT, "  ML-KEM inside them (keygen from the seed + encaps + decaps, BC) ~ %s (%.0f%% of the handshake),%n",
                time(bcMlkem), 100 * bcMlkem / v(g));
        out.printf(Locale.ROOT, "  the rest of X-Wing (X25519 x4, SHAKE/SHA3, checks) ~ %s (%.0f%%)%s%n",
                time(xwing - bcMlkem), 100 * (xwing - bcMlkem) / v(g),
                x == null ? "" : "; one BC X25519 scalar multiplication = " + time(v(x)));
        Result je = results.get("mlkemJdkEncaps");
        Result jd = results.get("mlkemJdkDecaps");
        if (je != null && jd != null) {
            double saved = v(enc) + v(dec) - v(je) - v(jd);
            out.printf(Locale.ROOT, "  the JDK's ML-KEM for encaps + decaps would save ~ %s per gateway handshake (%.0f%%)%n",
                    time(saved), 100 * saved / v(g));
        }
    }

    // ------------------------------------------------------------------------------------ formatting

    private void title(String t) {
        out.println();
        out.println(markdown ? "#### " + t : "== " + t);
        if (markdown) {
            out.println();
        }
    }

    private void row(String... cells) {
        if (markdown) {
            out.println("| " + String.join(" | ", cells) + " |");
            return;
        }
        StringBuilder sb = new StringBuilder();
        int[] widths = {34, 10, 12, 12, 13, 12, 12};
        for (int i = 0; i < cells.length; i++) {
            String c = cells[i];
            int w = i < widths.length ? widths[i] : 0;
            if (i == 0 || i == cells.length - 1 && c.length() > 14) {
                sb.append(String.format(Locale.ROOT, "%-" + Math.max(w, 1) + "s", c));
            } else {
                sb.append(String.format(Locale.ROOT, "%" + Math.max(w, 1) + "s", c));
            }
            sb.append("  ");
        }
        out.println(sb.toString().stripTrailing());
    }

    private void rule(int columns) {
        if (markdown) {
            out.println("|" + "---|".repeat(columns));
        }
    }

    private void end() {
        if (markdown) {
            out.println();
        }
    }

    /** A time given in microseconds, shown in ns, us or ms. */
    static String time(Double us) {
        if (us == null || us.isNaN()) {
            return "-";
        }
        double a = Math.abs(us);
        if (a < 1) {
            return String.format(Locale.ROOT, "%.0f ns", us * 1000);
        }
        if (a < 10) {
            return String.format(Locale.ROOT, "%.2f us", us);
        }
        if (a < 1000) {
            return String.format(Locale.ROOT, "%.1f us", us);
        }
        return String.format(Locale.ROOT, "%.2f ms", us / 1000);
    }

    static String bytes(double b) {
        return String.format(Locale.ROOT, "%,.0f B", b);
    }
}
