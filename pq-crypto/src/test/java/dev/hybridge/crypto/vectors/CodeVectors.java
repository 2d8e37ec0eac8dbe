package dev.hybridge.crypto.vectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hybridge.crypto.ProtocolException;
import dev.hybridge.crypto.XWingKeyPair;
import dev.hybridge.crypto.code.CodeSchedule;
import dev.hybridge.crypto.handshake.DeterministicHandshakes;
import dev.hybridge.crypto.handshake.PeerContext;
import dev.hybridge.crypto.handshake.PeerInitiator;
import dev.hybridge.crypto.handshake.PeerResponder;
import dev.hybridge.crypto.handshake.PeerSession;
import dev.hybridge.crypto.internal.Bytes;
import dev.hybridge.crypto.kdf.Trace;
import dev.hybridge.crypto.record.Channel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * test-vectors/code-handshake.json: the short-code key schedule CK1-CK6 (spec/short-codes.md)
 * feeding the X-Wing peer handshake, end to end: CP1, CP2, PI1, PR2, PI3 and the invite record.
 * Valid runs carry every CK intermediate of both sides; invalid runs change what one side used
 * (code, slot, gateway key, sid) or replace a share message, and name the error the exchange
 * ends in.
 */
public final class CodeVectors {
    public static final String FILE = "code-handshake.json";

    private CodeVectors() {}

    /** Everything both sides start from; the creator_* fields are what the creator used. */
    record Inputs(
            String code,
            long slot,
            byte[] fp,
            byte[] sid,
            String creatorCode,
            long creatorSlot,
            byte[] creatorFp,
            byte[] creatorSid,
            byte[] joinerScalar,
            byte[] creatorScalar,
            byte[] joinerSeed,
            byte[] creatorSeed,
            byte[] joinerEseed,
            byte[] creatorEseed,
            byte[] joinerNonce,
            byte[] roomSecret) {

        static Inputs of(int tc) {
            byte[] c = DeterministicInputs.bytes(FILE, tc, "code", 3);
            String code =
                    String.format(
                            "%06d",
                            (((c[0] & 0xFF) << 16) | ((c[1] & 0xFF) << 8) | (c[2] & 0xFF))
                                    % 1_000_000);
            byte[] s = DeterministicInputs.bytes(FILE, tc, "slot", 2);
            long slot = 1 + (((s[0] & 0xFF) << 8) | (s[1] & 0xFF)) % 2000;
            byte[] fp = DeterministicInputs.bytes(FILE, tc, "gateway_fingerprint", 32);
            byte[] sid = DeterministicInputs.bytes(FILE, tc, "sid", 16);
            return new Inputs(
                    code,
                    slot,
                    fp,
                    sid,
                    code,
                    slot,
                    fp,
                    sid,
                    DeterministicInputs.bytes(FILE, tc, "joiner_scalar", 32),
                    DeterministicInputs.bytes(FILE, tc, "creator_scalar", 32),
                    DeterministicInputs.bytes(FILE, tc, "joiner_seed", 32),
                    DeterministicInputs.bytes(FILE, tc, "creator_seed", 32),
                    DeterministicInputs.bytes(FILE, tc, "joiner_eseed", 64),
                    DeterministicInputs.bytes(FILE, tc, "creator_eseed", 64),
                    DeterministicInputs.bytes(FILE, tc, "joiner_nonce", 32),
                    DeterministicInputs.bytes(FILE, tc, "room_secret", 32));
        }

        static Inputs from(JsonNode in) {
            return new Inputs(
                    in.get("code").asText(),
                    in.get("slot").asLong(),
                    Json.unhex(in, "gateway_fingerprint"),
                    Json.unhex(in, "sid"),
                    in.get("creator_code").asText(),
                    in.get("creator_slot").asLong(),
                    Json.unhex(in, "creator_gateway_fingerprint"),
                    Json.unhex(in, "creator_sid"),
                    Json.unhex(in, "joiner_scalar"),
                    Json.unhex(in, "creator_scalar"),
                    Json.unhex(in, "joiner_seed"),
                    Json.unhex(in, "creator_seed"),
                    Json.unhex(in, "joiner_eseed"),
                    Json.unhex(in, "creator_eseed"),
                    Json.unhex(in, "joiner_nonce"),
                    Json.unhex(in, "room_secret"));
        }

        Inputs creatorUses(String code, long slot, byte[] fp, byte[] sid) {
            return new Inputs(
                    this.code,
                    this.slot,
                    this.fp,
                    this.sid,
                    code,
                    slot,
                    fp,
                    sid,
                    joinerScalar,
                    creatorScalar,
                    joinerSeed,
                    creatorSeed,
                    joinerEseed,
                    creatorEseed,
                    joinerNonce,
                    roomSecret);
        }

        ObjectNode toJson() {
            ObjectNode o = Json.object();
            o.put("code", code);
            o.put("slot", slot);
            o.put("gateway_fingerprint", Json.hex(fp));
            o.put("sid", Json.hex(sid));
            o.put("creator_code", creatorCode);
            o.put("creator_slot", creatorSlot);
            o.put("creator_gateway_fingerprint", Json.hex(creatorFp));
            o.put("creator_sid", Json.hex(creatorSid));
            o.put("joiner_scalar", Json.hex(joinerScalar));
            o.put("creator_scalar", Json.hex(creatorScalar));
            o.put("joiner_seed", Json.hex(joinerSeed));
            o.put("creator_seed", Json.hex(creatorSeed));
            o.put("joiner_eseed", Json.hex(joinerEseed));
            o.put("creator_eseed", Json.hex(creatorEseed));
            o.put("joiner_nonce", Json.hex(joinerNonce));
            o.put("room_secret", Json.hex(roomSecret));
            return o;
        }

        String inviteLink() {
            return RoomSecretVectors.fragment(roomSecret, creatorFp);
        }
    }

    /** A complete exchange in the normative order (spec/short-codes.md §4.2). */
    record Run(
            byte[] cp1,
            byte[] cp2,
            byte[] init,
            byte[] accept,
            byte[] finish,
            byte[] invite,
            PeerSession joiner,
            Trace joinerTrace,
            Trace creatorTrace) {

        /**
         * Runs the exchange; {@code cp1} / {@code cp2} non-null replace the message the other side
         * receives. The first failure ends it: the joiner reads CP2, sends PI1; the creator reads
         * CP1, answers PI1 with PR2; the joiner checks PR2 and sends PI3; the creator checks PI3
         * and seals the invite.
         */
        static Run of(Inputs in, byte[] cp1Override, byte[] cp2Override) throws ProtocolException {
            Trace jt = new Trace();
            Trace ct = new Trace();
            CodeSchedule.Party j =
                    CodeSchedule.joiner(
                            in.code(), in.fp(), in.slot(), in.sid(), in.joinerScalar(), jt);
            CodeSchedule.Party c =
                    CodeSchedule.creator(
                            in.creatorCode(),
                            in.creatorFp(),
                            in.creatorSlot(),
                            in.creatorSid(),
                            in.creatorScalar(),
                            ct);
            byte[] cp1 = cp1Override != null ? cp1Override : j.shareMessage();
            byte[] cp2 = cp2Override != null ? cp2Override : c.shareMessage();
            PeerContext jctx = j.receive(cp2);
            XWingKeyPair jKey = XWingKeyPair.fromSeed(in.joinerSeed());
            XWingKeyPair cKey = XWingKeyPair.fromSeed(in.creatorSeed());
            PeerInitiator.Started s =
                    DeterministicHandshakes.peerInitiatorStart(
                            jctx, jKey, cKey.publicKey(), in.joinerEseed(), in.joinerNonce(), null);
            PeerContext cctx = c.receive(cp1);
            PeerResponder.Accepted a =
                    DeterministicHandshakes.peerResponderReceive(
                            cctx, cKey, s.peerInit(), in.creatorEseed(), null);
            PeerInitiator.Established e = s.next().receive(a.peerAccept());
            PeerSession creator = a.next().receive(e.peerFinish());
            byte[] invite = creator.channel().seal(invitePlaintext(in.inviteLink()));
            return new Run(
                    cp1,
                    cp2,
                    s.peerInit(),
                    a.peerAccept(),
                    e.peerFinish(),
                    invite,
                    e.session(),
                    jt,
                    ct);
        }
    }

    static byte[] invitePlaintext(String link) {
        return ("{\"t\":\"invite\",\"link\":\"" + link + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    public static ObjectNode generate() throws ProtocolException {
        ArrayNode tests = Json.array();
        int tc = 1;
        for (; tc <= 3; tc++) {
            tests.add(valid(tc));
        }
        Inputs base = Inputs.of(1);
        Run run = Run.of(base, null, null);
        Run other = Run.of(Inputs.of(2), null, null);
        String wrongDigit =
                base.code().substring(0, 5) + (char) ('0' + (base.code().charAt(5) - '0' + 1) % 10);
        String swapped =
                base.code().charAt(1) + "" + base.code().charAt(0) + base.code().substring(2);
        if (swapped.equals(base.code())) {
            swapped = "0" + base.code().substring(1, 5) + base.code().charAt(0);
        }
        byte[] otherFp = base.fp().clone();
        otherFp[31] ^= 1;
        byte[] otherSid = base.sid().clone();
        otherSid[0] ^= (byte) 0x80;
        byte[] cp2 = run.cp2();
        byte[] cp1 = run.cp1();
        byte[] lowOrder1 = new byte[32];
        lowOrder1[0] = 1;
        byte[] pPlusOne = Bytes.concat(new byte[] {(byte) 0xee}, ones(30), new byte[] {0x7f});
        byte[] u3 =
                java.util.HexFormat.of()
                        .parseHex(
                                "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800");
        Object[][] rows = {
            {
                base.creatorUses(wrongDigit, base.slot(), base.fp(), base.sid()),
                null,
                null,
                "CONFIRMATION_FAILED",
                "the joiner mistyped the last digit"
            },
            {
                base.creatorUses(swapped, base.slot(), base.fp(), base.sid()),
                null,
                null,
                "CONFIRMATION_FAILED",
                "the joiner swapped two digits"
            },
            {
                base.creatorUses(base.code(), base.slot() + 1, base.fp(), base.sid()),
                null,
                null,
                "CONFIRMATION_FAILED",
                "the two sides bound another slot number into ci"
            },
            {
                base.creatorUses(base.code(), base.slot(), otherFp, base.sid()),
                null,
                null,
                "CONFIRMATION_FAILED",
                "the joiner pinned another gateway key (fp in ci differs)"
            },
            {
                base.creatorUses(base.code(), base.slot(), base.fp(), otherSid),
                null,
                null,
                "CONFIRMATION_FAILED",
                "the gateway gave the two sides different sids"
            },
            {base, null, Mutate.flipBit(cp2, 5, 2), "CONFIRMATION_FAILED", "Yb altered in transit"},
            {base, Mutate.flipBit(cp1, 9, 4), null, "CONFIRMATION_FAILED", "Ya altered in transit"},
            {base, other.cp1(), null, "CONFIRMATION_FAILED", "CP1 replayed from another exchange"},
            {base, null, other.cp2(), "CONFIRMATION_FAILED", "CP2 replayed from another exchange"},
            {
                base,
                null,
                Bytes.concat(new byte[] {CodeSchedule.CP2}, new byte[32]),
                "INVALID_PUBLIC_KEY",
                "Yb is the zero point (K would be the neutral element)"
            },
            {
                base,
                null,
                Bytes.concat(new byte[] {CodeSchedule.CP2}, lowOrder1),
                "INVALID_PUBLIC_KEY",
                "Yb = 1, a low-order point"
            },
            {
                base,
                null,
                Bytes.concat(new byte[] {CodeSchedule.CP2}, pPlusOne),
                "INVALID_PUBLIC_KEY",
                "Yb = p + 1, non-canonical encoding of a low-order point"
            },
            {
                base,
                Bytes.concat(new byte[] {CodeSchedule.CP1}, u3),
                null,
                "INVALID_PUBLIC_KEY",
                "Ya is a point of order 8"
            },
            {base, null, new byte[0], "MALFORMED_MESSAGE", "empty CP2"},
            {
                base,
                null,
                Mutate.truncate(cp2, 32),
                "MALFORMED_MESSAGE",
                "CP2 truncated by one byte"
            },
            {base, null, Mutate.extend(cp2), "MALFORMED_MESSAGE", "CP2 extended by one byte"},
            {base, null, cp1, "UNEXPECTED_MESSAGE", "the joiner's own CP1 reflected as CP2"},
            {base, run.init(), null, "UNEXPECTED_MESSAGE", "PeerInit where CP1 expected"},
            {base, Mutate.truncate(cp1, 1), null, "MALFORMED_MESSAGE", "CP1 with no share"},
        };
        for (Object[] r : rows) {
            Inputs in = (Inputs) r[0];
            ObjectNode t = Json.object();
            t.put("tc_id", tc++);
            t.put("comment", (String) r[4]);
            t.put("result", "invalid");
            t.set("inputs", in.toJson());
            if (r[1] != null) t.put("cp1", Json.hex((byte[]) r[1]));
            if (r[2] != null) t.put("cp2", Json.hex((byte[]) r[2]));
            t.put("expect", (String) r[3]);
            tests.add(t);
        }
        return Json.document(
                "code-handshake",
                "Short join codes (spec/short-codes.md): CPACE-X25519-SHA512 on the code's secret part, bound to the "
                        + "gateway key and slot (CK1-CK6), feeding the X-Wing peer handshake; valid runs carry both "
                        + "sides' CK intermediates, every message and the invite record; invalid runs change what the "
                        + "creator used or replace the CP1/CP2 the other side receives, and name the error.",
                tests);
    }

    private static byte[] ones(int n) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) 0xff);
        return b;
    }

    private static ObjectNode valid(int tc) throws ProtocolException {
        Inputs in = Inputs.of(tc);
        Run run = Run.of(in, null, null);
        ObjectNode t = Json.object();
        t.put("tc_id", tc);
        t.put("comment", "valid code exchange " + tc);
        t.put("result", "valid");
        t.set("inputs", in.toJson());
        t.put(
                "code_text",
                in.slot() + "-" + in.code().substring(0, 4) + "-" + in.code().substring(4));
        ObjectNode m = Json.object();
        m.put("cp1", Json.hex(run.cp1()));
        m.put("cp2", Json.hex(run.cp2()));
        m.put("peer_init", Json.hex(run.init()));
        m.put("peer_accept", Json.hex(run.accept()));
        m.put("peer_finish", Json.hex(run.finish()));
        t.set("messages", m);
        t.set("joiner_intermediates", Json.hexObject(run.joinerTrace().values()));
        t.set("creator_intermediates", Json.hexObject(run.creatorTrace().values()));
        t.put("sas_decimal", run.joiner().sas().decimal());
        ObjectNode invite = Json.object();
        invite.put("plaintext", Json.hex(invitePlaintext(in.inviteLink())));
        invite.put("record", Json.hex(run.invite()));
        t.set("invite", invite);
        return t;
    }

    public static List<String> verify(JsonNode doc) {
        return VectorChecks.each(doc, CodeVectors::verifyValid, CodeVectors::verifyInvalid);
    }

    private static String verifyValid(JsonNode t) throws ProtocolException {
        Inputs in = Inputs.from(t.get("inputs"));
        Run run = Run.of(in, null, null);
        JsonNode m = t.get("messages");
        byte[][] got = {run.cp1(), run.cp2(), run.init(), run.accept(), run.finish()};
        String[] names = {"cp1", "cp2", "peer_init", "peer_accept", "peer_finish"};
        for (int i = 0; i < names.length; i++) {
            if (!Arrays.equals(got[i], Json.unhex(m, names[i]))) return names[i] + " differs";
        }
        String f = HopVectors.sameTrace("joiner", run.joinerTrace(), t.get("joiner_intermediates"));
        if (f == null) {
            f = HopVectors.sameTrace("creator", run.creatorTrace(), t.get("creator_intermediates"));
        }
        if (f != null) return f;
        if (!run.joiner().sas().decimal().equals(t.get("sas_decimal").asText())) {
            return "SAS differs";
        }
        JsonNode inv = t.get("invite");
        if (!Arrays.equals(run.invite(), Json.unhex(inv, "record"))) return "invite record differs";
        Channel joiner = run.joiner().channel();
        if (!Arrays.equals(joiner.open(run.invite()), Json.unhex(inv, "plaintext"))) {
            return "invite does not open";
        }
        String text = in.slot() + "-" + in.code().substring(0, 4) + "-" + in.code().substring(4);
        if (!text.equals(t.get("code_text").asText())) return "code_text differs";
        return null;
    }

    private static String verifyInvalid(JsonNode t) {
        Inputs in = Inputs.from(t.get("inputs"));
        byte[] cp1 = t.has("cp1") ? Json.unhex(t, "cp1") : null;
        byte[] cp2 = t.has("cp2") ? Json.unhex(t, "cp2") : null;
        return Mutate.expect(t.get("expect").asText(), () -> Run.of(in, cp1, cp2));
    }
}
