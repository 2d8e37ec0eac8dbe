package dev.hybridge.crypto.record;

import dev.hybridge.crypto.ProtocolException;

/**
 * An established, bidirectional record channel: the result of a finished handshake. Holds one
 * sealer, one opener and the handshake hash (public: it names the session, it is not a key).
 */
public final class Channel {
    private final RecordSealer sealer;
    private final RecordOpener opener;
    private final byte[] handshakeHash;

    public Channel(
            byte[] sendSecret, byte[] receiveSecret, byte[] handshakeHash, int maxPlaintext) {
        this.sealer = new RecordSealer(sendSecret, maxPlaintext);
        this.opener = new RecordOpener(receiveSecret, maxPlaintext);
        this.handshakeHash = handshakeHash.clone();
    }

    public byte[] seal(byte[] plaintext) throws ProtocolException {
        return sealer.seal(plaintext);
    }

    /** Opens the next record; a failure ends both directions (spec/record-layer.md §4). */
    public byte[] open(byte[] record) throws ProtocolException {
        try {
            return opener.open(record);
        } catch (ProtocolException e) {
            sealer.destroy();
            throw e;
        }
    }

    public RecordSealer sealer() {
        return sealer;
    }

    public RecordOpener opener() {
        return opener;
    }

    public byte[] handshakeHash() {
        return handshakeHash.clone();
    }

    /** Wipes both directions' keys; the channel is unusable after. */
    public void destroy() {
        sealer.destroy();
        opener.destroy();
    }
}
