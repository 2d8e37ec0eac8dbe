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

    public Channel(byte[] sendSecret, byte[] receiveSecret, byte[] handshakeHash, int maxPlaintext) {
        this.sealer = new RecordSealer(sendSecret, maxPlaintext);
        this.opener = new RecordOpener(receiveSecret, maxPlaintext);
        this.handshakeHash = handshakeHash.clone();
    }

    public byte[] seal(byte[] plaintext) throws ProtocolException {
        return sealer.seal(plaintext);
    }

    public byte[] open(byte[] record) throws ProtocolException {
        return opener.open(record);
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
