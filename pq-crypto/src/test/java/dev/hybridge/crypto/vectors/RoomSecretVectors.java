package dev.hybridge.crypto.vectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hybridge.crypto.Fingerprint;
import dev.hybridge.crypto.XWingKeyPair;
import dev.hybridge.crypto.room.RoomSecret;
import dev.hybridge.crypto.room.Sas;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * test-vectors/room-secret.json: room secret -> room id and PSK, the invite-link fragment, and the
 * SAS decimal rendering on edge-case bytes.
 */
public final class RoomSecretVectors {
    public static final String FILE = "room-secret.json";

    private RoomSecretVectors() {}

    public static ObjectNode generate() {
        ArrayNode tests = Json.array();
        int tc = 1;
        for (; tc <= 3; tc++) {
            byte[] secret =
                    tc == 1 ? new byte[32] : DeterministicInputs.bytes(FILE, tc, "room_secret", 32);
            byte[] gatewayPk =
                    XWingKeyPair.fromSeed(DeterministicInputs.bytes(FILE, tc, "gateway_seed", 32))
                            .publicKey();
            RoomSecret room = RoomSecret.of(secret);
            ObjectNode t = Json.object();
            t.put("tc_id", tc);
            t.put("comment", tc == 1 ? "all-zero secret" : "random secret");
            t.put("kind", "room");
            t.put("result", "valid");
            t.put("room_secret", Json.hex(secret));
            t.put("room_id", Json.hex(room.roomId()));
            t.put("psk", Json.hex(room.psk()));
            t.put("gateway_fingerprint", Json.hex(Fingerprint.of(gatewayPk)));
            t.put("link_fragment", fragment(secret, Fingerprint.of(gatewayPk)));
            tests.add(t);
        }
        byte[][] sasInputs = {
            new byte[5],
            {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF},
            {(byte) 0x80, 0x00, 0x00, 0x00, 0x00},
            {0x00, 0x07, 0x00, 0x3F, (byte) 0xFE},
            DeterministicInputs.bytes(FILE, 0, "sas", 5),
        };
        for (byte[] b : sasInputs) {
            Sas sas = new Sas(b);
            ObjectNode t = Json.object();
            t.put("tc_id", tc++);
            t.put("comment", "SAS decimal rendering");
            t.put("kind", "sas");
            t.put("result", "valid");
            t.put("sas_bytes", Json.hex(b));
            ArrayNode n = Json.array();
            for (int x : sas.numbers()) {
                n.add(x);
            }
            t.set("numbers", n);
            t.put("decimal", sas.decimal());
            tests.add(t);
        }
        return Json.document(
                "room-secret",
                "Room secret derivations and link fragment (spec/room-secret.md); SAS rendering (spec/peer-handshake.md PK10).",
                tests);
    }

    /** The invite-link fragment: base64url(secret) "." base64url(gateway fingerprint). */
    public static String fragment(byte[] secret, byte[] fingerprint) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(secret)
                + "."
                + Fingerprint.toBase64Url(fingerprint);
    }

    public static List<String> verify(JsonNode doc) {
        List<String> failures = new ArrayList<>();
        for (JsonNode t : doc.get("tests")) {
            String id = "tc " + t.get("tc_id").asInt() + ": ";
            try {
                if (!"valid".equals(t.path("result").asText())) {
                    failures.add(id + "result is not \"valid\" (every case here is a derivation)");
                } else if ("room".equals(t.get("kind").asText())) {
                    byte[] secret = Json.unhex(t, "room_secret");
                    RoomSecret room = RoomSecret.of(secret);
                    if (!Arrays.equals(room.roomId(), Json.unhex(t, "room_id")))
                        failures.add(id + "room_id differs");
                    if (!Arrays.equals(room.psk(), Json.unhex(t, "psk")))
                        failures.add(id + "psk differs");
                    if (!fragment(secret, Json.unhex(t, "gateway_fingerprint"))
                            .equals(t.get("link_fragment").asText())) {
                        failures.add(id + "link fragment differs");
                    }
                } else {
                    Sas sas = new Sas(Json.unhex(t, "sas_bytes"));
                    int[] n = sas.numbers();
                    for (int i = 0; i < 3; i++) {
                        if (n[i] != t.get("numbers").get(i).asInt())
                            failures.add(id + "SAS number " + i + " differs");
                    }
                    if (!sas.decimal().equals(t.get("decimal").asText()))
                        failures.add(id + "SAS decimal differs");
                }
            } catch (RuntimeException | AssertionError e) {
                failures.add(id + e);
            }
        }
        return failures;
    }
}
