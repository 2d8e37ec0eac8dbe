package dev.hybridge.gateway.relay;

import dev.hybridge.protocol.RoomMessage;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The ICE servers a joined peer receives (spec/room-protocol.md, "ICE server delivery"): the
 * configured STUN URLs as they are, and the TURN URLs with credentials minted for this session
 * in coturn's {@code use-auth-secret} scheme (TURN REST API):
 * username = "&lt;expiry unix seconds&gt;:&lt;random&gt;", credential = base64(HMAC-SHA1(secret, username)).
 * coturn recomputes the HMAC with its {@code static-auth-secret} and refuses expired usernames.
 */
public final class IceServers {
    private static final int RANDOM_LEN = 9; // 12 base64url characters, no ':' in them

    private final List<String> stunUrls;
    private final List<String> turnUrls;
    private final byte[] secret;
    private final Duration ttl;
    private final Clock clock;
    private final SecureRandom rng;

    public IceServers(
            List<String> stunUrls,
            List<String> turnUrls,
            String turnSecret,
            Duration ttl,
            Clock clock,
            SecureRandom rng) {
        this.stunUrls = List.copyOf(stunUrls);
        this.turnUrls = List.copyOf(turnUrls);
        this.secret = turnSecret.getBytes(StandardCharsets.UTF_8);
        this.ttl = ttl;
        this.clock = clock;
        this.rng = rng;
    }

    /** The list for one join: fresh TURN credentials each time. */
    public List<RoomMessage.IceServer> mint() {
        List<RoomMessage.IceServer> out = new ArrayList<>(2);
        if (!stunUrls.isEmpty()) {
            out.add(new RoomMessage.IceServer(stunUrls, "", ""));
        }
        if (!turnUrls.isEmpty()) {
            long expiry = clock.instant().plus(ttl).getEpochSecond();
            byte[] r = new byte[RANDOM_LEN];
            rng.nextBytes(r);
            String username =
                    expiry + ":" + Base64.getUrlEncoder().withoutPadding().encodeToString(r);
            out.add(new RoomMessage.IceServer(turnUrls, username, credential(secret, username)));
        }
        return out;
    }

    /** base64(HMAC-SHA1(secret, username)): the password coturn expects for {@code username}. */
    public static String credential(byte[] secret, String username) {
        try {
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec(secret, "HmacSHA1"));
            return Base64.getEncoder()
                    .encodeToString(mac.doFinal(username.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA1 unavailable", e);
        }
    }
}
