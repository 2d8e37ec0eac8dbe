package dev.hybridge.crypto.properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.hybridge.crypto.ErrorCode;
import dev.hybridge.crypto.ProtocolException;
import dev.hybridge.crypto.XWingKeyPair;
import dev.hybridge.crypto.code.CodeSchedule;
import dev.hybridge.crypto.handshake.PeerInitiator;
import dev.hybridge.crypto.handshake.PeerResponder;
import dev.hybridge.crypto.handshake.PeerSession;
import java.security.SecureRandom;
import java.util.Arrays;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/**
 * Short codes (spec/short-codes.md): CPace plus the X-Wing peer handshake agree for any code,
 * slot, gateway key and sid, and fail with CONFIRMATION_FAILED for any other code; every code
 * one digit or one swap away gives the creator a different PSK.
 */
class CodeExchangeProperties {
    private static final SecureRandom RNG = new SecureRandom();

    private static String digits(int v) {
        return String.format("%06d", v);
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        RNG.nextBytes(b);
        return b;
    }

    /** Runs the whole exchange with production entry points; returns both sessions. */
    private static PeerSession[] exchange(
            String joinerCode, String creatorCode, long slot, byte[] fp, byte[] sid)
            throws ProtocolException {
        CodeSchedule.Party j = CodeSchedule.joiner(joinerCode, fp, slot, sid, random(32), null);
        CodeSchedule.Party c = CodeSchedule.creator(creatorCode, fp, slot, sid, random(32), null);
        byte[] cp1 = j.shareMessage();
        byte[] cp2 = c.shareMessage();
        XWingKeyPair jk = XWingKeyPair.generate(RNG);
        XWingKeyPair ck = XWingKeyPair.generate(RNG);
        PeerInitiator.Started s = PeerInitiator.start(j.receive(cp2), jk, ck.publicKey(), RNG);
        PeerResponder.Accepted a = PeerResponder.receive(c.receive(cp1), ck, s.peerInit(), RNG);
        PeerInitiator.Established e = s.next().receive(a.peerAccept());
        PeerSession r = a.next().receive(e.peerFinish());
        return new PeerSession[] {e.session(), r};
    }

    @Property(tries = 30)
    void sameCodeAgrees(
            @ForAll @IntRange(min = 0, max = 999_999) int code,
            @ForAll @LongRange(min = 1, max = 0xFFFF_FFFFL) long slot)
            throws Exception {
        PeerSession[] s = exchange(digits(code), digits(code), slot, random(32), random(16));
        assertEquals(s[0].sas().decimal(), s[1].sas().decimal());
        byte[] pt = {1, 2, 3};
        assertEquals(
                Arrays.toString(pt), Arrays.toString(s[1].channel().open(s[0].channel().seal(pt))));
    }

    @Property(tries = 30)
    void anyOtherCodeFails(
            @ForAll @IntRange(min = 0, max = 999_999) int code,
            @ForAll @IntRange(min = 1, max = 999_999) int delta,
            @ForAll @LongRange(min = 1, max = 0xFFFF_FFFFL) long slot) {
        String other = digits((code + delta) % 1_000_000);
        ProtocolException e =
                assertThrows(
                        ProtocolException.class,
                        () -> exchange(other, digits(code), slot, random(32), random(16)));
        assertEquals(ErrorCode.CONFIRMATION_FAILED, e.code());
    }

    /**
     * Every code one typo away (54 substitutions, up to 5 adjacent swaps) leaves joiner and
     * creator with different PSKs, while the right code gives equal ones (same scalars throughout,
     * so only the code differs).
     */
    @Property(tries = 10)
    void everyNeighbourGivesAnotherKey(@ForAll @IntRange(min = 0, max = 999_999) int code)
            throws Exception {
        String c = digits(code);
        byte[] fp = random(32);
        byte[] sid = random(16);
        long slot = 1 + RNG.nextInt(5000);
        byte[] ya = random(32);
        byte[] yb = random(32);
        byte[][] right = psks(c, c, fp, slot, sid, ya, yb);
        assertEquals(Arrays.toString(right[0]), Arrays.toString(right[1]), "the right code agrees");
        int checked = 0;
        for (int i = 0; i < 6; i++) {
            for (char d = '0'; d <= '9'; d++) {
                if (d == c.charAt(i)) {
                    continue;
                }
                String n = c.substring(0, i) + d + c.substring(i + 1);
                byte[][] k = psks(n, c, fp, slot, sid, ya, yb);
                assertNotEquals(Arrays.toString(k[0]), Arrays.toString(k[1]), "neighbour " + n);
                checked++;
            }
            if (i < 5 && c.charAt(i) != c.charAt(i + 1)) {
                String sw = c.substring(0, i) + c.charAt(i + 1) + c.charAt(i) + c.substring(i + 2);
                byte[][] k = psks(sw, c, fp, slot, sid, ya, yb);
                assertNotEquals(Arrays.toString(k[0]), Arrays.toString(k[1]), "swap " + sw);
                checked++;
            }
        }
        assertFalse(checked < 54);
    }

    /** The joiner's and the creator's PSK after CK1-CK6 with the given codes and scalars. */
    private static byte[][] psks(
            String joinerCode,
            String creatorCode,
            byte[] fp,
            long slot,
            byte[] sid,
            byte[] ya,
            byte[] yb)
            throws ProtocolException {
        CodeSchedule.Party j = CodeSchedule.joiner(joinerCode, fp, slot, sid, ya, null);
        CodeSchedule.Party c = CodeSchedule.creator(creatorCode, fp, slot, sid, yb, null);
        byte[] cp1 = j.shareMessage();
        byte[] cp2 = c.shareMessage();
        return new byte[][] {j.receive(cp2).psk(), c.receive(cp1).psk()};
    }
}
