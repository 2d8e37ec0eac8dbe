package dev.hybridge.gateway.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hybridge.crypto.KeyRotation;
import dev.hybridge.crypto.handshake.Wire;
import dev.hybridge.gateway.Gateway;
import dev.hybridge.gateway.observe.Health;
import dev.hybridge.gateway.ws.OriginPolicy;
import dev.hybridge.gateway.ws.WsUpgrade;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.staticcontent.StaticContentService;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

/**
 * The HTTP side of the gateway: strict security headers on every response, the well-known key
 * document, health, metrics and the web client's static files.
 */
public final class WebRoutes {
    private WebRoutes() {}

    /**
     * No inline script or style anywhere; connect-src 'self' covers the same-origin ws:/wss: URL
     * (CSP Level 3); workers are same-origin files (the SFrame worker, a module worker loaded from
     * its hashed file, so no blob:). Media from getUserMedia/getDisplayMedia and WebRTC is set as
     * srcObject, which CSP does not govern; media-src only matters for URLs.
     */
    public static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; "
            + "img-src 'self' data:; font-src 'self'; connect-src 'self'; media-src 'self' blob:; worker-src 'self'; "
            + "manifest-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    /** The call uses the microphone, the camera (optional video) and screen capture, on this origin only. */
    public static final String PERMISSIONS_POLICY = "microphone=(self), camera=(self), display-capture=(self), geolocation=()";

    public static void register(HttpRouting.Builder routing, Gateway gw) {
        byte[] wellKnown = wellKnown(gw);
        Health health = new Health(gw);
        routing.addFilter((chain, req, res) -> {
            res.header(HeaderNames.create("Content-Security-Policy"), CONTENT_SECURITY_POLICY);
            res.header(HeaderNames.X_CONTENT_TYPE_OPTIONS, "nosniff");
            res.header(HeaderNames.create("Referrer-Policy"), "no-referrer");
            res.header(HeaderNames.create("Permissions-Policy"), PERMISSIONS_POLICY);
            res.header(HeaderNames.create("Cross-Origin-Opener-Policy"), "same-origin");
            res.header(HeaderNames.create("X-Frame-Options"), "DENY");
            chain.proceed();
        });
        routing.get("/.well-known/hybridge.json", (req, res) -> {
            res.header(HeaderNames.CONTENT_TYPE, "application/json");
            res.header(HeaderNames.CACHE_CONTROL, "no-cache");
            res.header(HeaderNames.create("Access-Control-Allow-Origin"), "*"); // public data; lets a client check the pin
            res.send(wellKnown);
        });
        routing.get("/health", (req, res) -> health.all(res));
        routing.get("/health/live", (req, res) -> health.live(res));
        routing.get("/health/ready", (req, res) -> health.ready(res));
        routing.get("/metrics", (req, res) -> {
            res.header(HeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
            res.send(gw.metrics().prometheus().getBytes(StandardCharsets.UTF_8));
        });
        // An upgrade WsUpgrade declines (foreign Origin, a version other than 13, no key) falls
        // through to plain HTTP routing, so this route gives it its status: 403 or 426.
        OriginPolicy origins = new OriginPolicy(gw.config().allowedOrigins());
        routing.get("/ws", (req, res) -> {
            if (!origins.accepts(req.headers().first(HeaderNames.ORIGIN), req.headers().first(HeaderNames.HOST))) {
                res.status(Status.FORBIDDEN_403).send("origin not allowed");
            } else {
                res.header(WsUpgrade.VERSION, WsUpgrade.VERSION_13); // RFC 6455 §4.4
                res.status(Status.UPGRADE_REQUIRED_426).send("WebSocket only");
            }
        });
        routing.register("/", staticContent(gw));
    }

    private static StaticContentService staticContent(Gateway gw) {
        if (gw.config().webRoot().isPresent()) {
            Path root = gw.config().webRoot().get().toAbsolutePath();
            if (!Files.isDirectory(root)) {
                throw new IllegalArgumentException("config hybridge.web-root: not a directory: " + root);
            }
            return StaticContentService.builder(root).welcomeFileName("index.html").build();
        }
        return StaticContentService.builder("web").welcomeFileName("index.html").build();
    }

    /**
     * {"versions":[1],"suites":[1],"public_key": base64url(pk), "fingerprint": hex(SHA-256(pk))},
     * plus "retired": [{"fingerprint": hex, "retired_at": ISO-8601}] after a key rotation.
     */
    private static byte[] wellKnown(Gateway gw) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode doc = json.createObjectNode();
        doc.putArray("versions").add(Wire.VERSION);
        doc.putArray("suites").add(Wire.SUITE);
        doc.put("public_key", Base64.getUrlEncoder().withoutPadding().encodeToString(gw.publicKey()));
        doc.put("fingerprint", gw.fingerprintHex());
        if (!gw.retiredKeys().isEmpty()) {
            // spec/hop-handshake.md §3: a client whose pin is listed here tells its user that the
            // link uses the gateway's previous key, instead of reporting a key mismatch
            KeyRotation.addTo(doc.putArray("retired"), gw.retiredKeys());
        }
        try {
            return json.writeValueAsBytes(doc);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
