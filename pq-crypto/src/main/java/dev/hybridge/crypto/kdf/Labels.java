package dev.hybridge.crypto.kdf;

import java.nio.charset.StandardCharsets;

/**
 * Every domain-separation label of protocol v1, defined once (spec/labels.md holds the same
 * table; LabelsAgreeWithSpecTest keeps the two equal). Labels are ASCII, used as raw bytes.
 */
public enum Labels {
    ROOM_SALT("hybridge/v1/room"),
    ROOM_ID("hybridge/v1/room/id"),
    ROOM_PSK("hybridge/v1/room/psk"),
    HOP_PROTOCOL("hybridge/v1/hop"),
    HOP_SERVER_FINISHED("hybridge/v1/hop/server finished"),
    HOP_CLIENT_FINISHED("hybridge/v1/hop/client finished"),
    HOP_C2S("hybridge/v1/hop/c2s"),
    HOP_S2C("hybridge/v1/hop/s2c"),
    RECORD_UPDATE("hybridge/v1/record/update"),
    RECORD_KEY("hybridge/v1/record/key"),
    RECORD_IV("hybridge/v1/record/iv"),
    PEER_PROTOCOL("hybridge/v1/peer"),
    PEER_RESPONDER_FINISHED("hybridge/v1/peer/responder finished"),
    PEER_INITIATOR_FINISHED("hybridge/v1/peer/initiator finished"),
    PEER_I2R("hybridge/v1/peer/i2r"),
    PEER_R2I("hybridge/v1/peer/r2i"),
    PEER_COMMIT("hybridge/v1/peer/commit"),
    PEER_SAS("hybridge/v1/peer/sas"),
    CODE_CI("hybridge/v1/code/ci"),
    CODE_SALT("hybridge/v1/code"),
    CODE_PSK("hybridge/v1/code/psk"),
    CODE_ROOM("hybridge/v1/code/room");

    private final String label;
    private final byte[] bytes;

    Labels(String label) {
        this.label = label;
        this.bytes = label.getBytes(StandardCharsets.US_ASCII);
    }

    public String label() {
        return label;
    }

    /** A fresh copy of the label's bytes. */
    public byte[] bytes() {
        return bytes.clone();
    }
}
