package dev.hybridge.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hybridge.crypto.ErrorCode;
import dev.hybridge.crypto.FailureCode;
import dev.hybridge.crypto.ProtocolException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * Generator and verifier of the room-message vectors (test-vectors/room-messages.json,
 * spec/room-protocol.md). Every byte is derived deterministically, so regenerating gives the
 * same file. One scenario per vector; invalid ones name the expected error ({@code expect}).
 */
public final class RoomMessageVectors {
    private RoomMessageVectors() {}

    private static final HexFormat HEX = HexFormat.of();
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    /** The vectors document. */
    public static ObjectNode generate() {
        ArrayNode vectors = JSON.arrayNode();
        List<Case> cases = cases();
        int id = 1;
        for (Case c : cases) {
            ObjectNode v = vectors.addObject();
            v.put("tc_id", id++);
            v.put("comment", c.comment);
            v.put(
                    "direction",
                    c.direction == RoomCodec.Direction.CLIENT_TO_GATEWAY
                            ? "client_to_gateway"
                            : "gateway_to_client");
            v.put("message_hex", HEX.formatHex(c.bytes));
            if (c.expect == null) {
                v.put("result", "valid");
                v.set("decoded", toJson(c.message));
            } else {
                v.put("result", "invalid");
                v.put("expect", c.expect.name());
            }
        }
        return dev.hybridge.crypto.vectors.Json.document(
                "room-messages",
                "Room protocol messages (spec/room-protocol.md). Each message_hex is one hop-record plaintext. Valid: "
                        + "decoding in 'direction' yields 'decoded', and encoding 'decoded' yields message_hex. Invalid: "
                        + "decoding in 'direction' fails with 'expect'.",
                vectors);
    }

    /** Checks every vector of {@code doc}; returns every mismatch (empty when all pass). */
    public static List<String> verify(JsonNode doc) {
        JsonNode vectors = doc.path("tests");
        List<String> failures = new ArrayList<>();
        if (!vectors.isArray() || vectors.isEmpty()) {
            failures.add("zero vectors loaded");
            return failures;
        }
        for (JsonNode v : vectors) {
            String id = "tc_id " + v.path("tc_id").asText("?");
            try {
                byte[] bytes = HEX.parseHex(v.path("message_hex").asText());
                RoomCodec.Direction dir =
                        switch (v.path("direction").asText()) {
                            case "client_to_gateway" -> RoomCodec.Direction.CLIENT_TO_GATEWAY;
                            case "gateway_to_client" -> RoomCodec.Direction.GATEWAY_TO_CLIENT;
                            default -> throw new IllegalArgumentException("bad direction");
                        };
                String result = v.path("result").asText();
                if (result.equals("valid")) {
                    RoomMessage m = RoomCodec.decode(bytes, dir);
                    if (!toJson(m).equals(v.path("decoded"))) {
                        failures.add(id + ": decoded fields differ");
                    }
                    if (!Arrays.equals(RoomCodec.encode(m), bytes)) {
                        failures.add(id + ": re-encoding differs");
                    }
                } else if (result.equals("invalid")) {
                    String expect = v.path("expect").asText();
                    try {
                        RoomCodec.decode(bytes, dir);
                        failures.add(id + ": decoded, expected " + expect);
                    } catch (ProtocolException e) {
                        if (!e.code().name().equals(expect)) {
                            failures.add(id + ": got " + e.code().name() + ", expected " + expect);
                        }
                    }
                } else {
                    failures.add(id + ": unknown result '" + result + "'");
                }
            } catch (ProtocolException | RuntimeException e) {
                failures.add(id + ": " + e);
            }
        }
        return failures;
    }

    /** SFU_REQUEST / SFU_EVENT fields (spec/sfu.md §2); no vector uses them yet. */
    private static void putSfu(ObjectNode o, int handle, byte[] txn, byte[] json) {
        o.put("handle", handle);
        o.put("txn", HEX.formatHex(txn));
        o.put("json", HEX.formatHex(json));
    }

    /** The decoded fields of a message, as the vectors spell them (snake_case, bytes as hex). */
    public static ObjectNode toJson(RoomMessage m) {
        ObjectNode o = JSON.objectNode();
        o.put("type", RoomCodec.nameOf(m.type()));
        switch (m) {
            case RoomMessage.Join j -> {
                o.put("room_id", HEX.formatHex(j.roomId()));
                o.put("public_key", HEX.formatHex(j.publicKey()));
            }
            case RoomMessage.Relay r -> {
                o.put("to", HEX.formatHex(r.to()));
                o.put("envelope", HEX.formatHex(r.envelope()));
            }
            case RoomMessage.Leave l -> {
                // no fields
            }
            case RoomMessage.SlotOpen so -> o.put("public_key", HEX.formatHex(so.publicKey()));
            case RoomMessage.SlotJoin sj -> {
                putSlot(o, sj.slot());
                o.put("public_key", HEX.formatHex(sj.publicKey()));
            }
            case RoomMessage.SlotDone sd -> o.put("outcome", sd.burned() ? "burned" : "used");
            case RoomMessage.SlotOpened so -> {
                putSlot(o, so.slot());
                o.put("sid", HEX.formatHex(so.sid()));
                o.put("ttl", so.ttlSeconds());
            }
            case RoomMessage.SlotPaired sp -> {
                o.put("sid", HEX.formatHex(sp.sid()));
                o.put("public_key", HEX.formatHex(sp.publicKey()));
            }
            case RoomMessage.SfuRequest r -> putSfu(o, r.handle(), r.txn(), r.json());
            case RoomMessage.SfuEvent e -> putSfu(o, e.handle(), e.txn(), e.json());
            case RoomMessage.Joined j -> {
                o.put("peer_id", HEX.formatHex(j.peerId()));
                ArrayNode peers = o.putArray("peers");
                for (RoomMessage.Peer p : j.peers()) {
                    ObjectNode po = peers.addObject();
                    po.put("peer_id", HEX.formatHex(p.peerId()));
                    po.put("public_key", HEX.formatHex(p.publicKey()));
                }
                ArrayNode ice = o.putArray("ice_servers");
                for (RoomMessage.IceServer s : j.iceServers()) {
                    ObjectNode so = ice.addObject();
                    ArrayNode urls = so.putArray("urls");
                    s.urls().forEach(urls::add);
                    so.put("username", s.username());
                    so.put("credential", s.credential());
                }
            }
            case RoomMessage.PeerJoined p -> {
                o.put("peer_id", HEX.formatHex(p.peerId()));
                o.put("public_key", HEX.formatHex(p.publicKey()));
            }
            case RoomMessage.PeerLeft p -> o.put("peer_id", HEX.formatHex(p.peerId()));
            case RoomMessage.Relayed r -> {
                o.put("from", HEX.formatHex(r.from()));
                o.put("envelope", HEX.formatHex(r.envelope()));
            }
            case RoomMessage.Error e -> {
                o.put("code", e.code());
                String known = RoomError.nameOf(e.code());
                if (known != null) {
                    o.put("code_name", known);
                } else {
                    o.putNull("code_name");
                }
                if (e.ref() != null) {
                    o.put("ref", HEX.formatHex(e.ref()));
                } else {
                    o.putNull("ref");
                }
            }
        }
        return o;
    }

    /** A slot as JSON reads it back: an int node when it fits, else a long node. */
    private static void putSlot(ObjectNode o, long slot) {
        if (slot <= Integer.MAX_VALUE) {
            o.put("slot", (int) slot);
        } else {
            o.put("slot", slot);
        }
    }

    private record Case(
            String comment,
            RoomCodec.Direction direction,
            byte[] bytes,
            RoomMessage message,
            FailureCode expect) {}

    private static final RoomCodec.Direction C2G = RoomCodec.Direction.CLIENT_TO_GATEWAY;
    private static final RoomCodec.Direction G2C = RoomCodec.Direction.GATEWAY_TO_CLIENT;

    private static Case valid(String comment, RoomCodec.Direction d, RoomMessage m) {
        return new Case(comment, d, RoomCodec.encode(m), m, null);
    }

    private static Case invalid(
            String comment, RoomCodec.Direction d, byte[] bytes, FailureCode expect) {
        return new Case(comment, d, bytes, null, expect);
    }

    private static List<Case> cases() {
        byte[] roomId = filler("room id", RoomCodec.ROOM_ID_LEN);
        byte[] pkA = filler("peer A key", RoomCodec.PUBLIC_KEY_LEN);
        byte[] pkB = filler("peer B key", RoomCodec.PUBLIC_KEY_LEN);
        byte[] pkC = filler("peer C key", RoomCodec.PUBLIC_KEY_LEN);
        byte[] idA = filler("peer A id", RoomCodec.PEER_ID_LEN);
        byte[] idB = filler("peer B id", RoomCodec.PEER_ID_LEN);
        byte[] idC = filler("peer C id", RoomCodec.PEER_ID_LEN);
        byte[] envelope = filler("opaque envelope", 100);
        RoomMessage.IceServer stun =
                new RoomMessage.IceServer(List.of("stun:stun.example.org:3478"), "", "");
        RoomMessage.IceServer turn =
                new RoomMessage.IceServer(
                        List.of(
                                "turn:turn.example.org:3478?transport=udp",
                                "turns:turn.example.org:5349?transport=tcp"),
                        "1767225600:q1dQSbDuFfo",
                        "bVi2d2k2yA+c/wHBsW8gD7ki3Sg=");

        List<Case> c = new ArrayList<>();
        byte[] join = RoomCodec.encode(new RoomMessage.Join(roomId, pkA));
        c.add(
                valid(
                        "JOIN: room id and announced peer-handshake key",
                        C2G,
                        new RoomMessage.Join(roomId, pkA)));
        c.add(
                valid(
                        "RELAY: one-byte envelope (the minimum)",
                        C2G,
                        new RoomMessage.Relay(idB, new byte[] {0x42})));
        c.add(valid("RELAY: 100-byte opaque envelope", C2G, new RoomMessage.Relay(idB, envelope)));
        c.add(
                valid(
                        "RELAY: envelope of MAX_ENVELOPE bytes (a message of exactly 65536 bytes)",
                        C2G,
                        new RoomMessage.Relay(
                                idB, filler("max envelope", RoomCodec.MAX_ENVELOPE))));
        c.add(valid("LEAVE", C2G, new RoomMessage.Leave()));
        c.add(
                valid(
                        "JOINED: first in the room, no ICE servers (the default config)",
                        G2C,
                        new RoomMessage.Joined(idA, List.of(), List.of())));
        c.add(
                valid(
                        "JOINED: two peers already present, one STUN and one TURN server with credentials",
                        G2C,
                        new RoomMessage.Joined(
                                idC,
                                List.of(
                                        new RoomMessage.Peer(idA, pkA),
                                        new RoomMessage.Peer(idB, pkB)),
                                List.of(stun, turn))));
        c.add(valid("PEER_JOINED", G2C, new RoomMessage.PeerJoined(idC, pkC)));
        c.add(valid("PEER_LEFT", G2C, new RoomMessage.PeerLeft(idB)));
        c.add(
                valid(
                        "RELAYED: envelope delivered byte for byte with the sender's id",
                        G2C,
                        new RoomMessage.Relayed(idA, envelope)));
        c.add(
                valid(
                        "ERROR without ref: ROOM_FULL",
                        G2C,
                        new RoomMessage.Error(RoomError.ROOM_FULL.code(), null)));
        c.add(
                valid(
                        "ERROR with ref: UNKNOWN_PEER naming the peer id of the failed RELAY",
                        G2C,
                        new RoomMessage.Error(RoomError.UNKNOWN_PEER.code(), idB)));
        c.add(
                valid(
                        "ERROR with a code this client does not know: still decodes (code_name null)",
                        G2C,
                        new RoomMessage.Error(999, null)));

        c.add(invalid("empty message", C2G, new byte[0], ErrorCode.MALFORMED_MESSAGE));
        c.add(
                invalid(
                        "JOIN truncated by one byte",
                        C2G,
                        Arrays.copyOf(join, join.length - 1),
                        ErrorCode.MALFORMED_MESSAGE));
        c.add(
                invalid(
                        "JOIN extended by one byte",
                        C2G,
                        Arrays.copyOf(join, join.length + 1),
                        ErrorCode.MALFORMED_MESSAGE));
        c.add(
                invalid(
                        "JOIN type byte only",
                        C2G,
                        new byte[] {RoomCodec.JOIN},
                        ErrorCode.MALFORMED_MESSAGE));
        c.add(
                invalid(
                        "RELAY with an empty envelope",
                        C2G,
                        concat(new byte[] {RoomCodec.RELAY}, idB),
                        ErrorCode.MALFORMED_MESSAGE));
        c.add(
                invalid(
                        "RELAY with a truncated peer id",
                        C2G,
                        new byte[] {RoomCodec.RELAY, 1, 2, 3},
                        ErrorCode.MALFORMED_MESSAGE));
        c.add(
                invalid(
                        "LEAVE with a trailing byte",
                        C2G,
                        new byte[] {RoomCodec.LEAVE, 0},
                        ErrorCode.MALFORMED_MESSAGE));
        c.add(invalid("unknown type 0x00", C2G, new byte[] {0x00}, RoomError.UNKNOWN_MESSAGE));
        c.add(
                invalid(
                        "unknown type 0x7f with a body",
                        C2G,
                        concat(new byte[] {0x7f}, envelope),
                        RoomError.UNKNOWN_MESSAGE));
        c.add(
                invalid(
                        "unknown type 0x17 (a record type byte inside a record)",
                        C2G,
                        new byte[] {0x17, 0, 0},
                        RoomError.UNKNOWN_MESSAGE));
        c.add(
                invalid(
                        "oversized: RELAY of 65537 bytes (envelope one over MAX_ENVELOPE)",
                        C2G,
                        concat(
                                new byte[] {RoomCodec.RELAY},
                                idB,
                                filler("oversized", RoomCodec.MAX_ENVELOPE + 1)),
                        RoomError.MESSAGE_TOO_LARGE));
        c.add(
                invalid(
                        "a gateway-to-client type (RELAYED) sent by a client",
                        C2G,
                        RoomCodec.encode(new RoomMessage.Relayed(idA, envelope)),
                        ErrorCode.UNEXPECTED_MESSAGE));
        c.add(
                invalid(
                        "a client-to-gateway type (JOIN) sent by the gateway",
                        G2C,
                        join,
                        ErrorCode.UNEXPECTED_MESSAGE));
        byte[] joined =
                RoomCodec.encode(
                        new RoomMessage.Joined(
                                idC,
                                List.of(
                                        new RoomMessage.Peer(idA, pkA),
                                        new RoomMessage.Peer(idB, pkB)),
                                List.of(stun, turn)));
        c.add(
                invalid(
                        "JOINED truncated by one byte",
                        G2C,
                        Arrays.copyOf(joined, joined.length - 1),
                        ErrorCode.MALFORMED_MESSAGE));
        c.add(
                invalid(
                        "JOINED with a trailing byte",
                        G2C,
                        Arrays.copyOf(joined, joined.length + 1),
                        ErrorCode.MALFORMED_MESSAGE));
        byte[] overCount =
                RoomCodec.encode(
                        new RoomMessage.Joined(
                                idA, List.of(new RoomMessage.Peer(idB, pkB)), List.of()));
        overCount[1 + RoomCodec.PEER_ID_LEN] = 2; // claims two peers, carries one
        c.add(
                invalid(
                        "JOINED whose peer count exceeds the peers present",
                        G2C,
                        overCount,
                        ErrorCode.MALFORMED_MESSAGE));
        byte[] badUtf8 = RoomCodec.encode(new RoomMessage.Joined(idA, List.of(), List.of(stun)));
        badUtf8[badUtf8.length - 5] = (byte) 0xFF; // inside the URL
        c.add(
                invalid(
                        "JOINED with an ICE URL that is not UTF-8",
                        G2C,
                        badUtf8,
                        ErrorCode.MALFORMED_MESSAGE));
        byte[] noUrls =
                concat(new byte[] {RoomCodec.JOINED}, idA, new byte[] {0, 1, 0, 0, 0, 0, 0});
        c.add(
                invalid(
                        "JOINED with an ICE server of zero URLs",
                        G2C,
                        noUrls,
                        ErrorCode.MALFORMED_MESSAGE));
        c.add(
                invalid(
                        "PEER_LEFT truncated",
                        G2C,
                        new byte[] {RoomCodec.PEER_LEFT, 1, 2, 3, 4, 5, 6, 7},
                        ErrorCode.MALFORMED_MESSAGE));
        c.add(
                invalid(
                        "ERROR with a 4-byte ref (only 0 or 8 allowed)",
                        G2C,
                        new byte[] {RoomCodec.ERROR, 0, 100, 1, 2, 3, 4},
                        ErrorCode.MALFORMED_MESSAGE));
        c.add(
                invalid(
                        "ERROR without its code",
                        G2C,
                        new byte[] {RoomCodec.ERROR, 0},
                        ErrorCode.MALFORMED_MESSAGE));
        slotCases(c, pkA, pkB);
        return c;
    }

    /** The slot messages of short join codes (spec/short-codes.md §4.1). */
    private static void slotCases(List<Case> c, byte[] pkA, byte[] pkB) {
        byte[] sid = filler("slot sid", RoomCodec.SID_LEN);
        c.add(valid("SLOT_OPEN: the creator's key", C2G, new RoomMessage.SlotOpen(pkA)));
        c.add(valid("SLOT_JOIN: slot 4", C2G, new RoomMessage.SlotJoin(4, pkB)));
        c.add(
                valid(
                        "SLOT_JOIN: the largest slot number",
                        C2G,
                        new RoomMessage.SlotJoin(0xFFFF_FFFFL, pkB)));
        c.add(valid("SLOT_DONE: used", C2G, new RoomMessage.SlotDone(false)));
        c.add(valid("SLOT_DONE: burned", C2G, new RoomMessage.SlotDone(true)));
        c.add(
                valid(
                        "SLOT_OPENED: slot 4, sid, 300 s",
                        G2C,
                        new RoomMessage.SlotOpened(4, sid, 300)));
        c.add(
                valid(
                        "SLOT_PAIRED: sid and the other member's key",
                        G2C,
                        new RoomMessage.SlotPaired(sid, pkA)));
        c.add(
                valid(
                        "ERROR SLOT_BURNED",
                        G2C,
                        new RoomMessage.Error(RoomError.SLOT_BURNED.code(), null)));
        c.add(
                valid(
                        "ERROR SLOT_RATE_LIMITED",
                        G2C,
                        new RoomMessage.Error(RoomError.SLOT_RATE_LIMITED.code(), null)));
        byte[] open = RoomCodec.encode(new RoomMessage.SlotOpen(pkA));
        byte[] join = RoomCodec.encode(new RoomMessage.SlotJoin(4, pkB));
        byte[] opened = RoomCodec.encode(new RoomMessage.SlotOpened(4, sid, 300));
        byte[] paired = RoomCodec.encode(new RoomMessage.SlotPaired(sid, pkA));
        c.add(
                invalid(
                        "SLOT_OPEN one byte short",
                        C2G,
                        Arrays.copyOf(open, open.length - 1),
                        ErrorCode.MALFORMED_MESSAGE));
        c.add(
                invalid(
                        "SLOT_JOIN one byte long",
                        C2G,
                        Arrays.copyOf(join, join.length + 1),
                        ErrorCode.MALFORMED_MESSAGE));
        byte[] slotZero = join.clone();
        slotZero[4] = 0;
        c.add(invalid("SLOT_JOIN to slot 0", C2G, slotZero, ErrorCode.MALFORMED_MESSAGE));
        c.add(
                invalid(
                        "SLOT_DONE with outcome 2",
                        C2G,
                        new byte[] {RoomCodec.SLOT_DONE, 2},
                        ErrorCode.MALFORMED_MESSAGE));
        c.add(
                invalid(
                        "SLOT_DONE without its outcome",
                        C2G,
                        new byte[] {RoomCodec.SLOT_DONE},
                        ErrorCode.MALFORMED_MESSAGE));
        c.add(invalid("SLOT_OPENED sent by a client", C2G, opened, ErrorCode.UNEXPECTED_MESSAGE));
        c.add(invalid("SLOT_JOIN sent by the gateway", G2C, join, ErrorCode.UNEXPECTED_MESSAGE));
        byte[] openedZero = opened.clone();
        openedZero[4] = 0;
        c.add(invalid("SLOT_OPENED for slot 0", G2C, openedZero, ErrorCode.MALFORMED_MESSAGE));
        c.add(
                invalid(
                        "SLOT_PAIRED without the key",
                        G2C,
                        Arrays.copyOf(paired, 1 + RoomCodec.SID_LEN),
                        ErrorCode.MALFORMED_MESSAGE));
        c.add(
                invalid(
                        "unknown type 0x26 (after the slot messages)",
                        C2G,
                        new byte[] {0x26},
                        RoomError.UNKNOWN_MESSAGE));
        c.add(
                invalid(
                        "unknown type 0x36 (after the slot messages)",
                        G2C,
                        new byte[] {0x36, 0},
                        RoomError.UNKNOWN_MESSAGE));
    }

    /** Deterministic bytes: SHA-256("hybridge/v1/vectors/room/" + label || counter) blocks. */
    static byte[] filler(String label, int len) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] prefix = ("hybridge/v1/vectors/room/" + label).getBytes(StandardCharsets.UTF_8);
            byte[] out = new byte[len];
            for (int off = 0, ctr = 0; off < len; off += 32, ctr++) {
                sha.update(prefix);
                sha.update(
                        new byte[] {
                            (byte) (ctr >> 24), (byte) (ctr >> 16), (byte) (ctr >> 8), (byte) ctr
                        });
                byte[] block = sha.digest();
                System.arraycopy(block, 0, out, off, Math.min(32, len - off));
            }
            return out;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] concat(byte[]... parts) {
        return dev.hybridge.crypto.internal.Bytes.concat(parts);
    }
}
