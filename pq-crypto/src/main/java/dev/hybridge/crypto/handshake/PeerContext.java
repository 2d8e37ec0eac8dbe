package dev.hybridge.crypto.handshake;

import dev.hybridge.crypto.internal.Bytes;

/**
 * What both peers must agree on before a peer handshake: the room id and PSK (from the link) and
 * both peer ids (from the gateway). The initiator is the peer that joined later.
 */
public record PeerContext(byte[] roomId, byte[] psk, byte[] initiatorId, byte[] responderId) {
    public PeerContext {
        if (roomId.length != Wire.ROOM_ID_LEN
                || psk.length != 32
                || initiatorId.length != Wire.PEER_ID_LEN
                || responderId.length != Wire.PEER_ID_LEN) {
            throw new IllegalArgumentException("peer context field of wrong length");
        }
        roomId = roomId.clone();
        psk = psk.clone();
        initiatorId = initiatorId.clone();
        responderId = responderId.clone();
    }

    /** A copy of the PSK: each handshake wipes its own copy, so a context can be reused. */
    @Override
    public byte[] psk() {
        return psk.clone();
    }

    /** Wipes this context's PSK; call when the room is left. */
    public void destroy() {
        Bytes.wipe(psk);
    }

    @Override
    public String toString() {
        return "PeerContext[psk hidden]";
    }
}
