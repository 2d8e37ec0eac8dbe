package dev.hybridge.crypto.vectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hybridge.crypto.Fingerprint;
import dev.hybridge.crypto.ProtocolException;
import dev.hybridge.crypto.XWingKeyPair;
import dev.hybridge.crypto.handshake.DeterministicHandshakes;
import dev.hybridge.crypto.handshake.HopClient;
import dev.hybridge.crypto.handshake.HopServer;
import dev.hybridge.crypto.handshake.Wire;
import dev.hybridge.crypto.kdf.Trace;
import dev.hybridge.crypto.record.Channel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** test-vectors/hop-handshake.json: full hop handshakes with every intermediate, and failure scenarios. */
public final class HopVectors {
    public static final String FILE = "hop-handshake.json";

    private HopVectors() {}

    /** The deterministic inputs of one handshake. */
    record Inputs(
            byte[] gatewaySeed,
            byte[] clientEphemeralSeed,
            byte[] clientEseed,
            byte[] gatewayEseed) {
        static Inputs of(int tcId) {
            return new Inputs(
                    DeterministicInputs.bytes(FILE, tcId, "gateway_seed", 32),
                    DeterministicInputs.bytes(FILE, tcId, "client_ephemeral_seed", 32),
                    DeterministicInputs.bytes(FILE, tcId, "client_eseed", 64),
                    DeterministicInputs.bytes(FILE, tcId, "gateway_eseed", 64));
        }

        static Inputs from(JsonNode in) {
            return new Inputs(
                    Json.unhex(in, "gateway_seed"),
                    Json.unhex(in, "client_ephemeral_seed"),
                    Json.unhex(in, "client_eseed"),
                    Json.unhex(in, "gateway_eseed"));
        }

        ObjectNode toJson() {
            ObjectNode o = Json.object();
            XWingKeyPair g = XWingKeyPair.fromSeed(gatewaySeed);
            o.put("gateway_seed", Json.hex(gatewaySeed));
            o.put("gateway_public_key", Json.hex(g.publicKey()));
            o.put("gateway_fingerprint", Json.hex(g.fingerprint()));
            o.put("gateway_fingerprint_b64url", Fingerprint.toBase64Url(g.fingerprint()));
            o.put("client_ephemeral_seed", Json.hex(clientEphemeralSeed));
            o.put(
                    "client_ephemeral_public_key",
                    Json.hex(XWingKeyPair.fromSeed(clientEphemeralSeed).publicKey()));
            o.put("client_eseed", Json.hex(clientEseed));
            o.put("gateway_eseed", Json.hex(gatewayEseed));
            return o;
        }

        XWingKeyPair gatewayKey() {
            return XWingKeyPair.fromSeed(gatewaySeed);
        }

        HopClient.Started startClient(Trace trace) throws ProtocolException {
            return DeterministicHandshakes.hopClientStart(
                    gatewayKey().publicKey(), clientEphemeralSeed, clientEseed, trace);
        }

        HopServer.Accepted serverReceives(byte[] clientHello, Trace trace)
                throws ProtocolException {
            return DeterministicHandshakes.hopServerReceive(
                    new HopServer(List.of(gatewayKey())), clientHello, gatewayEseed, trace);
        }
    }

    /** A whole handshake from inputs, with both sides' traces. */
    record Run(
            byte[] clientHello,
            byte[] serverHello,
            byte[] clientFinished,
            Channel client,
            Channel gateway,
            Trace clientTrace,
            Trace gatewayTrace) {
        static Run of(Inputs in) throws ProtocolException {
            Trace ct = new Trace();
            Trace gt = new Trace();
            HopClient.Started s = in.startClient(ct);
            HopServer.Accepted a = in.serverReceives(s.clientHello(), gt);
            HopClient.Established e = s.next().receive(a.serverHello());
            Channel g = a.next().receive(e.clientFinished());
            return new Run(
                    s.clientHello(), a.serverHello(), e.clientFinished(), e.channel(), g, ct, gt);
        }
    }

    private static final String[] PLAINTEXTS = {"", "hello gateway", "{\"t\":\"join\"}"};

    public static ObjectNode generate() throws ProtocolException {
        ArrayNode tests = Json.array();
        int tc = 1;
        for (; tc <= 3; tc++) {
            tests.add(valid(tc));
        }
        Inputs base = Inputs.of(1);
        Run run = Run.of(base);
        Run other = Run.of(Inputs.of(2));
        int ctS = 4 + 32 + 1216; // offset of ct_s in ClientHello
        int epk = 4 + 32;
        byte[] ch = run.clientHello();
        byte[] sh = run.serverHello();
        byte[] cf = run.clientFinished();
        byte[] record0 = run.client().seal("early".getBytes(StandardCharsets.UTF_8));
        Object[][] negatives = {
            {"gateway_receives_client_hello", new byte[0], "MALFORMED_MESSAGE", "empty message"},
            {
                "gateway_receives_client_hello",
                Mutate.set(ch, 0, 0x02),
                "UNEXPECTED_MESSAGE",
                "ServerHello type byte where ClientHello expected"
            },
            {
                "gateway_receives_client_hello",
                record0,
                "UNEXPECTED_MESSAGE",
                "a record before any handshake"
            },
            {
                "gateway_receives_client_hello",
                Mutate.truncate(ch, ch.length - 1),
                "MALFORMED_MESSAGE",
                "truncated by one byte"
            },
            {
                "gateway_receives_client_hello",
                Mutate.extend(ch),
                "MALFORMED_MESSAGE",
                "extended by one byte"
            },
            {
                "gateway_receives_client_hello",
                Mutate.set(ch, 1, 0x02),
                "UNSUPPORTED_VERSION",
                "version 2"
            },
            {
                "gateway_receives_client_hello",
                Mutate.set(ch, 1, 0x00),
                "UNSUPPORTED_VERSION",
                "version 0"
            },
            {
                "gateway_receives_client_hello",
                Mutate.set(ch, 3, 0x02),
                "UNSUPPORTED_SUITE",
                "suite 0x0002"
            },
            {
                "gateway_receives_client_hello",
                Mutate.flipBit(ch, 4, 0),
                "UNKNOWN_GATEWAY_KEY",
                "key id of another gateway key (bit flip)"
            },
            {
                "gateway_receives_client_hello",
                Mutate.badModulus(ch, epk),
                "INVALID_PUBLIC_KEY",
                "client ephemeral ML-KEM key coefficient >= q"
            },
            {
                "gateway_receives_client_hello",
                Mutate.zero(ch, epk + 1184, 32),
                "INVALID_PUBLIC_KEY",
                "client ephemeral X25519 key is the zero point"
            },
            {
                "gateway_receives_client_hello",
                Mutate.zero(ch, ctS + 1088, 32),
                "INVALID_CIPHERTEXT",
                "ct_s X25519 part is the zero point"
            },
            {"client_receives_server_hello", new byte[0], "MALFORMED_MESSAGE", "empty message"},
            {
                "client_receives_server_hello",
                ch,
                "UNEXPECTED_MESSAGE",
                "own ClientHello reflected back"
            },
            {
                "client_receives_server_hello",
                Mutate.truncate(sh, sh.length - 1),
                "MALFORMED_MESSAGE",
                "truncated by one byte"
            },
            {
                "client_receives_server_hello",
                Mutate.extend(sh),
                "MALFORMED_MESSAGE",
                "extended by one byte"
            },
            {
                "client_receives_server_hello",
                Mutate.set(sh, 1, 0x02),
                "UNSUPPORTED_VERSION",
                "version changed in ServerHello (downgrade or upgrade attempt)"
            },
            {
                "client_receives_server_hello",
                Mutate.set(sh, 3, 0x02),
                "UNSUPPORTED_SUITE",
                "suite changed in ServerHello"
            },
            {
                "client_receives_server_hello",
                Mutate.flipBit(sh, 4, 0),
                "CONFIRMATION_FAILED",
                "bit flip in ct_e (ML-KEM part: implicit rejection)"
            },
            {
                "client_receives_server_hello",
                Mutate.flipBit(sh, 4 + 1100, 3),
                "CONFIRMATION_FAILED",
                "bit flip in ct_e (X25519 part)"
            },
            {
                "client_receives_server_hello",
                Mutate.zero(sh, 4 + 1088, 32),
                "INVALID_CIPHERTEXT",
                "ct_e X25519 part is the zero point"
            },
            {
                "client_receives_server_hello",
                Mutate.flipBit(sh, sh.length - 1, 7),
                "CONFIRMATION_FAILED",
                "bit flip in server_confirm"
            },
            {
                "client_receives_server_hello",
                other.serverHello(),
                "CONFIRMATION_FAILED",
                "ServerHello replayed from another session"
            },
            {"gateway_receives_client_finished", new byte[0], "MALFORMED_MESSAGE", "empty message"},
            {
                "gateway_receives_client_finished",
                record0,
                "UNEXPECTED_MESSAGE",
                "a record before ClientFinished"
            },
            {
                "gateway_receives_client_finished",
                ch,
                "UNEXPECTED_MESSAGE",
                "ClientHello replayed in place of ClientFinished"
            },
            {
                "gateway_receives_client_finished",
                Mutate.truncate(cf, 32),
                "MALFORMED_MESSAGE",
                "truncated by one byte"
            },
            {
                "gateway_receives_client_finished",
                Mutate.extend(cf),
                "MALFORMED_MESSAGE",
                "extended by one byte"
            },
            {
                "gateway_receives_client_finished",
                Mutate.flipBit(cf, 1, 0),
                "CONFIRMATION_FAILED",
                "bit flip in client_confirm"
            },
            {
                "gateway_receives_client_finished",
                other.clientFinished(),
                "CONFIRMATION_FAILED",
                "ClientFinished replayed from another session"
            },
        };
        VectorChecks.addStepVectors(tests, tc, base.toJson(), negatives);
        return Json.document(
                "hop-handshake",
                "Hop handshake (spec/hop-handshake.md): valid runs with every intermediate of HK1-HK10 and the first "
                        + "records each way; invalid: one message delivered at one step, with the expected error.",
                tests);
    }

    private static ObjectNode valid(int tcId) throws ProtocolException {
        Inputs in = Inputs.of(tcId);
        Run run = Run.of(in);
        ObjectNode t = Json.object();
        t.put("tc_id", tcId);
        t.put("comment", "valid handshake " + tcId);
        t.put("result", "valid");
        t.set("inputs", in.toJson());
        ObjectNode m = Json.object();
        m.put("client_hello", Json.hex(run.clientHello()));
        m.put("server_hello", Json.hex(run.serverHello()));
        m.put("client_finished", Json.hex(run.clientFinished()));
        t.set("messages", m);
        t.set("intermediates", Json.hexObject(run.clientTrace().values()));
        ArrayNode records = Json.array();
        for (String p : PLAINTEXTS) {
            byte[] pt = p.getBytes(StandardCharsets.UTF_8);
            records.add(record("c2s", run.client().sealer().nextSeq(), pt, run.client().seal(pt)));
            records.add(
                    record("s2c", run.gateway().sealer().nextSeq(), pt, run.gateway().seal(pt)));
        }
        t.set("records", records);
        return t;
    }

    static ObjectNode record(String direction, long seq, byte[] pt, byte[] record) {
        ObjectNode r = Json.object();
        r.put("direction", direction);
        r.put("seq", seq);
        r.put("plaintext", Json.hex(pt));
        r.put("record", Json.hex(record));
        return r;
    }

    /** Checks every vector; returns the list of failures (empty when all pass). */
    public static List<String> verify(JsonNode doc) {
        return VectorChecks.each(doc, HopVectors::verifyValid, HopVectors::verifyInvalid);
    }

    private static String verifyValid(JsonNode t) throws ProtocolException {
        Inputs in = Inputs.from(t.get("inputs"));
        JsonNode inJson = t.get("inputs");
        XWingKeyPair g = in.gatewayKey();
        if (!Arrays.equals(g.publicKey(), Json.unhex(inJson, "gateway_public_key"))
                || !Arrays.equals(g.fingerprint(), Json.unhex(inJson, "gateway_fingerprint"))
                || !Fingerprint.toBase64Url(g.fingerprint())
                        .equals(inJson.get("gateway_fingerprint_b64url").asText())) {
            return "gateway key or fingerprint differs";
        }
        Run run = Run.of(in);
        JsonNode m = t.get("messages");
        if (!Arrays.equals(run.clientHello(), Json.unhex(m, "client_hello")))
            return "client_hello differs";
        if (!Arrays.equals(run.serverHello(), Json.unhex(m, "server_hello")))
            return "server_hello differs";
        if (!Arrays.equals(run.clientFinished(), Json.unhex(m, "client_finished")))
            return "client_finished differs";
        String f = sameTrace("client", run.clientTrace(), t.get("intermediates"));
        if (f == null) {
            f = sameTrace("gateway", run.gatewayTrace(), t.get("intermediates"));
        }
        if (f != null) return f;
        for (JsonNode r : t.get("records")) {
            boolean c2s = "c2s".equals(r.get("direction").asText());
            Channel sender = c2s ? run.client() : run.gateway();
            Channel receiver = c2s ? run.gateway() : run.client();
            byte[] pt = Json.unhex(r, "plaintext");
            if (sender.sealer().nextSeq() != r.get("seq").asLong()) return "record seq differs";
            byte[] rec = sender.seal(pt);
            if (!Arrays.equals(rec, Json.unhex(r, "record")))
                return "record differs at seq " + r.get("seq");
            if (!Arrays.equals(receiver.open(rec), pt))
                return "record does not open at seq " + r.get("seq");
        }
        return null;
    }

    /** Every intermediate in the vector equals the side's trace (a side may trace a subset). */
    static String sameTrace(String side, Trace trace, JsonNode expected) {
        Map<String, byte[]> got = trace.values();
        for (var it = expected.fields(); it.hasNext(); ) {
            var e = it.next();
            byte[] v = got.get(e.getKey());
            if (v == null) return side + " did not compute " + e.getKey();
            if (!Json.hex(v).equals(e.getValue().asText()))
                return side + " differs at " + e.getKey();
        }
        return null;
    }

    private static String verifyInvalid(JsonNode t) {
        Inputs in = Inputs.from(t.get("inputs"));
        byte[] msg = Json.unhex(t, "message");
        String expect = t.get("expect").asText();
        return switch (t.get("step").asText()) {
            case "gateway_receives_client_hello" ->
                    Mutate.expect(expect, () -> in.serverReceives(msg, null));
            case "client_receives_server_hello" ->
                    Mutate.expect(expect, () -> in.startClient(null).next().receive(msg));
            case "gateway_receives_client_finished" ->
                    Mutate.expect(
                            expect,
                            () -> {
                                HopClient.Started s = in.startClient(null);
                                in.serverReceives(s.clientHello(), null).next().receive(msg);
                            });
            default -> "unknown step " + t.get("step");
        };
    }

    static {
        // Keep the layout constants and the offsets used above in step.
        if (Wire.CLIENT_HELLO_LEN != 2372 || Wire.SERVER_HELLO_LEN != 1156) {
            throw new IllegalStateException(
                    "wire sizes changed: update the negative vector offsets");
        }
    }
}
