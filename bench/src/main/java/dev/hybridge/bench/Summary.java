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

    /** One benchmark's result, its time in microseconds per operation. */
    public record Result(String name, double us, double errorUs, Double allocBytes) {}

    private final Map<String, Result> results;
    private final JsonNode first;
    private final boolean markdown;
    private final PrintStream out;

    Summary(JsonNode root, boolean markdown, PrintStream out) {
        this.results = parse(root);
        this.first = root.size() > 0 ? root.get(0) : null;
        this.markdown = markdown;
        this.out = out;
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
            JsonNode alloc = b.path("secondaryMetrics").path("gc.alloc.rate.norm").path("score");
            m.put(name, new Result(name, score, err, alloc.isNumber() ? alloc.asDouble() : null));
        }
        return m;
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
                + " alloc is bytes allocated per operation (-prof gc), where measured");
    }

    private void primitives() {
        title("All benchmarks");
        row("benchmark", "time", "± 99.9%", "alloc/op");
        rule(4);
        for (Result r : results.values()) {
            row(r.name(), time(r.us()), time(r.errorUs()), r.allocBytes() == null ? "-" : bytes(r.allocBytes()));
        }
        end();
    }

    /** Sum of counted primitives; null if one of them was not measured. */
    Double sum(List<HandshakeOps.Op> ops, boolean strict) {
        double s = 0;
        for (HandshakeOps.Op op : ops) {
            String name = strict ? HandshakeOps.STRICT.getOrDefault(op.benchmark(), op.benchmark()) : op.benchmark();
            Result r = results.get(name);
            if (r == null) {
                return null;
            }
            s += op.count() * r.us();
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
        out.printf(Locale.ROOT, "measured: %s ± %s per handshake = %,.0f handshakes/s per core%s%n",
                time(hs.us()), time(hs.errorUs()), 1e6 / hs.us(),
                hs.allocBytes() == null ? "" : ", " + bytes(hs.allocBytes()) + " allocated");
        if (markdown) {
            out.println();
        }
        out.println("primitive operations it performs (counted in HandshakeOps):");
        if (markdown) {
            out.println();
        }
        row("operation", "count", "each", "subtotal", "where");
        rule(5);
        for (HandshakeOps.Op op : ops) {
            Result r = results.get(op.benchmark());
            row(op.benchmark(), Integer.toString(op.count()), r == null ? "missing" : time(r.us()),
                    r == null ? "-" : time(op.count() * r.us()), op.where());
        }
        Double sum = sum(ops, false);
        row("sum", "", "", sum == null ? "-" : time(sum), "");
        end();
        if (sum == null) {
            out.println("a primitive is missing from this run: no ratio");
            return;
        }
        double ratio = hs.us() / sum;
        out.printf(Locale.ROOT, "ratio measured / sum of primitives = %.2fx%s%n", ratio,
                gateway ? String.format(Locale.ROOT, " (target <= %.1fx: %s)", TARGET_RATIO,
                        ratio <= TARGET_RATIO ? "met" : "NOT met") : "");
        out.printf(Locale.ROOT, "handshake overhead beyond its primitives: %s (%.0f%% of the handshake)%n",
                time(hs.us() - sum), 100 * (hs.us() - sum) / hs.us());
        Double strict = sum(ops, true);
        Result exp = results.get("xwingDecapsExpandedKey");
        Result dec = results.get("xwingDecaps");
        if (strict != null && exp != null && dec != null) {
            out.printf(Locale.ROOT, "strict: with decapsulation by an already expanded key (xwingDecapsExpandedKey %s"
                            + " instead of %s) the sum is %s and the ratio %.2fx;%n"
                            + "  re-expanding the X-Wing seed on every decapsulation costs %s per handshake"
                            + " (%.0f%% of it)%n",
                    time(exp.us()), time(dec.us()), time(strict), hs.us() / strict,
                    time(dec.us() - exp.us()), 100 * (dec.us() - exp.us()) / hs.us());
        }
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
        out.printf(Locale.ROOT, "measured %s; client + gateway measured apart = %s (%.2fx)%n",
                time(f.us()), time(c.us() + g.us()), f.us() / (c.us() + g.us()));
    }

    private void records() {
        title("Record layer, 1 KiB of plaintext per record");
        row("operation", "time", "records/s", "MB/s", "alloc/record", "bare AES-GCM", "record / bare");
        rule(7);
        recordRow("seal", results.get("recordSeal1KiB"), results.get("gcmSeal1KiB"));
        recordRow("open", results.get("recordOpen1KiB"), results.get("gcmOpen1KiB"));
        end();
        out.println("MB = 10^6 bytes of plaintext; one thread (one core)");
    }

    private void recordRow(String what, Result rec, Result bare) {
        if (rec == null) {
            row(what, "not measured", "", "", "", "", "");
            return;
        }
        double perSec = 1e6 / rec.us();
        row(what, time(rec.us()), String.format(Locale.ROOT, "%,.0f", perSec),
                String.format(Locale.ROOT, "%,.0f", perSec * RecordBench.PLAINTEXT_LEN / 1e6),
                rec.allocBytes() == null ? "-" : bytes(rec.allocBytes()),
                bare == null ? "-" : time(bare.us()),
                bare == null ? "-" : String.format(Locale.ROOT, "%.2fx", rec.us() / bare.us()));
    }

    private void mlkem() {
        title("ML-KEM-768: Bouncy Castle 1.87 vs the JDK's javax.crypto.KEM");
        row("operation", "Bouncy Castle", "JDK", "BC / JDK");
        rule(4);
        for (String op : List.of("Keygen", "Encaps", "Decaps")) {
            Result bc = results.get("mlkemBc" + op);
            Result jdk = results.get("mlkemJdk" + op);
            row(op.toLowerCase(Locale.ROOT), bc == null ? "-" : time(bc.us()),
                    jdk == null ? "not available" : time(jdk.us()),
                    bc == null || jdk == null ? "-" : String.format(Locale.ROOT, "%.2fx", bc.us() / jdk.us()));
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
        double bcMlkem = kg.us() + enc.us() + dec.us();
        double xwing = xe.us() + xd.us();
        out.printf(Locale.ROOT, "gateway handshake %s, of which X-Wing encaps + decaps %s (%.0f%%);%n",
                time(g.us()), time(xwing), 100 * xwing / g.us());
        out.printf(Locale.ROOT, "  ML-KEM inside them (keygen from the seed + encaps + decaps, BC) ~ %s (%.0f%% of the handshake),%n",
                time(bcMlkem), 100 * bcMlkem / g.us());
        out.printf(Locale.ROOT, "  the rest of X-Wing (X25519 x4, SHAKE/SHA3, checks) ~ %s (%.0f%%)%s%n",
                time(xwing - bcMlkem), 100 * (xwing - bcMlkem) / g.us(),
                x == null ? "" : "; one BC X25519 scalar multiplication = " + time(x.us()));
        Result je = results.get("mlkemJdkEncaps");
        Result jd = results.get("mlkemJdkDecaps");
        if (je != null && jd != null) {
            double saved = enc.us() + dec.us() - je.us() - jd.us();
            out.printf(Locale.ROOT, "  the JDK's ML-KEM for encaps + decaps would save ~ %s per gateway handshake (%.0f%%)%n",
                    time(saved), 100 * saved / g.us());
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
        int[] widths = {24, 8, 11, 11, 13, 12, 12};
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
    static String time(double us) {
        if (Double.isNaN(us)) {
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
