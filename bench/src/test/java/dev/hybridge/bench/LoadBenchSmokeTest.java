package dev.hybridge.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Runs the load tool's modes once with the shortest settings and tiny sizes against real child
 * processes (the gateway, the Node relay of bench/node-relay), so a broken tool fails the build.
 * Its figures here mean nothing; bench/run.sh measures.
 */
class LoadBenchSmokeTest {
    @Test
    void everyGatewayPhaseRunsAndPrintsItsFigures() throws Exception {
        String out =
                run(
                        "--smoke",
                        "--sessions=40",
                        "--seconds=1",
                        "--phases=handshakes,idle,relay",
                        "--rooms=2",
                        "--jmh=/nonexistent");
        assertTrue(positive(out, "gateway handshakes: (\\d+) in"), "handshakes completed");
        assertTrue(
                positive(
                        out,
                        "gateway bare connections \\(connect \\+ upgrade \\+ close, no handshake\\): (\\d+) in"),
                "bare connections");
        assertTrue(
                out.contains("gateway idle joined hop sessions: 40 established"),
                "40 idle sessions established");
        assertTrue(
                positive(out, "gateway relay, rooms of 2 \\(60 peers\\): peak (\\d+) envelopes/s"),
                "envelopes relayed");
        assertTrue(positive(out, "p99 (\\d+) us"), "latency histogram filled");
    }

    @Test
    void idleFootprintAndBrowserShapedWorkloadsRunOnBothSides() throws Exception {
        String out =
                run(
                        "--smoke",
                        "--seconds=1",
                        "--rounds=1",
                        "--phases=idle,shape",
                        "--sessions=20",
                        "--shapes=20x10,pingpong",
                        "--node-relay=node-relay/relay.mjs");
        assertTrue(
                out.contains("node ws relay idle joined connections: 20 in"),
                "20 idle joined Node connections");
        assertTrue(
                Pattern.compile(
                                "idle joined session, gateway / node ws relay \\(20 each, same run\\): RSS [-\\d.]+ / [-\\d.]+ KiB")
                        .matcher(out)
                        .find(),
                "idle ratio line");
        for (String shape : new String[] {"20x10", "pingpong"}) {
            Matcher m =
                    Pattern.compile(
                                    "shape "
                                            + shape
                                            + " \\(.*\\), median of 1 rounds: relay CPU per relayed message gateway "
                                            + "[\\d.]+ us, node [\\d.]+ us, ratio gateway/node [\\d.]+; delivered gateway (\\d+)/s, node (\\d+)/s")
                            .matcher(out);
            assertTrue(m.find(), "shape " + shape + " summary line");
            assertTrue(
                    Long.parseLong(m.group(1)) > 0 && Long.parseLong(m.group(2)) > 0,
                    "both sides delivered, shape " + shape);
        }
    }

    @Test
    void reconnectStormRejoinsEverySession() throws Exception {
        String out = run("--smoke", "--phases=storm", "--storm-sessions=10", "--storm-timeout=90");
        assertTrue(
                out.contains("reconnect storm: all 10 sessions and the pair rejoined"),
                "every session rejoined after the restart");
        assertTrue(
                out.contains("healthy pair (50 ms per envelope each way): max gap"),
                "the healthy pair relayed again");
    }

    private static String run(String... args) throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            LoadBench.main(args);
        } finally {
            System.setOut(old);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        System.out.println(out);
        return out;
    }

    private static boolean positive(String out, String regex) {
        Matcher m = Pattern.compile(regex).matcher(out);
        return m.find() && Long.parseLong(m.group(1)) > 0;
    }
}
