package dev.hybridge.gateway.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import org.junit.jupiter.api.Test;

/** The verdict on nodes with another cluster key (spec/cluster.md §4, "Key check"). */
class KeyCheckTest {
    private static final long WINDOW = 2_000_000_000L;

    private static byte[] key() {
        byte[] k = new byte[32];
        new SecureRandom().nextBytes(k);
        return k;
    }

    @Test
    void theKeyCheckValueIsSixteenHexDigitsTheSameForOneKeyAndNotTheKey() {
        byte[] k = key();
        String v = KeyCheck.value(k);
        assertTrue(v.matches("[0-9a-f]{16}"), v);
        assertEquals(v, KeyCheck.value(k.clone()));
        assertNotEquals(v, KeyCheck.value(key()));
        assertFalse(java.util.HexFormat.of().formatHex(k).contains(v));
    }

    @Test
    void aNodeAloneOrHearingOnlyItsOwnKeyStaysReady() {
        KeyCheck kc = new KeyCheck("00112233aabbccdd", WINDOW);
        assertFalse(kc.judge(1, false, 0));
        kc.unopened("n1", "00112233aabbccdd", 0); // its own kcv: damaged, not another key
        kc.unopened("n2", null, 0);
        kc.unopened("n3", "not hex", 0);
        assertFalse(kc.judge(1, false, 1));
        assertEquals(0, kc.foreignNodes());
    }

    @Test
    void theMinorityGoesDownTheMajorityStaysUp() {
        KeyCheck lone = new KeyCheck("aaaaaaaaaaaaaaaa", WINDOW);
        for (String n : new String[] {"n1", "n2", "n3"}) {
            lone.unopened(n, "bbbbbbbbbbbbbbbb", 0);
        }
        assertTrue(lone.judge(1, true, 1), "one against three, even while serving");
        assertTrue(lone.misconfigured());
        assertEquals(3, lone.foreignNodes());

        KeyCheck member = new KeyCheck("bbbbbbbbbbbbbbbb", WINDOW);
        member.unopened("w", "aaaaaaaaaaaaaaaa", 0);
        assertFalse(member.judge(3, false, 1), "three against one");
        assertEquals(1, member.foreignNodes());
    }

    @Test
    void onATieTheNodeThatServedStaysAndANewOneNeverComesUp() {
        KeyCheck serving = new KeyCheck("aaaaaaaaaaaaaaaa", WINDOW);
        serving.unopened("b", "bbbbbbbbbbbbbbbb", 0);
        assertFalse(serving.judge(1, true, 1));
        KeyCheck newcomer = new KeyCheck("bbbbbbbbbbbbbbbb", WINDOW);
        newcomer.unopened("a", "aaaaaaaaaaaaaaaa", 0);
        assertTrue(newcomer.judge(1, false, 1));
        // once down on a tie, it stays down on that tie
        assertTrue(newcomer.judge(1, false, 2));
        // and comes up when its own key is held by more nodes
        assertFalse(newcomer.judge(2, false, 3));
    }

    @Test
    void foreignNodesAreForgottenAfterTheWindowAndGroupedByTheirKey() {
        KeyCheck kc = new KeyCheck("aaaaaaaaaaaaaaaa", WINDOW);
        kc.unopened("x", "bbbbbbbbbbbbbbbb", 0);
        kc.unopened("y", "cccccccccccccccc", 0);
        // two other keys, one node each: neither outnumbers two of ours
        assertFalse(kc.judge(2, false, 1));
        assertEquals(2, kc.foreignNodes());
        assertFalse(kc.judge(1, true, WINDOW + 1));
        assertEquals(0, kc.foreignNodes());
    }
}
