package dev.hybridge.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Runs the load tool once with the shortest settings against a real gateway child process, so a
 * broken tool fails the build. Its figures here mean nothing; bench/run.sh measures.
 */
class LoadBenchSmokeTest {
    @Test
    void everyGatewayPhaseRunsAndPrintsItsFigures() throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            LoadBench.main(new String[] {"--smoke", "--sessions=40", "--seconds=1", "--phases=handshakes,idle,relay",
                    "--rooms=2", "--jmh=/nonexistent"});
        } finally {
            System.setOut(old);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        System.out.println(out);
        assertTrue(positive(out, "gateway handshakes: (\\d+) in"), "handshakes completed");
        assertTrue(positive(out, "gateway bare connections \\(connect \\+ upgrade \\+ close, no handshake\\): (\\d+) in"), "bare connections");
        assertTrue(out.contains("gateway idle hop sessions: 40 established"), "40 idle sessions established");
        assertTrue(positive(out, "gateway relay, rooms of 2 \\(60 peers\\): peak (\\d+) envelopes/s"), "envelopes relayed");
        assertTrue(positive(out, "p99 (\\d+) us"), "latency histogram filled");
    }

    private static boolean positive(String out, String regex) {
        Matcher m = Pattern.compile(regex).matcher(out);
        return m.find() && Long.parseLong(m.group(1)) > 0;
    }
}
