package dev.hybridge.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
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
 * <p>Every time is known as wall clock (JMH's score) and, where {@link CpuTimeProfiler} ran, as
 * CPU time of the benchmark thread; each as the mean over the measurement iterations (JMH's
 * score, with its 99.9% half-width) and as the best (lowest) iteration. On a small machine shared
 * with other work the best iteration is the one least disturbed; the headline figures use the
 * benchmark thread's CPU time of the best iteration, and the mean is printed beside it.
 *
 * <p>Usage: {@code java -cp bench/target/benchmarks.jar dev.hybridge.bench.Summary result.json
 * [--markdown]}. With {@code --markdown} the tables come out as Markdown, for the README.
 */
public final class Summary {
    /** The target of ARCHITECTURE.md: gateway CPU per handshake within 1.2x its primitives. */
    public static final double TARGET_RATIO = 1.2;

    /** What was timed. */
    public enum Metric {
        WALL("wall", null),
        CPU("CPU", "cpu.thread"),
        JVM("JVM CPU", "cpu.process");

        final String label;
        final String secondary;

        Metric(String label, String secondary) {
            this.label = label;
            this.secondary = secondary;
        }
    }

    /** Which number of the iterations. */
    public enum Statistic {
        MEAN("mean"),
        BEST("best");

        final String label;

        Statistic(String label) {
            this.label = label;
        }
    }

    /** Microseconds per operation: mean, its 99.9% half-width (NaN if unknown), best iteration. */
    public record Stat(double mean, double error, double best) {
        double get(Statistic s) {
            return s == Statistic.MEAN ? mean : best;
        }
    }

    /** One benchmark's result. */
    public record Result(String name, Map<Metric, Stat> stats, Double allocBytes) {
        Double get(Metric m, Statistic s) {
            Stat st = stats.get(m);
            return st == null ? null : st.get(s);
        }
    }

    private final Map<String, Result> results;
    private final JsonNode first;
    private final boolean markdown;
    private final PrintStream out;

    /** The benchmark thread's CPU time where every result has it, else wall clock. */
    private final Metric main;

    Summary(JsonNode root, boolean markdown, PrintStream out) {
        this.results = parse(root);
        this.first = root.size() > 0 ? root.get(0) : null;
        this.markdown = markdown;
        this.out = out;
        this.main =
                !results.isEmpty()
                                && results.values().stream()
                                        .allMatch(r -> r.stats().containsKey(Metric.CPU))
                        ? Metric.CPU
                        : Metric.WALL;
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

    /** The classes whose results this summary reads (method names are unique across them). */
    static final List<Class<?>> CLASSES =
            List.of(
                    PrimitivesBench.class,
                    RecordBench.class,
                    HandshakeBench.class,
                    MlKemBench.class);

    static Map<String, Result> parse(JsonNode root) {
        Map<String, Result> m = new LinkedHashMap<>();
        for (JsonNode b : root) {
            String full = b.get("benchmark").asText();
            String name = full.substring(full.lastIndexOf('.') + 1);
            String owner = full.substring(0, Math.max(0, full.lastIndexOf('.')));
            if (CLASSES.stream().noneMatch(c -> c.getName().equals(owner))) {
                continue; // e.g. HandshakePrimitivesBench, read by LoadBench
            }
            Map<Metric, Stat> stats = new EnumMap<>(Metric.class);
            stat(b.get("primaryMetric")).ifPresent(s -> stats.put(Metric.WALL, s));
            JsonNode sec = b.path("secondaryMetrics");
            for (Metric metric : List.of(Metric.CPU, Metric.JVM)) {
                if (sec.has(metric.secondary)) {
                    stat(sec.get(metric.secondary)).ifPresent(s -> stats.put(metric, s));
                }
            }
            JsonNode alloc = sec.path("gc.alloc.rate.norm").path("score");
            m.put(name, new Result(name, stats, alloc.isNumber() ? alloc.asDouble() : null));
        }
        return m;
    }

    private static java.util.Optional<Stat> stat(JsonNode metric) {
        if (metric == null || !metric.path("score").isNumber()) {
            return java.util.Optional.empty();
        }
        double scale = toMicros(metric.get("scoreUnit").asText());
        double mean = metric.get("score").asDouble() * scale;
        double err =
                metric.path("scoreError").isNumber()
                        ? metric.get("scoreError").asDouble() * scale
                        : Double.NaN;
        double best = Double.POSITIVE_INFINITY;
        for (JsonNode fork : metric.path("rawData")) {
            for (JsonNode it : fork) {
                best = Math.min(best, it.asDouble() * scale);
            }
        }
        return java.util.Optional.of(new Stat(mean, err, Double.isInfinite(best) ? mean : best));
    }

    static double toMicros(String unit) {
        return switch (unit) {
            case "s/op" -> 1e6;
            case "ms/op" -> 1e3;
            case "us/op" -> 1.0;
            case "ns/op" -> 1e-3;
            default ->
                    throw new IllegalArgumentException(
                            "expected an average-time result, got " + unit);
        };
    }

    /** A result's headline time: the main metric, best iteration. */
    private double v(Result r) {
        Double x = r.get(main, Statistic.BEST);
        return x == null ? r.get(Metric.WALL, Statistic.BEST) : x;
    }

    // ------------------------------------------------------------------------------------ output

    void print() {
        header();
        all();
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
        out.printf(
                Locale.ROOT,
                "JMH %s, %s %s, forks %d, warmup %d x %s, measurement %d x %s, threads %d, %d CPUs%n",
                first.path("jmhVersion").asText("?"),
                first.path("vmName").asText("?"),
                first.path("jdkVersion").asText("?"),
                first.path("forks").asInt(),
                first.path("warmupIterations").asInt(),
                first.path("warmupTime").asText(),
                first.path("measurementIterations").asInt(),
                first.path("measurementTime").asText(),
                first.path("threads").asInt(),
                Runtime.getRuntime().availableProcessors());
        out.println(
                "per operation, single thread. wall = JMH's score; CPU = CPU time of the benchmark thread,"
                        + " JVM CPU = of the whole JVM (CpuTimeProfiler); mean = over the measurement iterations (± its 99.9%"
                        + " half-width), best = the lowest iteration; alloc = bytes allocated (-prof gc).");
        out.println("headline figures: " + main.label + ", best iteration.");
    }

    private void all() {
        title("All benchmarks");
        row(
                "benchmark",
                "wall mean",
                "± 99.9%",
                "wall best",
                "CPU mean",
                "CPU best",
                "JVM CPU mean",
                "alloc/op");
        rule(8);
        for (Result r : results.values()) {
            row(
                    r.name(),
                    time(r.get(Metric.WALL, Statistic.MEAN)),
                    time(r.stats().get(Metric.WALL).error()),
                    time(r.get(Metric.WALL, Statistic.BEST)),
                    time(r.get(Metric.CPU, Statistic.MEAN)),
                    time(r.get(Metric.CPU, Statistic.BEST)),
                    time(r.get(Metric.JVM, Statistic.MEAN)),
                    r.allocBytes() == null ? "-" : bytes(r.allocBytes()));
        }
        end();
    }

    /** Sum of counted primitives; null if one of them was not measured in this metric. */
    Double sum(List<HandshakeOps.Op> ops, Metric metric, Statistic statistic) {
        double s = 0;
        for (HandshakeOps.Op op : ops) {
            Result r = results.get(op.benchmark());
            Double v = r == null ? null : r.get(metric, statistic);
            if (v == null) {
                return null;
            }
            s += op.count() * v;
        }
        return s;
    }

    /** The columns of the ratio tables. */
    private record Column(Metric metric, Statistic statistic) {
        String label() {
            return metric.label + " " + statistic.label;
        }
    }

    private static final List<Column> COLUMNS =
            List.of(
                    new Column(Metric.WALL, Statistic.MEAN),
                    new Column(Metric.WALL, Statistic.BEST),
                    new Column(Metric.CPU, Statistic.MEAN),
                    new Column(Metric.CPU, Statistic.BEST));

    private void handshake(String side, String bench, List<HandshakeOps.Op> ops, boolean gateway) {
        Result hs = results.get(bench);
        title(side + " side of the hop handshake (" + bench + ")");
        if (hs == null) {
            out.println("not measured");
            return;
        }
        out.println(
                "The primitive operations it performs (counted in HandshakeOps), at their measured "
                        + main.label
                        + " time (best iteration):");
        if (markdown) {
            out.println();
        }
        row("operation", "count", "each", "subtotal", "where");
        rule(5);
        for (HandshakeOps.Op op : ops) {
            Result r = results.get(op.benchmark());
            row(
                    op.benchmark(),
                    Integer.toString(op.count()),
                    r == null ? "missing" : time(v(r)),
                    r == null ? "-" : time(op.count() * v(r)),
                    op.where());
        }
        Double headlineSum = sum(ops, main, Statistic.BEST);
        row("sum", "", "", time(headlineSum), "");
        end();

        Result seq = gateway ? results.get("gatewayPrimitives") : null;
        String[] head = new String[COLUMNS.size() + 1];
        head[0] = "per handshake";
        for (int i = 0; i < COLUMNS.size(); i++) {
            head[i + 1] = COLUMNS.get(i).label();
        }
        row(head);
        rule(head.length);
        columnRow(bench, c -> hs.get(c.metric(), c.statistic()), Summary::time);
        columnRow(
                "handshakes/s per core",
                c -> inverse(hs.get(c.metric(), c.statistic())),
                Summary::count);
        columnRow("sum of its primitives", c -> sum(ops, c.metric(), c.statistic()), Summary::time);
        columnRow(
                "**ratio handshake / sum**",
                c -> ratio(hs.get(c.metric(), c.statistic()), sum(ops, c.metric(), c.statistic())),
                Summary::times);
        if (seq != null) {
            columnRow(
                    "gatewayPrimitives (same ops in one benchmark)",
                    c -> seq.get(c.metric(), c.statistic()),
                    Summary::time);
            columnRow(
                    "ratio handshake / gatewayPrimitives",
                    c ->
                            ratio(
                                    hs.get(c.metric(), c.statistic()),
                                    seq.get(c.metric(), c.statistic())),
                    Summary::times);
        }
        end();

        if (headlineSum == null) {
            out.println("a primitive is missing from this run: no ratio");
            return;
        }
        double time = v(hs);
        double ratio = time / headlineSum;
        out.printf(
                Locale.ROOT,
                "%s per handshake %s (%,.0f handshakes/s per core); sum of its primitives %s;"
                        + " ratio %.2fx%s%n",
                main.label,
                time(time),
                1e6 / time,
                time(headlineSum),
                ratio,
                gateway
                        ? String.format(
                                Locale.ROOT,
                                " (target <= %.1fx: %s)",
                                TARGET_RATIO,
                                ratio <= TARGET_RATIO ? "met" : "NOT met")
                        : "");
        Double meanTime = hs.get(main, Statistic.MEAN);
        Double meanSum = sum(ops, main, Statistic.MEAN);
        if (meanTime != null && meanSum != null) {
            out.printf(
                    Locale.ROOT,
                    "(by the means of the iterations: %s, sum %s, ratio %.2fx)%n",
                    time(meanTime),
                    time(meanSum),
                    meanTime / meanSum);
        }
        Result fromSeed = results.get("xwingDecapsFromSeed");
        Result dec = results.get("xwingDecaps");
        if (fromSeed != null && dec != null) {
            double saved = v(fromSeed) - v(dec);
            out.printf(
                    Locale.ROOT,
                    "decapsulation with the key expanded once (xwingDecaps %s) instead of from the"
                            + " 32-byte seed (xwingDecapsFromSeed %s) saves %s per handshake (%.0f%% of it)%n",
                    time(v(dec)),
                    time(v(fromSeed)),
                    time(saved),
                    100 * saved / time);
        }
    }

    private void columnRow(String label, Function<Column, Double> f, Function<Double, String> fmt) {
        String[] c = new String[COLUMNS.size() + 1];
        c[0] = markdown ? label : label.replace("**", "");
        for (int i = 0; i < COLUMNS.size(); i++) {
            Double v = f.apply(COLUMNS.get(i));
            c[i + 1] = v == null || v.isNaN() ? "-" : fmt.apply(v);
        }
        row(c);
    }

    private static Double ratio(Double a, Double b) {
        return a == null || b == null ? null : a / b;
    }

    private static Double inverse(Double us) {
        return us == null ? null : 1e6 / us;
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
        out.printf(
                Locale.ROOT,
                "%s, best iteration: measured %s; client + gateway measured apart = %s (%.2fx)%n",
                main.label,
                time(v(f)),
                time(v(c) + v(g)),
                v(f) / (v(c) + v(g)));
    }

    private void records() {
        title("Record layer, 1 KiB of plaintext per record (" + main.label + ", best iteration)");
        row(
                "operation",
                "time",
                "records/s",
                "MB/s",
                "alloc/record",
                "bare AES-GCM",
                "record / bare");
        rule(7);
        recordRow("seal", results.get("recordSeal1KiB"), results.get("gcmSeal1KiB"));
        recordRow("open", results.get("recordOpen1KiB"), results.get("gcmOpen1KiB"));
        end();
        out.println(
                "MB = 10^6 bytes of plaintext; one thread (one core); open: per record of a batch of "
                        + RecordBench.BATCH
                        + ", opened in order");
    }

    private void recordRow(String what, Result rec, Result bare) {
        if (rec == null) {
            row(what, "not measured", "", "", "", "", "");
            return;
        }
        double perSec = 1e6 / v(rec);
        row(
                what,
                time(v(rec)),
                count(perSec),
                count(perSec * RecordBench.PLAINTEXT_LEN / 1e6),
                rec.allocBytes() == null ? "-" : bytes(rec.allocBytes()),
                bare == null ? "-" : time(v(bare)),
                bare == null ? "-" : times(v(rec) / v(bare)));
    }

    private void mlkem() {
        title(
                "ML-KEM-768: Bouncy Castle 1.87 vs the JDK's javax.crypto.KEM ("
                        + main.label
                        + ", best iteration)");
        row("operation", "Bouncy Castle", "JDK", "BC / JDK");
        rule(4);
        for (String op : List.of("Keygen", "Encaps", "Decaps")) {
            Result bc = results.get("mlkemBc" + op);
            Result jdk = results.get("mlkemJdk" + op);
            row(
                    op.toLowerCase(Locale.ROOT),
                    bc == null ? "-" : time(v(bc)),
                    jdk == null ? "-" : time(v(jdk)),
                    bc == null || jdk == null ? "-" : times(v(bc) / v(jdk)));
        }
        end();
        out.println("(BC keygen expands a 64-byte seed; the JDK's draws a fresh random key pair)");
        Result g = results.get("hopHandshakeGateway");
        Result enc = results.get("mlkemBcEncaps");
        Result dec = results.get("mlkemBcDecaps");
        Result xe = results.get("xwingEncaps");
        Result xd = results.get("xwingDecaps");
        Result x = results.get("x25519");
        Result xb = results.get("x25519Base");
        if (g == null || enc == null || dec == null || xe == null || xd == null) {
            return;
        }
        double mlkem = v(enc) + v(dec);
        double xwing = v(xe) + v(xd);
        out.printf(
                Locale.ROOT,
                "Where the gateway's %s per handshake goes (estimates from the primitives above):%n",
                time(v(g)));
        out.printf(
                Locale.ROOT,
                "- X-Wing encapsulation + decapsulation: %s (%.0f%%)%n",
                time(xwing),
                100 * xwing / v(g));
        out.printf(
                Locale.ROOT,
                "- of which ML-KEM-768 encapsulation + decapsulation (BC): %s (%.0f%%)%n",
                time(mlkem),
                100 * mlkem / v(g));
        if (x != null && xb != null) {
            double x25519 = 2 * v(x) + v(xb);
            out.printf(
                    Locale.ROOT,
                    "- of which X25519, 1 fixed-base + 2 variable-base multiplications (BC): %s (%.0f%%)%n",
                    time(x25519),
                    100 * x25519 / v(g));
            out.printf(
                    Locale.ROOT,
                    "- rest of X-Wing (SHA3-256 combiners, key parsing and checks, copies): %s (%.0f%%)%n",
                    time(xwing - mlkem - x25519),
                    100 * (xwing - mlkem - x25519) / v(g));
        }
        Result je = results.get("mlkemJdkEncaps");
        Result jd = results.get("mlkemJdkDecaps");
        if (je != null && jd != null) {
            double saved = v(enc) + v(dec) - v(je) - v(jd);
            out.printf(
                    Locale.ROOT,
                    "- the JDK's ML-KEM for these two would save ~ %s per handshake (%.0f%%)%n",
                    time(saved),
                    100 * saved / v(g));
        }
    }

    // ------------------------------------------------------------------------------------
    // formatting

    private void title(String t) {
        out.println();
        out.println(markdown ? "#### " + t : "== " + t);
        if (markdown) {
            out.println();
        }
    }

    private void row(String... cells) {
        if (markdown) {
            StringBuilder sb = new StringBuilder("|");
            for (String c : cells) {
                sb.append(' ').append(c.replace("|", "\\|")).append(" |");
            }
            out.println(sb);
            return;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < cells.length; i++) {
            String c = cells[i];
            boolean text = i == 0 || (i == cells.length - 1 && c.length() > 14);
            sb.append(String.format(Locale.ROOT, text ? "%-" + (i == 0 ? 44 : 1) + "s" : "%13s", c))
                    .append(' ');
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

    static String times(Double r) {
        return String.format(Locale.ROOT, "%.2fx", r);
    }

    static String count(Double n) {
        return String.format(Locale.ROOT, "%,.0f", n);
    }

    static String bytes(double b) {
        return String.format(Locale.ROOT, "%,.0f B", b);
    }
}
