package dev.hybridge.crypto.published;

import static dev.hybridge.crypto.testing.SharedVectors.assertHex;
import static dev.hybridge.crypto.testing.SharedVectors.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hybridge.crypto.ErrorCode;
import dev.hybridge.crypto.code.Cpace;
import dev.hybridge.crypto.testing.SharedVectors;
import dev.hybridge.crypto.testing.VectorRun;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * CPACE-X25519-SHA512 ({@link Cpace}) against draft-irtf-cfrg-cpace's published vectors in
 * ../shared/vectors/cpace: the G_25519 group of testvectors.json, the generator string printed in
 * the draft's appendix, and the low-order points of "Test vectors for G_X25519.scalar_mult_vfy"
 * (s and q0..qb from the draft's Markdown, the points from the JSON).
 */
class CpaceVectorsTest {
    private static JsonNode group() {
        JsonNode g = SharedVectors.json("cpace/testvectors.json").path("G_25519");
        assertTrue(g.isObject(), "no G_25519 group in testvectors.json");
        return g;
    }

    private static String draft() throws Exception {
        return Files.readString(SharedVectors.file("cpace/draft-irtf-cfrg-cpace.md"));
    }

    @Test
    void g25519() {
        JsonNode v = group();
        VectorRun run = new VectorRun("CPace G_25519");
        byte[] sid = hex(v, "sid");
        byte[] g = Cpace.calculateGenerator(hex(v, "PRS"), hex(v, "CI"), sid);
        run.check("g", () -> assertHex(hex(v, "g"), g, "g"));
        run.check(
                "shares, K, ISK, sid outputs",
                () -> {
                    byte[] ya = Cpace.share(hex(v, "ya"), g);
                    byte[] yb = Cpace.share(hex(v, "yb"), g);
                    assertHex(hex(v, "Ya"), ya, "Ya");
                    assertHex(hex(v, "Yb"), yb, "Yb");
                    byte[] ka = Cpace.sharedPoint(hex(v, "ya"), yb);
                    byte[] kb = Cpace.sharedPoint(hex(v, "yb"), ya);
                    assertHex(hex(v, "K"), ka, "K from A");
                    assertHex(hex(v, "K"), kb, "K from B");
                    byte[] ir = Cpace.transcriptIr(ya, hex(v, "ADa"), yb, hex(v, "ADb"));
                    byte[] oc = Cpace.transcriptOc(ya, hex(v, "ADa"), yb, hex(v, "ADb"));
                    assertHex(hex(v, "ISK_IR"), Cpace.isk(sid, ka, ir), "ISK_IR");
                    assertHex(hex(v, "ISK_SY"), Cpace.isk(sid, kb, oc), "ISK_SY");
                    assertHex(hex(v, "sid_output_ir"), Cpace.sidOutput(ir), "sid_output_ir");
                    assertHex(hex(v, "sid_output_oc"), Cpace.sidOutput(oc), "sid_output_oc");
                });
        run.finish(2);
    }

    @Test
    void generatorStringAsPrintedInTheDraft() throws Exception {
        String md = draft();
        int at = md.indexOf("generator_string(G.DSI,PRS,CI,sid,H.s_in_bytes):");
        assertTrue(at > 0, "generator_string block not found in the draft");
        String block = md.substring(at, md.indexOf("hash generator string", at));
        StringBuilder expected = new StringBuilder();
        String[] lines = block.split("\n");
        for (int i = 2; i < lines.length; i++) {
            expected.append(lines[i].trim());
        }
        JsonNode v = group();
        assertEquals(
                expected.toString(),
                SharedVectors.hex(
                        Cpace.generatorString(hex(v, "PRS"), hex(v, "CI"), hex(v, "sid"))));
        assertEquals("00", SharedVectors.hex(Cpace.prependLen(new byte[0])));
        assertEquals(
                "0431323334",
                SharedVectors.hex(Cpace.prependLen("1234".getBytes(StandardCharsets.US_ASCII))));
        assertEquals("8001", SharedVectors.hex(Cpace.prependLen(new byte[128])).substring(0, 4));
    }

    @Test
    void lowOrderAndNonCanonicalPoints() throws Exception {
        JsonNode points = SharedVectors.json("cpace/testvectors.json").path("X25519_points");
        String md = draft();
        int at =
                md.indexOf("### Test vectors for G\\_X25519.scalar\\_mult\\_vfy: low order points");
        assertTrue(at > 0, "low-order section not found in the draft");
        String section = md.substring(at, md.indexOf("####", at));
        Matcher sm = Pattern.compile("(?m)^s = ([0-9a-f]{64})$").matcher(section);
        assertTrue(sm.find(), "scalar s not found");
        byte[] s = hex(sm.group(1));
        Map<String, String> q = new HashMap<>();
        Map<String, String> u = new HashMap<>();
        Matcher qm = Pattern.compile("(?m)^([qu])([0-9a-b]): ([0-9a-f]{64})$").matcher(section);
        while (qm.find()) {
            (qm.group(1).equals("q") ? q : u).put(qm.group(2), qm.group(3));
        }
        assertEquals(12, q.size(), "q0..qb");
        assertEquals(12, u.size(), "u0..ub");
        VectorRun run = new VectorRun("CPace G_X25519 low-order points");
        int[] aborts = {0};
        for (int i = 0; i < 12; i++) {
            String name = Integer.toHexString(i);
            String point = points.path("Invalid Y" + i).asText().toLowerCase(Locale.ROOT);
            String expected = q.get(name);
            run.check(
                    "u" + name,
                    () -> {
                        assertEquals(u.get(name), point, "JSON point equals the draft's u" + name);
                        if (expected.matches("0{64}")) {
                            VectorRun.expectProtocolException(
                                    ErrorCode.INVALID_PUBLIC_KEY,
                                    () -> Cpace.sharedPoint(s, hex(point)));
                            aborts[0]++;
                        } else {
                            assertHex(hex(expected), Cpace.sharedPoint(s, hex(point)), "q" + name);
                        }
                    });
        }
        run.finish(12);
        assertEquals(7, aborts[0], "u0..u5 and u7 abort");
    }
}
