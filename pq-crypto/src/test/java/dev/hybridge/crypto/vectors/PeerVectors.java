package dev.hybridge.crypto.vectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hybridge.crypto.ProtocolException;
import dev.hybridge.crypto.XWingKeyPair;
import dev.hybridge.crypto.handshake.DeterministicHandshakes;
import dev.hybridge.crypto.handshake.PeerContext;
import dev.hybridge.crypto.handshake.PeerInitiator;
import dev.hybridge.crypto.handshake.PeerResponder;
import dev.hybridge.crypto.handshake.PeerSession;
import dev.hybridge.crypto.kdf.Trace;
import dev.hybridge.crypto.record.Channel;
import dev.hybridge.crypto.room.RoomSecret;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/** test-vectors/peer-handshake.json: peer handshakes with every intermediate and SAS, and failure scenarios. */
public final class PeerVectors {
    public static final String FILE = "peer-handshake.json";

    private PeerVectors() {}

    record Inputs(
            byte[] roomSecret,
            byte[] initiatorId,
            byte[] responderId,
            byte[] initiatorSeed,
            byte[] responderSeed,
            byte[] initiatorEseed,
            byte[] responderEseed,
            byte[] initiatorNonce) {
        static Inputs of(int tcId) {
            return new Inputs(
                    DeterministicInputs.bytes(FILE, tcId, "room_secret", 32),
                    DeterministicInputs.bytes(FILE, tcId, "initiator_id", 8),
                    DeterministicInputs.bytes(FILE, tcId, "responder_id", 8),
                    DeterministicInputs.bytes(FILE, tcId, "initiator_seed", 32),
                    DeterministicInputs.bytes(FILE, tcId, "responder_seed", 32),
                    DeterministicInputs.bytes(FILE, tcId, "initiator_eseed", 64),
                    DeterministicInputs.bytes(FILE, tcId, "responder_eseed", 64),
                    DeterministicInputs.bytes(FILE, tcId, "initiator_nonce", 32));
        }

        static Inputs from(JsonNode in) {
            return new Inputs(
                    Json.unhex(in, "room_secret"),
                    Json.unhex(in, "initiator_id"),
                    Json.unhex(in, "responder_id"),
                    Json.unhex(in, "initiator_seed"),
                    Json.unhex(in, "responder_seed"),
                    Json.unhex(in, "initiator_eseed"),
                    Json.unhex(in, "responder_eseed"),
                    Json.unhex(in, "initiator_nonce"));
        }

        Inputs withRoomSecret(byte[] other) {
            return new Inputs(
                    other,
                    initiatorId,
                    responderId,
                    initiatorSeed,
                    responderSeed,
                    initiatorEseed,
                    responderEseed,
                    initiatorNonce);
        }

        ObjectNode toJson() {
            RoomSecret room = RoomSecret.of(roomSecret);
            ObjectNode o = Json.object();
            o.put("room_secret", Json.hex(roomSecret));
            o.put("room_id", Json.hex(room.roomId()));
            o.put("psk", Json.hex(room.psk()));
            o.put("initiator_id", Json.hex(initiatorId));
            o.put("responder_id", Json.hex(responderId));
            o.put("initiator_seed", Json.hex(initiatorSeed));
            o.put(
                    "initiator_public_key",
                    Json.hex(XWingKeyPair.fromSeed(initiatorSeed).publicKey()));
            o.put("responder_seed", Json.hex(responderSeed));
            o.put(
                    "responder_public_key",
                    Json.hex(XWingKeyPair.fromSeed(responderSeed).publicKey()));
            o.put("initiator_eseed", Json.hex(initiatorEseed));
            o.put("responder_eseed", Json.hex(responderEseed));
            o.put("initiator_nonce", Json.hex(initiatorNonce));
            return o;
        }

        PeerContext context() {
            RoomSecret room = RoomSecret.of(roomSecret);
            return new PeerContext(room.roomId(), room.psk(), initiatorId, responderId);
        }

        PeerInitiator.Started startInitiator(Trace trace) throws ProtocolException {
            return DeterministicHandshakes.peerInitiatorStart(
                    context(),
                    XWingKeyPair.fromSeed(initiatorSeed),
                    XWingKeyPair.fromSeed(responderSeed).publicKey(),
                    initiatorEseed,
                    initiatorNonce,
                    trace);
        }

        PeerResponder.Accepted responderReceives(byte[] init, Trace trace)
                throws ProtocolException {
            return DeterministicHandshakes.peerResponderReceive(
                    context(), XWingKeyPair.fromSeed(responderSeed), init, responderEseed, trace);
        }
    }

    record Run(
            byte[] init,
            byte[] accept,
            byte[] finish,
            PeerSession initiator,
            PeerSession responder,
            Trace initiatorTrace,
            Trace responderTrace) {
        static Run of(Inputs in) throws ProtocolException {
            Trace it = new Trace();
            Trace rt = new Trace();
            PeerInitiator.Started s = in.startInitiator(it);
            PeerResponder.Accepted a = in.responderReceives(s.peerInit(), rt);
            PeerInitiator.Established e = s.next().receive(a.peerAccept());
            PeerSession r = a.next().receive(e.peerFinish());
            return new Run(s.peerInit(), a.peerAccept(), e.peerFinish(), e.session(), r, it, rt);
        }
    }

    public static ObjectNode generate() throws ProtocolException {
        ArrayNode tests = Json.array();
        int tc = 1;
        for (; tc <= 3; tc++) {
            tests.add(valid(tc));
        }
        Inputs base = Inputs.of(1);
        Run run = Run.of(base);
        Run other = Run.of(Inputs.of(2));
        byte[] init = run.init();
        byte[] accept = run.accept();
        byte[] finish = run.finish();
        byte[] wrongSecret = DeterministicInputs.bytes(FILE, 0, "wrong_room_secret", 32);
        byte[] wrongPskAccept =
                base.withRoomSecret(wrongSecret).responderReceives(init, null).peerAccept();
        // The gateway swapping the initiator's id in what it tells the responder.
        Inputs swappedIds =
                new Inputs(
                        base.roomSecret(),
                        base.responderId(),
                        base.initiatorId(),
                        base.initiatorSeed(),
                        base.responderSeed(),
                        base.initiatorEseed(),
                        base.responderEseed(),
                        base.initiatorNonce());
        byte[] swappedIdAccept = swappedIds.responderReceives(init, null).peerAccept();
        int ctR = 4 + 1216;
        byte[] commitSwappedAccept =
                base.responderReceives(Mutate.flipBit(init, init.length - 1, 0), null).peerAccept();
        Object[][] negatives = {
            {"responder_receives_peer_init", new byte[0], "MALFORMED_MESSAGE", "empty message"},
            {
                "responder_receives_peer_init",
                accept,
                "UNEXPECTED_MESSAGE",
                "PeerAccept where PeerInit expected"
            },
            {
                "responder_receives_peer_init",
                Mutate.truncate(init, init.length - 1),
                "MALFORMED_MESSAGE",
                "truncated by one byte"
            },
            {
                "responder_receives_peer_init",
                Mutate.extend(init),
                "MALFORMED_MESSAGE",
                "extended by one byte"
            },
            {
                "responder_receives_peer_init",
                Mutate.set(init, 1, 0x02),
                "UNSUPPORTED_VERSION",
                "version 2"
            },
            {
                "responder_receives_peer_init",
                Mutate.set(init, 3, 0x00),
                "UNSUPPORTED_SUITE",
                "suite 0x0000"
            },
            {
                "responder_receives_peer_init",
                Mutate.badModulus(init, 4),
                "INVALID_PUBLIC_KEY",
                "initiator ML-KEM key coefficient >= q"
            },
            {
                "responder_receives_peer_init",
                Mutate.zero(init, 4 + 1184, 32),
                "INVALID_PUBLIC_KEY",
                "initiator X25519 key is the zero point"
            },
            {
                "responder_receives_peer_init",
                Mutate.zero(init, ctR + 1088, 32),
                "INVALID_CIPHERTEXT",
                "ct_R X25519 part is the zero point"
            },
            {
                "initiator_receives_peer_accept",
                commitSwappedAccept,
                "CONFIRMATION_FAILED",
                "responder saw another SAS commitment (commit is in the transcript)"
            },
            {"initiator_receives_peer_accept", new byte[0], "MALFORMED_MESSAGE", "empty message"},
            {
                "initiator_receives_peer_accept",
                init,
                "UNEXPECTED_MESSAGE",
                "own PeerInit reflected back"
            },
            {
                "initiator_receives_peer_accept",
                Mutate.truncate(accept, accept.length - 1),
                "MALFORMED_MESSAGE",
                "truncated by one byte"
            },
            {
                "initiator_receives_peer_accept",
                Mutate.set(accept, 1, 0x00),
                "UNSUPPORTED_VERSION",
                "version 0"
            },
            {
                "initiator_receives_peer_accept",
                Mutate.set(accept, 2, 0x01),
                "UNSUPPORTED_SUITE",
                "suite 0x0101"
            },
            {
                "initiator_receives_peer_accept",
                Mutate.zero(accept, 4 + 1088, 32),
                "INVALID_CIPHERTEXT",
                "ct_I X25519 part is the zero point"
            },
            {
                "initiator_receives_peer_accept",
                Mutate.flipBit(accept, 10, 1),
                "CONFIRMATION_FAILED",
                "bit flip in ct_I"
            },
            {
                "initiator_receives_peer_accept",
                Mutate.flipBit(accept, accept.length - 1, 0),
                "CONFIRMATION_FAILED",
                "bit flip in confirm_R"
            },
            {
                "initiator_receives_peer_accept",
                wrongPskAccept,
                "CONFIRMATION_FAILED",
                "responder holds another room secret (wrong link): PSK differs"
            },
            {
                "initiator_receives_peer_accept",
                swappedIdAccept,
                "CONFIRMATION_FAILED",
                "responder was told other peer ids (gateway lied)"
            },
            {
                "initiator_receives_peer_accept",
                other.accept(),
                "CONFIRMATION_FAILED",
                "PeerAccept replayed from another session"
            },
            {"responder_receives_peer_finish", new byte[0], "MALFORMED_MESSAGE", "empty message"},
            {
                "responder_receives_peer_finish",
                init,
                "UNEXPECTED_MESSAGE",
                "PeerInit replayed in place of PeerFinish"
            },
            {
                "responder_receives_peer_finish",
                Mutate.truncate(finish, finish.length - 1),
                "MALFORMED_MESSAGE",
                "truncated by one byte"
            },
            {
                "responder_receives_peer_finish",
                Mutate.truncate(finish, 33),
                "MALFORMED_MESSAGE",
                "confirm_I without the SAS nonce"
            },
            {
                "responder_receives_peer_finish",
                Mutate.flipBit(finish, 32, 6),
                "CONFIRMATION_FAILED",
                "bit flip in confirm_I"
            },
            {
                "responder_receives_peer_finish",
                Mutate.flipBit(finish, 40, 0),
                "CONFIRMATION_FAILED",
                "SAS nonce does not open the commitment"
            },
            {
                "responder_receives_peer_finish",
                other.finish(),
                "CONFIRMATION_FAILED",
                "PeerFinish replayed from another session"
            },
        };
        VectorChecks.addStepVectors(tests, tc, base.toJson(), negatives);
        return Json.document(
                "peer-handshake",
                "Peer handshake (spec/peer-handshake.md): valid runs with every intermediate of PK1-PK10, the SAS and "
                        + "the first records each way; invalid: one message delivered at one step, with the expected error.",
                tests);
    }

    private static ObjectNode valid(int tcId) throws ProtocolException {
        Inputs in = Inputs.of(tcId);
        Run run = Run.of(in);
        ObjectNode t = Json.object();
        t.put("tc_id", tcId);
        t.put("comment", "valid peer handshake " + tcId);
        t.put("result", "valid");
        t.set("inputs", in.toJson());
        ObjectNode m = Json.object();
        m.put("peer_init", Json.hex(run.init()));
        m.put("peer_accept", Json.hex(run.accept()));
        m.put("peer_finish", Json.hex(run.finish()));
        t.set("messages", m);
        t.set("intermediates", Json.hexObject(run.initiatorTrace().values()));
        t.put("sas_decimal", run.initiator().sas().decimal());
        ArrayNode records = Json.array();
        for (String p : new String[] {"v=0", "hello peer"}) {
            byte[] pt = p.getBytes(StandardCharsets.UTF_8);
            Channel i = run.initiator().channel();
            Channel r = run.responder().channel();
            records.add(HopVectors.record("i2r", i.sealer().nextSeq(), pt, i.seal(pt)));
            records.add(HopVectors.record("r2i", r.sealer().nextSeq(), pt, r.seal(pt)));
        }
        t.set("records", records);
        return t;
    }

    public static List<String> verify(JsonNode doc) {
        return VectorChecks.each(doc, PeerVectors::verifyValid, PeerVectors::verifyInvalid);
    }

    private static String verifyValid(JsonNode t) throws ProtocolException {
        JsonNode inJson = t.get("inputs");
        Inputs in = Inputs.from(inJson);
        RoomSecret room = RoomSecret.of(in.roomSecret());
        if (!Arrays.equals(room.roomId(), Json.unhex(inJson, "room_id"))) return "room_id differs";
        if (!Arrays.equals(room.psk(), Json.unhex(inJson, "psk"))) return "psk differs";
        Run run = Run.of(in);
        JsonNode m = t.get("messages");
        if (!Arrays.equals(run.init(), Json.unhex(m, "peer_init"))) return "peer_init differs";
        if (!Arrays.equals(run.accept(), Json.unhex(m, "peer_accept")))
            return "peer_accept differs";
        if (!Arrays.equals(run.finish(), Json.unhex(m, "peer_finish")))
            return "peer_finish differs";
        String f = HopVectors.sameTrace("initiator", run.initiatorTrace(), t.get("intermediates"));
        if (f == null) {
            f = HopVectors.sameTrace("responder", run.responderTrace(), t.get("intermediates"));
        }
        if (f != null) return f;
        String sas = t.get("sas_decimal").asText();
        if (!run.initiator().sas().decimal().equals(sas)
                || !run.responder().sas().decimal().equals(sas)) {
            return "SAS differs";
        }
        for (JsonNode r : t.get("records")) {
            boolean i2r = "i2r".equals(r.get("direction").asText());
            Channel sender = i2r ? run.initiator().channel() : run.responder().channel();
            Channel receiver = i2r ? run.responder().channel() : run.initiator().channel();
            byte[] pt = Json.unhex(r, "plaintext");
            byte[] rec = sender.seal(pt);
            if (!Arrays.equals(rec, Json.unhex(r, "record")))
                return "record differs at seq " + r.get("seq");
            if (!Arrays.equals(receiver.open(rec), pt))
                return "record does not open at seq " + r.get("seq");
        }
        return null;
    }

    private static String verifyInvalid(JsonNode t) {
        Inputs in = Inputs.from(t.get("inputs"));
        byte[] msg = Json.unhex(t, "message");
        String expect = t.get("expect").asText();
        return switch (t.get("step").asText()) {
            case "responder_receives_peer_init" ->
                    Mutate.expect(expect, () -> in.responderReceives(msg, null));
            case "initiator_receives_peer_accept" ->
                    Mutate.expect(expect, () -> in.startInitiator(null).next().receive(msg));
            case "responder_receives_peer_finish" ->
                    Mutate.expect(
                            expect,
                            () -> {
                                PeerInitiator.Started s = in.startInitiator(null);
                                in.responderReceives(s.peerInit(), null).next().receive(msg);
                            });
            default -> "unknown step " + t.get("step");
        };
    }
}
