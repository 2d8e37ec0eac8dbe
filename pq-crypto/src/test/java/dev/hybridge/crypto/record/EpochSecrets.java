package dev.hybridge.crypto.record;

/**
 * The RK1/RK2 derivations spelled out for vectors and cross-implementation debugging (test kit
 * only; production derives them in {@link EpochKeys}).
 */
public final class EpochSecrets {
    private EpochSecrets() {}

    /** secret_e, key_e and iv_e of epoch {@code epoch} from the traffic secret s_0. */
    public record Epoch(long epoch, byte[] secret, byte[] key, byte[] iv) {}

    public static Epoch derive(byte[] trafficSecret, long epoch) {
        byte[] s = trafficSecret.clone();
        for (long e = 0; e < epoch; e++) {
            s =
                    dev.hybridge.crypto.kdf.Kdf.expand(
                            s, dev.hybridge.crypto.kdf.Labels.RECORD_UPDATE, 32);
        }
        return new Epoch(
                epoch,
                s,
                dev.hybridge.crypto.kdf.Kdf.expand(
                        s, dev.hybridge.crypto.kdf.Labels.RECORD_KEY, 32),
                dev.hybridge.crypto.kdf.Kdf.expand(
                        s, dev.hybridge.crypto.kdf.Labels.RECORD_IV, 12));
    }
}
