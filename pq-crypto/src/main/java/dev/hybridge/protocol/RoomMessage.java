package dev.hybridge.protocol;

import java.util.List;

/**
 * The messages of the room protocol (spec/room-protocol.md, "Messages"). Each hop-record plaintext
 * is exactly one room message. Byte arrays are held as given (no defensive copies: these are
 * short-lived wire values); {@link RoomCodec} checks every length.
 */
public sealed interface RoomMessage {

    /** The type byte on the wire. */
    byte type();

    // ---- client -> gateway ----

    /** JOIN: enter the room {@code roomId}, announcing the per-session peer-handshake key. */
    record Join(byte[] roomId, byte[] publicKey) implements RoomMessage {
        @Override
        public byte type() {
            return RoomCodec.JOIN;
        }
    }

    /** RELAY: hand an opaque envelope to one peer of the same room. */
    record Relay(byte[] to, byte[] envelope) implements RoomMessage {
        @Override
        public byte type() {
            return RoomCodec.RELAY;
        }
    }

    /** LEAVE: leave the current room; the connection stays open. */
    record Leave() implements RoomMessage {
        @Override
        public byte type() {
            return RoomCodec.LEAVE;
        }
    }

    /** SLOT_OPEN: ask for a one-use slot for a short code (spec/short-codes.md §4.1). */
    record SlotOpen(byte[] publicKey) implements RoomMessage {
        @Override
        public byte type() {
            return RoomCodec.SLOT_OPEN;
        }
    }

    /** SLOT_JOIN: try the slot {@code slot} (1 .. 2^32 - 1) with a short code. */
    record SlotJoin(long slot, byte[] publicKey) implements RoomMessage {
        @Override
        public byte type() {
            return RoomCodec.SLOT_JOIN;
        }
    }

    /** SLOT_DONE: end the slot; {@code burned} false = used. */
    record SlotDone(boolean burned) implements RoomMessage {
        @Override
        public byte type() {
            return RoomCodec.SLOT_DONE;
        }
    }

    /**
     * SFU_REQUEST (spec/sfu.md §2): one Janus request in JSON for the member's publisher (1) or
     * subscriber (2) handle, under the client's {@code txn} (8 bytes, never all zero).
     */
    record SfuRequest(int handle, byte[] txn, byte[] json) implements RoomMessage {
        @Override
        public byte type() {
            return RoomCodec.SFU_REQUEST;
        }
    }

    // ---- gateway -> client ----

    /**
     * SFU_EVENT (spec/sfu.md §2.2): one Janus message for a handle; {@code txn} is the request's,
     * or all zero for an event Janus sent on its own.
     */
    record SfuEvent(int handle, byte[] txn, byte[] json) implements RoomMessage {
        @Override
        public byte type() {
            return RoomCodec.SFU_EVENT;
        }
    }

    /** SLOT_OPENED: the slot number, its CPace sid, and seconds until it expires. */
    record SlotOpened(long slot, byte[] sid, int ttlSeconds) implements RoomMessage {
        @Override
        public byte type() {
            return RoomCodec.SLOT_OPENED;
        }
    }

    /** SLOT_PAIRED: the slot has its two members; the other member's key. */
    record SlotPaired(byte[] sid, byte[] publicKey) implements RoomMessage {
        @Override
        public byte type() {
            return RoomCodec.SLOT_PAIRED;
        }
    }

    /** JOINED: the joiner's peer id, the peers already in the room, and the ICE servers. */
    record Joined(byte[] peerId, List<Peer> peers, List<IceServer> iceServers)
            implements RoomMessage {
        public Joined {
            peers = List.copyOf(peers);
            iceServers = List.copyOf(iceServers);
        }

        @Override
        public byte type() {
            return RoomCodec.JOINED;
        }
    }

    /** PEER_JOINED: another peer entered the room. */
    record PeerJoined(byte[] peerId, byte[] publicKey) implements RoomMessage {
        @Override
        public byte type() {
            return RoomCodec.PEER_JOINED;
        }
    }

    /** PEER_LEFT: a peer left the room (LEAVE, disconnect or timeout). */
    record PeerLeft(byte[] peerId) implements RoomMessage {
        @Override
        public byte type() {
            return RoomCodec.PEER_LEFT;
        }
    }

    /** RELAYED: an envelope from another peer of the room, byte for byte as it sent it. */
    record Relayed(byte[] from, byte[] envelope) implements RoomMessage {
        @Override
        public byte type() {
            return RoomCodec.RELAYED;
        }
    }

    /**
     * ERROR: a numbered error (dev.hybridge.crypto.ErrorCode); {@code ref} is null or the 8-byte
     * peer id the error refers to. The code is kept as a number: a newer gateway may send one
     * this client does not know.
     */
    record Error(int code, byte[] ref) implements RoomMessage {
        @Override
        public byte type() {
            return RoomCodec.ERROR;
        }
    }

    /** One entry of the JOINED peer list. */
    record Peer(byte[] peerId, byte[] publicKey) {}

    /**
     * One ICE server (RTCIceServer): STUN servers carry empty username and credential; TURN
     * servers carry the time-limited credentials the gateway minted for this session.
     */
    record IceServer(List<String> urls, String username, String credential) {
        public IceServer {
            urls = List.copyOf(urls);
        }
    }
}
