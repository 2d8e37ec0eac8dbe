package dev.hybridge.gateway.web;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The security headers of every HTTP response the gateway sends, whoever writes it: Helidon's
 * routes (static files, health, metrics, the well-known document, 404s) and the edge's own
 * refusals (400, 403, 426, 431, 503...). One list, so no response lacks one.
 */
public final class SecurityHeaders {
    private SecurityHeaders() {}

    /**
     * No inline script or style anywhere; connect-src 'self' covers the same-origin ws:/wss: URL
     * (CSP Level 3); workers are same-origin files (the SFrame worker, a module worker loaded from
     * its hashed file, so no blob:). Media from getUserMedia/getDisplayMedia and WebRTC is set as
     * srcObject, which CSP does not govern; media-src only matters for URLs.
     */
    public static final String CONTENT_SECURITY_POLICY =
            "default-src 'none'; script-src 'self'; style-src 'self'; "
                    + "img-src 'self' data:; font-src 'self'; connect-src 'self'; media-src 'self' blob:; worker-src 'self'; "
                    + "manifest-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /** The call uses the microphone, the camera (optional video) and screen capture, on this origin only. */
    public static final String PERMISSIONS_POLICY =
            "microphone=(self), camera=(self), display-capture=(self), geolocation=()";

    /**
     * Sent only when the gateway itself terminates TLS: a browser that reached it over HTTPS never
     * again tries plain HTTP for this host (a year; no includeSubDomains: other hosts of the
     * domain are not ours to decide). Behind a TLS-terminating proxy, the proxy sets it.
     */
    public static final String HSTS = "max-age=31536000";

    /** Name and value of each header, in a fixed order; HSTS only with {@code tls}. */
    public static List<Map.Entry<String, String>> all(boolean tls) {
        List<Map.Entry<String, String>> h =
                new ArrayList<>(
                        List.of(
                                Map.entry("Content-Security-Policy", CONTENT_SECURITY_POLICY),
                                Map.entry("X-Content-Type-Options", "nosniff"),
                                Map.entry("Referrer-Policy", "no-referrer"),
                                Map.entry("Permissions-Policy", PERMISSIONS_POLICY),
                                Map.entry("Cross-Origin-Opener-Policy", "same-origin"),
                                Map.entry("X-Frame-Options", "DENY")));
        if (tls) {
            h.add(Map.entry("Strict-Transport-Security", HSTS));
        }
        return List.copyOf(h);
    }
}
