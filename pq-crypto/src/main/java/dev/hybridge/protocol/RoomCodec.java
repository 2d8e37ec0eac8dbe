package dev.hybridge.protocol;

import dev.hybridge.crypto.ErrorCode;
import dev.hybridge.crypto.ProtocolException;
import dev.hybridge.crypto.record.RecordFormat;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Encoding and strict decoding of room messages (spec/room-protocol.md). Decoding never throws
 * an unchecked exception: every input either yields a message or a {@link ProtocolException}
 * whose code names the first failed check (order: empty, size cap, type, direction, layout).
 */
public final class RoomCodec {
    private RoomCodec() {}

    public static final byte JOIN = 0x20;
    public static final byte RELAY = 0x21;
    public static final byte LEAVE = 0x22;
    public static final byte SLOT_OPEN = 0x23;
    public static final byte SLOT_JOIN = 0x24;
    public static final byte SLOT_DONE = 0x25;
    public static final byte SFU_REQUEST = 0x28;

    public static final byte JOINED = 0x30;
    public static final byte PEER_JOINED = 0x31;
    public static final byte PEER_LEFT = 0x32;
    public static final byte RELAYED = 0x33;
    public static final byte SLOT_OPENED = 0x34;
    public static final byte SLOT_PAIRED = 0x35;
    public static final byte SFU_EVENT = 0x38;
    public static final byte ERROR = 0x3F;

    public static final int ROOM_ID_LEN = 32;
    public static final int PEER_ID_LEN = 8;
    public static final int PUBLIC_KEY_LEN = 1216;

    /** A room message is one hop-record plaintext: at most this long (spec/record-layer.md). */
    public static final int MAX_MESSAGE = RecordFormat.HOP_MAX_PLAINTEXT;

    /** RELAY and RELAYED carry type (1) and a peer id (8) before the envelope. */
    public static final int RELAY_HEADER_LEN = 1 + PEER_ID_LEN;

    /** The largest envelope the protocol can carry; a gateway may configure a smaller cap. */
    public static final int MAX_ENVELOPE = MAX_MESSAGE - RELAY_HEADER_LEN;

    public static final int JOIN_LEN = 1 + ROOM_ID_LEN + PUBLIC_KEY_LEN; // 1249
    public static final int PEER_JOINED_LEN = 1 + PEER_ID_LEN + PUBLIC_KEY_LEN; // 1225
    public static final int PEER_LEFT_LEN = 1 + PEER_ID_LEN; // 9
    public static final int LEAVE_LEN = 1;
    public static final int ERROR_LEN = 3;
    public static final int ERROR_WITH_REF_LEN = 3 + PEER_ID_LEN;

    /** Short-code slots (spec/short-codes.md §4.1). */
    public static final int SID_LEN = 16;

    public static final int SLOT_OPEN_LEN = 1 + PUBLIC_KEY_LEN; // 1217
    public static final int SLOT_JOIN_LEN = 1 + 4 + PUBLIC_KEY_LEN; // 1221
    public static final int SLOT_DONE_LEN = 2;
    public static final int SLOT_OPENED_LEN = 1 + 4 + SID_LEN + 2; // 23
    public static final int SLOT_PAIRED_LEN = 1 + SID_LEN + PUBLIC_KEY_LEN; // 1233

    /** SFU signaling (spec/sfu.md §2): the publisher and the subscriber handle, and the txn length. */
    public static final int SFU_PUBLISHER = 1;

    public static final int SFU_SUBSCRIBER = 2;
    public static final int TXN_LEN = 8;

    /** SFU_REQUEST and SFU_EVENT carry type (1), handle (1) and txn (8) before the JSON. */
    public static final int SFU_HEADER_LEN = 2 + TXN_LEN;

    /** Who sent a message: each type is valid in one direction only. */
    public enum Direction {
        CLIENT_TO_GATEWAY,
        GATEWAY_TO_CLIENT
    }

    /** The direction a type byte belongs to; null if the type is unknown. */
    public static Direction directionOf(byte type) {
        return switch (type) {
            case JOIN, RELAY, LEAVE, SLOT_OPEN, SLOT_JOIN, SLOT_DONE, SFU_REQUEST ->
                    Direction.CLIENT_TO_GATEWAY;
            case JOINED,
                    PEER_JOINED,
                    PEER_LEFT,
                    RELAYED,
                    ERROR,
                    SLOT_OPENED,
                    SLOT_PAIRED,
                    SFU_EVENT ->
                    Direction.GATEWAY_TO_CLIENT;
            default -> null;
        };
    }

    /** The spec name of a type byte (as in the vectors); null if unknown. */
    public static String nameOf(byte type) {
        return switch (type) {
            case JOIN -> "JOIN";
            case RELAY -> "RELAY";
            case LEAVE -> "LEAVE";
            case JOINED -> "JOINED";
            case PEER_JOINED -> "PEER_JOINED";
            case PEER_LEFT -> "PEER_LEFT";
            case RELAYED -> "RELAYED";
            case ERROR -> "ERROR";
            case SLOT_OPEN -> "SLOT_OPEN";
            case SLOT_JOIN -> "SLOT_JOIN";
            case SLOT_DONE -> "SLOT_DONE";
            case SLOT_OPENED -> "SLOT_OPENED";
            case SLOT_PAIRED -> "SLOT_PAIRED";
            case SFU_REQUEST -> "SFU_REQUEST";
            case SFU_EVENT -> "SFU_EVENT";
            default -> null;
        };
    }

    /** Decodes a message the gateway received from a client. */
    public static RoomMessage decodeFromClient(byte[] msg) throws ProtocolException {
        return decode(msg, Direction.CLIENT_TO_GATEWAY);
    }

    /** Decodes a message a client received from the gateway. */
    public static RoomMessage decodeFromGateway(byte[] msg) throws ProtocolException {
        return decode(msg, Direction.GATEWAY_TO_CLIENT);
    }

    /** Decodes {@code msg} sent in {@code direction}; see the class comment for the check order. */
    public static RoomMessage decode(byte[] msg, Direction direction) throws ProtocolException {
        if (msg == null || msg.length == 0) {
            throw new ProtocolException(ErrorCode.MALFORMED_MESSAGE);
        }
        if (msg.length > MAX_MESSAGE) {
            throw new ProtocolException(RoomError.MESSAGE_TOO_LARGE);
        }
        Direction d = directionOf(msg[0]);
        if (d == null) {
            throw new ProtocolException(RoomError.UNKNOWN_MESSAGE);
        }
        if (d != direction) {
            throw new ProtocolException(ErrorCode.UNEXPECTED_MESSAGE);
        }
        try {
            return switch (msg[0]) {
                case JOIN -> {
                    exactLength(msg, JOIN_LEN);
                    yield new RoomMessage.Join(
                            slice(msg, 1, ROOM_ID_LEN),
                            slice(msg, 1 + ROOM_ID_LEN, PUBLIC_KEY_LEN));
                }
                case RELAY -> {
                    minLength(msg, RELAY_HEADER_LEN + 1);
                    yield new RoomMessage.Relay(
                            slice(msg, 1, PEER_ID_LEN),
                            slice(msg, RELAY_HEADER_LEN, msg.length - RELAY_HEADER_LEN));
                }
                case LEAVE -> {
                    exactLength(msg, LEAVE_LEN);
                    yield new RoomMessage.Leave();
                }
                case SLOT_OPEN -> {
                    exactLength(msg, SLOT_OPEN_LEN);
                    yield new RoomMessage.SlotOpen(slice(msg, 1, PUBLIC_KEY_LEN));
                }
                case SLOT_JOIN -> {
                    exactLength(msg, SLOT_JOIN_LEN);
                    yield new RoomMessage.SlotJoin(
                            slotNumber(msg, 1), slice(msg, 5, PUBLIC_KEY_LEN));
                }
                case SLOT_DONE -> {
                    exactLength(msg, SLOT_DONE_LEN);
                    if (msg[1] != 0 && msg[1] != 1) {
                        throw new ProtocolException(ErrorCode.MALFORMED_MESSAGE);
                    }
                    yield new RoomMessage.SlotDone(msg[1] == 1);
                }
                case SLOT_OPENED -> {
                    exactLength(msg, SLOT_OPENED_LEN);
                    yield new RoomMessage.SlotOpened(
                            slotNumber(msg, 1),
                            slice(msg, 5, SID_LEN),
                            ((msg[21] & 0xFF) << 8) | (msg[22] & 0xFF));
                }
                case SLOT_PAIRED -> {
                    exactLength(msg, SLOT_PAIRED_LEN);
                    yield new RoomMessage.SlotPaired(
                            slice(msg, 1, SID_LEN), slice(msg, 1 + SID_LEN, PUBLIC_KEY_LEN));
                }
                case SFU_REQUEST -> {
                    minLength(msg, SFU_HEADER_LEN + 1);
                    byte[] txn = slice(msg, 2, TXN_LEN);
                    if (Arrays.equals(txn, new byte[TXN_LEN])) {
                        throw new ProtocolException(ErrorCode.MALFORMED_MESSAGE);
                    }
                    yield new RoomMessage.SfuRequest(
                            sfuHandle(msg),
                            txn,
                            slice(msg, SFU_HEADER_LEN, msg.length - SFU_HEADER_LEN));
                }
                case SFU_EVENT -> {
                    minLength(msg, SFU_HEADER_LEN + 1);
                    yield new RoomMessage.SfuEvent(
                            sfuHandle(msg),
                            slice(msg, 2, TXN_LEN),
                            slice(msg, SFU_HEADER_LEN, msg.length - SFU_HEADER_LEN));
                }
                case JOINED -> decodeJoined(msg);
                case PEER_JOINED -> {
                    exactLength(msg, PEER_JOINED_LEN);
                    yield new RoomMessage.PeerJoined(
                            slice(msg, 1, PEER_ID_LEN),
                            slice(msg, 1 + PEER_ID_LEN, PUBLIC_KEY_LEN));
                }
                case PEER_LEFT -> {
                    exactLength(msg, PEER_LEFT_LEN);
                    yield new RoomMessage.PeerLeft(slice(msg, 1, PEER_ID_LEN));
                }
                case RELAYED -> {
                    minLength(msg, RELAY_HEADER_LEN + 1);
                    yield new RoomMessage.Relayed(
                            slice(msg, 1, PEER_ID_LEN),
                            slice(msg, RELAY_HEADER_LEN, msg.length - RELAY_HEADER_LEN));
                }
                case ERROR -> {
                    if (msg.length != ERROR_LEN && msg.length != ERROR_WITH_REF_LEN) {
                        throw new ProtocolException(ErrorCode.MALFORMED_MESSAGE);
                    }
                    int code = ((msg[1] & 0xFF) << 8) | (msg[2] & 0xFF);
                    yield new RoomMessage.Error(
                            code, msg.length == ERROR_LEN ? null : slice(msg, 3, PEER_ID_LEN));
                }
                default -> throw new ProtocolException(RoomError.UNKNOWN_MESSAGE);
            };
        } catch (RuntimeException e) {
            // Defence in depth: the checks above make this unreachable; a parser bug must still
            // surface as a protocol failure, never as an unchecked exception out of the codec.
            throw new ProtocolException(ErrorCode.MALFORMED_MESSAGE);
        }
    }

    private static RoomMessage.Joined decodeJoined(byte[] msg) throws ProtocolException {
        Reader r = new Reader(msg, 1);
        byte[] self = r.bytes(PEER_ID_LEN);
        int peerCount = r.u8();
        List<RoomMessage.Peer> peers = new ArrayList<>(Math.min(peerCount, 64));
        for (int i = 0; i < peerCount; i++) {
            peers.add(new RoomMessage.Peer(r.bytes(PEER_ID_LEN), r.bytes(PUBLIC_KEY_LEN)));
        }
        int iceCount = r.u8();
        List<RoomMessage.IceServer> ice = new ArrayList<>(Math.min(iceCount, 16));
        for (int i = 0; i < iceCount; i++) {
            int urlCount = r.u8();
            if (urlCount == 0) {
                throw new ProtocolException(ErrorCode.MALFORMED_MESSAGE);
            }
            List<String> urls = new ArrayList<>(urlCount);
            for (int j = 0; j < urlCount; j++) {
                String url = r.string();
                if (url.isEmpty()) {
                    throw new ProtocolException(ErrorCode.MALFORMED_MESSAGE);
                }
                urls.add(url);
            }
            ice.add(new RoomMessage.IceServer(urls, r.string(), r.string()));
        }
        r.end();
        return new RoomMessage.Joined(self, peers, ice);
    }

    /** Encodes a message; throws IllegalArgumentException if a field has the wrong size (a bug of the caller). */
    public static byte[] encode(RoomMessage m) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(m.type());
        switch (m) {
            case RoomMessage.Join j -> {
                put(out, j.roomId(), ROOM_ID_LEN);
                put(out, j.publicKey(), PUBLIC_KEY_LEN);
            }
            case RoomMessage.Relay r -> {
                put(out, r.to(), PEER_ID_LEN);
                putEnvelope(out, r.envelope());
            }
            case RoomMessage.Leave l -> {
                // type byte only
            }
            case RoomMessage.SlotOpen o -> put(out, o.publicKey(), PUBLIC_KEY_LEN);
            case RoomMessage.SlotJoin j -> {
                u32(out, j.slot());
                put(out, j.publicKey(), PUBLIC_KEY_LEN);
            }
            case RoomMessage.SlotDone d -> out.write(d.burned() ? 1 : 0);
            case RoomMessage.SlotOpened o -> {
                u32(out, o.slot());
                put(out, o.sid(), SID_LEN);
                if (o.ttlSeconds() < 0 || o.ttlSeconds() > 0xFFFF) {
                    throw new IllegalArgumentException("ttl out of range");
                }
                out.write(o.ttlSeconds() >> 8);
                out.write(o.ttlSeconds());
            }
            case RoomMessage.SlotPaired p -> {
                put(out, p.sid(), SID_LEN);
                put(out, p.publicKey(), PUBLIC_KEY_LEN);
            }
            case RoomMessage.SfuRequest r -> sfu(out, r.handle(), r.txn(), r.json());
            case RoomMessage.SfuEvent e -> sfu(out, e.handle(), e.txn(), e.json());
            case RoomMessage.Joined j -> {
                put(out, j.peerId(), PEER_ID_LEN);
                u8(out, j.peers().size());
                for (RoomMessage.Peer p : j.peers()) {
                    put(out, p.peerId(), PEER_ID_LEN);
                    put(out, p.publicKey(), PUBLIC_KEY_LEN);
                }
                u8(out, j.iceServers().size());
                for (RoomMessage.IceServer s : j.iceServers()) {
                    if (s.urls().isEmpty()) {
                        throw new IllegalArgumentException("an ICE server needs at least one URL");
                    }
                    u8(out, s.urls().size());
                    for (String url : s.urls()) {
                        if (url.isEmpty()) {
                            throw new IllegalArgumentException("empty ICE URL");
                        }
                        string(out, url);
                    }
                    string(out, s.username());
                    string(out, s.credential());
                }
            }
            case RoomMessage.PeerJoined p -> {
                put(out, p.peerId(), PEER_ID_LEN);
                put(out, p.publicKey(), PUBLIC_KEY_LEN);
            }
            case RoomMessage.PeerLeft p -> put(out, p.peerId(), PEER_ID_LEN);
            case RoomMessage.Relayed r -> {
                put(out, r.from(), PEER_ID_LEN);
                putEnvelope(out, r.envelope());
            }
            case RoomMessage.Error e -> {
                if (e.code() < 0 || e.code() > 0xFFFF) {
                    throw new IllegalArgumentException("error code out of range");
                }
                out.write(e.code() >> 8);
                out.write(e.code());
                if (e.ref() != null) {
                    put(out, e.ref(), PEER_ID_LEN);
                }
            }
        }
        if (out.size() > MAX_MESSAGE) {
            throw new IllegalArgumentException("room message over " + MAX_MESSAGE + " bytes");
        }
        return out.toByteArray();
    }

    /** RELAYED for {@code envelope} from {@code from}, built without an intermediate record (the relay hot path). */
    public static byte[] relayed(byte[] from, byte[] envelope) {
        return encode(new RoomMessage.Relayed(from, envelope));
    }

    private static void sfu(ByteArrayOutputStream out, int handle, byte[] txn, byte[] json) {
        if (handle != SFU_PUBLISHER && handle != SFU_SUBSCRIBER) {
            throw new IllegalArgumentException("handle must be 1 or 2");
        }
        if (json.length == 0) {
            throw new IllegalArgumentException("empty json");
        }
        out.write(handle);
        put(out, txn, TXN_LEN);
        out.writeBytes(json);
    }

    /** The handle byte of an SFU message: 1 or 2, anything else MALFORMED_MESSAGE. */
    private static int sfuHandle(byte[] msg) throws ProtocolException {
        int h = msg[1] & 0xFF;
        if (h != SFU_PUBLISHER && h != SFU_SUBSCRIBER) {
            throw new ProtocolException(ErrorCode.MALFORMED_MESSAGE);
        }
        return h;
    }

    private static void putEnvelope(ByteArrayOutputStream out, byte[] envelope) {
        if (envelope.length == 0 || envelope.length > MAX_ENVELOPE) {
            throw new IllegalArgumentException("envelope must be 1.." + MAX_ENVELOPE + " bytes");
        }
        out.writeBytes(envelope);
    }

    private static void put(ByteArrayOutputStream out, byte[] b, int len) {
        if (b == null || b.length != len) {
            throw new IllegalArgumentException("field must be " + len + " bytes");
        }
        out.writeBytes(b);
    }

    private static void u8(ByteArrayOutputStream out, int v) {
        if (v < 0 || v > 0xFF) {
            throw new IllegalArgumentException("count over 255");
        }
        out.write(v);
    }

    private static void string(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > 0xFFFF) {
            throw new IllegalArgumentException("string over 65535 bytes");
        }
        out.write(b.length >> 8);
        out.write(b.length);
        out.writeBytes(b);
    }

    /** A slot number (u32, 1 .. 2^32 - 1); 0 is MALFORMED_MESSAGE. */
    private static long slotNumber(byte[] msg, int off) throws ProtocolException {
        long v =
                ((long) (msg[off] & 0xFF) << 24)
                        | ((msg[off + 1] & 0xFF) << 16)
                        | ((msg[off + 2] & 0xFF) << 8)
                        | (msg[off + 3] & 0xFF);
        if (v == 0) {
            throw new ProtocolException(ErrorCode.MALFORMED_MESSAGE);
        }
        return v;
    }

    private static void u32(ByteArrayOutputStream out, long v) {
        if (v < 1 || v > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("slot out of range");
        }
        out.write((int) (v >>> 24));
        out.write((int) (v >>> 16));
        out.write((int) (v >>> 8));
        out.write((int) v);
    }

    private static void exactLength(byte[] msg, int len) throws ProtocolException {
        if (msg.length != len) {
            throw new ProtocolException(ErrorCode.MALFORMED_MESSAGE);
        }
    }

    private static void minLength(byte[] msg, int len) throws ProtocolException {
        if (msg.length < len) {
            throw new ProtocolException(ErrorCode.MALFORMED_MESSAGE);
        }
    }

    private static byte[] slice(byte[] msg, int off, int len) {
        return Arrays.copyOfRange(msg, off, off + len);
    }

    /** Bounds-checked cursor: running past the end is MALFORMED_MESSAGE, never an index exception. */
    private static final class Reader {
        private final byte[] b;
        private int pos;

        Reader(byte[] b, int pos) {
            this.b = b;
            this.pos = pos;
        }

        byte[] bytes(int n) throws ProtocolException {
            need(n);
            byte[] out = Arrays.copyOfRange(b, pos, pos + n);
            pos += n;
            return out;
        }

        int u8() throws ProtocolException {
            need(1);
            return b[pos++] & 0xFF;
        }

        String string() throws ProtocolException {
            need(2);
            int n = ((b[pos] & 0xFF) << 8) | (b[pos + 1] & 0xFF);
            pos += 2;
            need(n);
            try {
                String s =
                        StandardCharsets.UTF_8
                                .newDecoder()
                                .onMalformedInput(CodingErrorAction.REPORT)
                                .onUnmappableCharacter(CodingErrorAction.REPORT)
                                .decode(ByteBuffer.wrap(b, pos, n))
                                .toString();
                pos += n;
                return s;
            } catch (CharacterCodingException e) {
                throw new ProtocolException(ErrorCode.MALFORMED_MESSAGE);
            }
        }

        void end() throws ProtocolException {
            if (pos != b.length) {
                throw new ProtocolException(ErrorCode.MALFORMED_MESSAGE);
            }
        }

        private void need(int n) throws ProtocolException {
            if (n > b.length - pos) {
                throw new ProtocolException(ErrorCode.MALFORMED_MESSAGE);
            }
        }
    }
}
