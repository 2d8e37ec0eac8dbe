package dev.hybridge.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * CPU time per operation, next to JMH's wall-clock score: on a small machine shared with other
 * work, a benchmark thread that waits for a core shows up in wall-clock time but not in CPU time.
 *
 * <ul>
 *   <li>{@code cpu.thread}: CPU time of the JMH worker threads (the benchmark code itself) per op;
 *   <li>{@code cpu.process}: CPU time of the whole JVM (adds GC, JIT and JMH's own threads) per op.
 * </ul>
 *
 * Both divide by all operations of the iteration (JMH's allOps, which include the few calls made
 * while iterations synchronise), and both include untimed {@code @Setup(Level.Invocation)} work,
 * which for RecordBench.recordOpen1KiB is one RecordOpener per 1024 records.
 *
 * <p>Use: {@code -prof dev.hybridge.bench.CpuTimeProfiler}.
 */
public final class CpuTimeProfiler implements InternalProfiler {
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private Map<Long, Long> workersBefore = Map.of();
    private long processBefore;

    public CpuTimeProfiler() {
        if (threads.isThreadCpuTimeSupported() && !threads.isThreadCpuTimeEnabled()) {
            threads.setThreadCpuTimeEnabled(true);
        }
    }

    @Override
    public String getDescription() {
        return "CPU time per operation: JMH worker threads and the whole JVM";
    }

    @Override
    public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
        workersBefore = workerCpu();
        processBefore = os.getProcessCpuTime();
    }

    @Override
    public List<Result<?>> afterIteration(
            BenchmarkParams benchmarkParams,
            IterationParams iterationParams,
            IterationResult result) {
        long process = os.getProcessCpuTime() - processBefore;
        long worker = 0;
        for (Map.Entry<Long, Long> e : workerCpu().entrySet()) {
            worker += e.getValue() - workersBefore.getOrDefault(e.getKey(), 0L);
        }
        long ops = result.getMetadata().getAllOps();
        if (ops <= 0) {
            return List.of();
        }
        double scale = unitsPerNanosecond(benchmarkParams);
        String unit = unitName(benchmarkParams) + "/op";
        return List.of(
                new ScalarResult("cpu.thread", worker * scale / ops, unit, AggregationPolicy.AVG),
                new ScalarResult(
                        "cpu.process", process * scale / ops, unit, AggregationPolicy.AVG));
    }

    /** CPU nanoseconds of every live JMH worker thread, by thread id. */
    private Map<Long, Long> workerCpu() {
        Map<Long, Long> m = new HashMap<>();
        for (ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (t != null && t.getThreadName().contains("jmh-worker")) {
                long cpu = threads.getThreadCpuTime(t.getThreadId());
                if (cpu >= 0) {
                    m.put(t.getThreadId(), cpu);
                }
            }
        }
        return m;
    }

    private static double unitsPerNanosecond(BenchmarkParams p) {
        return switch (p.getTimeUnit()) {
            case NANOSECONDS -> 1.0;
            case MICROSECONDS -> 1e-3;
            case MILLISECONDS -> 1e-6;
            case SECONDS -> 1e-9;
            default -> throw new IllegalArgumentException("unsupported unit " + p.getTimeUnit());
        };
    }

    private static String unitName(BenchmarkParams p) {
        return switch (p.getTimeUnit()) {
            case NANOSECONDS -> "ns";
            case MICROSECONDS -> "us";
            case MILLISECONDS -> "ms";
            default -> "s";
        };
    }
}
