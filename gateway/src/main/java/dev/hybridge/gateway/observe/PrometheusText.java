package dev.hybridge.gateway.observe;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The Prometheus text exposition format, as the gateway's metrics ({@link Metrics}) and the
 * cluster's ({@code cluster.ClusterMetrics}) write it: one {@code # HELP} and {@code # TYPE} line
 * per family, then its samples.
 */
public final class PrometheusText {
    private PrometheusText() {}

    public static void gauge(StringBuilder sb, String name, String help, long v) {
        head(sb, name, help, "gauge");
        sb.append(name).append(' ').append(v).append('\n');
    }

    public static void counter(StringBuilder sb, String name, String help, long v) {
        head(sb, name, help, "counter");
        sb.append(name).append(' ').append(v).append('\n');
    }

    /** A counter family with one label, its samples in the label's order. */
    public static void labelled(
            StringBuilder sb,
            String name,
            String help,
            String label,
            Map<String, LongAdder> values) {
        head(sb, name, help, "counter");
        for (Map.Entry<String, LongAdder> e : new TreeMap<>(values).entrySet()) {
            sample(sb, name, label, e.getKey(), e.getValue().sum());
        }
    }

    /** A counter family by direction: {@code out}, then {@code in}. */
    public static void counterPair(StringBuilder sb, String name, String help, long out, long in) {
        head(sb, name, help, "counter");
        sample(sb, name, "direction", "out", out);
        sample(sb, name, "direction", "in", in);
    }

    /** A summary of seconds from a sum of nanoseconds and a count. */
    public static void summarySeconds(
            StringBuilder sb, String name, String help, long sumNanos, long count) {
        head(sb, name, help, "summary");
        sb.append(name).append("_sum ").append(sumNanos / 1e9).append('\n');
        sb.append(name).append("_count ").append(count).append('\n');
    }

    /** A gauge of seconds from nanoseconds. */
    public static void gaugeSeconds(StringBuilder sb, String name, String help, long nanos) {
        head(sb, name, help, "gauge");
        sb.append(name).append(' ').append(nanos / 1e9).append('\n');
    }

    private static void head(StringBuilder sb, String name, String help, String type) {
        sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void sample(StringBuilder sb, String name, String label, String value, long v) {
        sb.append(name)
                .append('{')
                .append(label)
                .append("=\"")
                .append(value)
                .append("\"} ")
                .append(v)
                .append('\n');
    }
}
