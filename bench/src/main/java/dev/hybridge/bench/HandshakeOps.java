package dev.hybridge.bench;

import java.util.List;

/**
 * The primitive operations one hop handshake performs, counted by reading pq-crypto (HopServer,
 * HopClient, kdf/HopSchedule, record/Channel, record/EpochKeys, XWingKeyPair, Primitives). Each
 * entry names the {@link PrimitivesBench} benchmark that measures one such operation.
 *
 * <p>If the handshake code changes, recount here: the Summary's ratio is only as good as these
 * numbers.
 */
public final class HandshakeOps {
    private HandshakeOps() {}

    /** {@code count} calls of the operation measured by benchmark {@code benchmark}. */
    public record Op(String benchmark, int count, String where) {}

    /**
     * Gateway side: HopServer.receiveClientHello (random eseed) + AwaitingClientFinished.receive,
     * which builds the Channel (a RecordSealer and a RecordOpener, each an EpochKeys).
     */
    public static final List<Op> GATEWAY =
            List.of(
                    new Op(
                            "random64",
                            1,
                            "eseed = 64 bytes from SecureRandom (receiveClientHello)"),
                    new Op(
                            "xwingEncaps",
                            1,
                            "X-Wing encapsulation to the client's ephemeral key, with the modulus check"),
                    new Op(
                            "xwingDecaps",
                            1,
                            "X-Wing decapsulation of ct_s with the static key, expanded at load (XWingKeyPair.decapsulate)"),
                    new Op(
                            "sha256Small",
                            3,
                            "th0 = H(\"hybridge/v1/hop\") (15 B); th3, th4 = H(th || confirm) (64 B)"),
                    new Op("sha256ClientHello", 1, "th1 = H(th0 || ClientHello), 2404 B"),
                    new Op("sha256ServerHello", 1, "th2 = H(th1 || ServerHello body), 1156 B"),
                    new Op(
                            "hkdfExtract",
                            2,
                            "ck1 = Extract(ck0, ss_s || th1); ck2 = Extract(ck1, ss_e || th2)"),
                    new Op(
                            "hkdfExpand",
                            8,
                            "fk_s, fk_c, c2s, s2c; key_0 and iv_0 for the sealer and for the opener"),
                    new Op("hmacSha256", 2, "server_confirm, client_confirm"),
                    new Op(
                            "gcmKeySetup",
                            2,
                            "Primitives.Gcm (a SecretKeySpec; the cipher is borrowed per record) for sealer and opener"));

    /** Client side: HopClient.start + AwaitingServerHello.receive, which builds the Channel. */
    public static final List<Op> CLIENT =
            List.of(
                    new Op(
                            "random64",
                            2,
                            "eseed (64 B) and the ephemeral key seed (32 B, counted as one 64-byte draw)"),
                    new Op(
                            "xwingKeygen",
                            1,
                            "ephemeral key pair (XWingKeyPair.generate: seed expanded once)"),
                    new Op(
                            "xwingEncaps",
                            1,
                            "X-Wing encapsulation to the gateway's static key, with the modulus check"),
                    new Op(
                            "xwingDecaps",
                            1,
                            "X-Wing decapsulation of ct_e with the expanded ephemeral key"),
                    new Op("sha256Small", 3, "th0 (15 B); th3, th4 (64 B)"),
                    new Op("sha256ClientHello", 1, "th1 = H(th0 || ClientHello), 2404 B"),
                    new Op(
                            "sha256ServerHello",
                            2,
                            "th2 (1156 B); key id = H(gateway public key) (1216 B, same block count + 1)"),
                    new Op("hkdfExtract", 2, "ck1, ck2"),
                    new Op(
                            "hkdfExpand",
                            8,
                            "fk_s, fk_c, c2s, s2c; key_0 and iv_0 for the sealer and for the opener"),
                    new Op("hmacSha256", 2, "expected server_confirm, client_confirm"),
                    new Op("gcmKeySetup", 2, "Primitives.Gcm for sealer and opener"));
}
