package dev.hybridge.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hybridge.crypto.handshake.HopClient;
import dev.hybridge.crypto.record.Channel;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Runs every {@code @Benchmark} body once, untimed, with its states set up the way JMH would, so
 * a broken benchmark fails the build. Measuring is run-jmh.sh's job, never the tests'.
 */
class BenchmarkSmokeTest {
    static final List<Class<?>> BENCHMARKS = Summary.CLASSES;

    static Blackhole blackhole() {
        return new Blackhole(
                "Today's password is swordfish. I understand instantiating Blackholes directly is dangerous.");
    }

    static List<Method> benchmarkMethods() {
        return BENCHMARKS.stream()
                .flatMap(c -> Arrays.stream(c.getDeclaredMethods()))
                .filter(m -> m.isAnnotationPresent(Benchmark.class))
                .sorted(Comparator.comparing(Method::getName))
                .toList();
    }

    /** Makes a state object and runs its @Setup methods, Trial first, then Iteration, then Invocation. */
    static Object state(Class<?> type) throws Exception {
        Object o = type.getDeclaredConstructor().newInstance();
        List<Method> setups =
                new ArrayList<>(
                        Arrays.stream(type.getDeclaredMethods())
                                .filter(m -> m.isAnnotationPresent(Setup.class))
                                .toList());
        setups.sort(Comparator.comparing(m -> m.getAnnotation(Setup.class).value()));
        for (Method m : setups) {
            m.invoke(o);
        }
        return o;
    }

    static Object run(Method m, Map<Class<?>, Object> states) throws Throwable {
        Class<?> owner = m.getDeclaringClass();
        Object target =
                owner.isAnnotationPresent(State.class)
                        ? states.computeIfAbsent(owner, BenchmarkSmokeTest::stateUnchecked)
                        : owner.getDeclaredConstructor().newInstance();
        Object[] args = new Object[m.getParameterCount()];
        for (int i = 0; i < args.length; i++) {
            Class<?> p = m.getParameterTypes()[i];
            args[i] =
                    p == Blackhole.class
                            ? blackhole()
                            : states.computeIfAbsent(p, BenchmarkSmokeTest::stateUnchecked);
        }
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    static Object stateUnchecked(Class<?> type) {
        try {
            return state(type);
        } catch (Exception e) {
            throw new IllegalStateException(type.getName(), e);
        }
    }

    @TestFactory
    Stream<DynamicTest> everyBenchmarkBodyRunsOnce() {
        return benchmarkMethods().stream()
                .map(
                        m ->
                                DynamicTest.dynamicTest(
                                        m.getName(),
                                        () -> {
                                            if (m.getName().startsWith("mlkemJdk")) {
                                                assumeTrue(
                                                        MlKemBench.JdkMlKem.available(),
                                                        "this JDK has no ML-KEM-768");
                                            }
                                            run(m, new HashMap<>());
                                        }));
    }

    @Test
    void setupLevelsAreOrderedTrialIterationInvocation() {
        assertEquals(
                List.of(Level.Trial, Level.Iteration, Level.Invocation), List.of(Level.values()));
    }

    @Test
    void sideBenchmarksCompleteTheSameHandshakeAsSetup() throws Exception {
        HandshakeBench b = (HandshakeBench) state(HandshakeBench.class);
        for (int i = 0; i < 2; i++) { // repeatable: nothing consumed between calls
            Channel gateway = b.hopHandshakeGateway();
            assertArrayEquals(b.handshakeHash, gateway.handshakeHash());
            HopClient.Established client = b.hopHandshakeClient();
            assertArrayEquals(b.clientFinished, client.clientFinished());
            assertArrayEquals(b.handshakeHash, client.channel().handshakeHash());
            byte[] msg = "ping".getBytes(StandardCharsets.UTF_8);
            assertArrayEquals(msg, gateway.open(client.channel().seal(msg)));
        }
        b.hopHandshakeFull(blackhole());
    }

    @Test
    void openBenchmarkOpensTheWholeBatchInOrder() throws Exception {
        RecordBench.Open s = (RecordBench.Open) state(RecordBench.Open.class);
        new RecordBench().recordOpen1KiB(s, blackhole());
        assertEquals(RecordBench.BATCH, s.opener.expectedSeq());
        s.freshOpener(); // what JMH does before the next invocation
        new RecordBench().recordOpen1KiB(s, blackhole());
        assertEquals(RecordBench.BATCH, s.opener.expectedSeq());
    }

    @Test
    void countedOperationsNameRealBenchmarks() {
        Set<String> names =
                benchmarkMethods().stream().map(Method::getName).collect(Collectors.toSet());
        for (HandshakeOps.Op op : concat(HandshakeOps.GATEWAY, HandshakeOps.CLIENT)) {
            assertTrue(names.contains(op.benchmark()), op.benchmark());
            assertTrue(op.count() > 0);
        }
        // the Summary keys results by method name: they must be unique across the classes
        assertEquals(benchmarkMethods().size(), names.size());
    }

    static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> l = new ArrayList<>(a);
        l.addAll(b);
        return l;
    }

    @Test
    void summaryAddsUpTheCountedPrimitives() throws Exception {
        ObjectMapper om = new ObjectMapper();
        ArrayNode root = om.createArrayNode();
        for (Method m : benchmarkMethods()) {
            ObjectNode b = root.addObject();
            b.put("jmhVersion", "1.37");
            b.put("benchmark", m.getDeclaringClass().getName() + "." + m.getName());
            ObjectNode pm = b.putObject("primaryMetric");
            boolean ns = m.getDeclaringClass() == RecordBench.class;
            pm.put("score", ns ? 1000.0 : 1.0); // 1 us each
            pm.put("scoreError", 0.0);
            pm.put("scoreUnit", ns ? "ns/op" : "us/op");
            pm.putArray("rawData")
                    .addArray()
                    .add(ns ? 3000.0 : 3.0)
                    .add(ns ? 1000.0 : 1.0); // best = score
            ObjectNode cpu = b.putObject("secondaryMetrics").putObject("cpu.thread");
            cpu.put("score", ns ? 2000.0 : 2.0); // 2 us each
            cpu.put("scoreUnit", ns ? "ns/op" : "us/op");
        }
        ((ObjectNode) root.get(0).get("secondaryMetrics"))
                .putObject("gc.alloc.rate.norm")
                .put("score", 10.0);
        ObjectNode foreign =
                root.addObject(); // another class's method of the same name is not read
        foreign.put("benchmark", "dev.hybridge.bench.HandshakePrimitivesBench.xwingEncaps");
        foreign.putObject("primaryMetric").put("score", 999.0).put("scoreUnit", "us/op");
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Summary s = new Summary(root, false, new PrintStream(buf, true, StandardCharsets.UTF_8));
        int gatewayOps = HandshakeOps.GATEWAY.stream().mapToInt(HandshakeOps.Op::count).sum();
        assertEquals(
                gatewayOps,
                s.sum(HandshakeOps.GATEWAY, Summary.Metric.WALL, Summary.Statistic.MEAN),
                1e-9);
        assertEquals(
                2.0 * gatewayOps,
                s.sum(HandshakeOps.GATEWAY, Summary.Metric.CPU, Summary.Statistic.BEST),
                1e-9);
        assertEquals(
                gatewayOps,
                s.sum(HandshakeOps.GATEWAY, Summary.Metric.WALL, Summary.Statistic.BEST),
                1e-9);
        s.print();
        String text = buf.toString(StandardCharsets.UTF_8);
        assertTrue(
                text.contains(
                        String.format(
                                Locale.ROOT,
                                "CPU per handshake 2.00 us (500,000 handshakes/s per core); sum of its primitives %.1f us; ratio %.2fx (target <= 1.2x: met)",
                                2.0 * gatewayOps,
                                1.0 / gatewayOps)),
                text);
        assertNotNull(
                new Summary(
                        root,
                        true,
                        new PrintStream(
                                new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)));
    }
}
