package dev.hybridge.crypto.kdf;

import dev.hybridge.crypto.internal.Bytes;
import dev.hybridge.crypto.internal.Primitives;

/**
 * The hop handshake key schedule, steps HK1-HK10 of spec/hop-handshake.md. Client and gateway
 * run the same object; each method is one or more spec steps, called in order.
 */
public final class HopSchedule {
    private final Trace trace;
    private byte[] ck;
    private byte[] th;

    /** HK1: ck0 = th0 = H(HOP_PROTOCOL). */
    public HopSchedule(Trace trace) {
        this.trace = trace;
        this.ck = Kdf.hash(Labels.HOP_PROTOCOL.bytes());
        this.th = ck.clone();
        Trace.put(trace, "ck0", ck);
    }

    /** HK2, HK3: th1 = H(th0 || ClientHello); ck1 = Extract(ck0, ss_s || th1). */
    public void clientHello(byte[] clientHello, byte[] ssS) {
        th = Kdf.hash(th, clientHello);
        mix(ssS, "th1", "ck1");
    }

    /**
     * HK4-HK6: th2 = H(th1 || ServerHello without its confirm); ck2 = Extract(ck1, ss_e || th2);
     * returns server_confirm = HMAC(fk_s, th2).
     */
    public byte[] serverHello(byte[] serverHelloBody, byte[] ssE) {
        th = Kdf.hash(th, serverHelloBody);
        mix(ssE, "th2", "ck2");
        byte[] fk = Kdf.expand(ck, Labels.HOP_SERVER_FINISHED, Primitives.HASH_LEN);
        byte[] confirm = Kdf.hmac(fk, th);
        Trace.put(trace, "fk_s", fk);
        Trace.put(trace, "server_confirm", confirm);
        Bytes.wipe(fk);
        return confirm;
    }

    /** HK7, HK8: th3 = H(th2 || server_confirm); returns client_confirm = HMAC(fk_c, th3). */
    public byte[] serverConfirmed(byte[] serverConfirm) {
        th = Kdf.hash(th, serverConfirm);
        Trace.put(trace, "th3", th);
        byte[] fk = Kdf.expand(ck, Labels.HOP_CLIENT_FINISHED, Primitives.HASH_LEN);
        byte[] confirm = Kdf.hmac(fk, th);
        Trace.put(trace, "fk_c", fk);
        Trace.put(trace, "client_confirm", confirm);
        Bytes.wipe(fk);
        return confirm;
    }

    /** The two traffic secrets and the handshake hash; the schedule is wiped. */
    public record Secrets(byte[] c2s, byte[] s2c, byte[] handshakeHash) {}

    /** HK9, HK10: th4 = H(th3 || client_confirm); c2s and s2c traffic secrets. */
    public Secrets finish(byte[] clientConfirm) {
        byte[] th4 = Kdf.hash(th, clientConfirm);
        byte[] c2s = Kdf.expand(ck, Labels.HOP_C2S, Primitives.HASH_LEN);
        byte[] s2c = Kdf.expand(ck, Labels.HOP_S2C, Primitives.HASH_LEN);
        Trace.put(trace, "handshake_hash", th4);
        Trace.put(trace, "c2s_secret", c2s);
        Trace.put(trace, "s2c_secret", s2c);
        destroy();
        return new Secrets(c2s, s2c, th4);
    }

    private void mix(byte[] ss, String thName, String ckName) {
        byte[] ikm = Bytes.concat(ss, th);
        byte[] next = Kdf.extract(ck, ikm);
        Bytes.wipe(ikm, ck);
        ck = next;
        Trace.put(trace, thName, th);
        Trace.put(trace, ckName, ck);
    }

    public void destroy() {
        Bytes.wipe(ck, th);
    }
}
