package dev.hybridge.gateway.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hybridge.crypto.KeyRotation;
import dev.hybridge.crypto.handshake.Wire;
import dev.hybridge.gateway.Gateway;
import dev.hybridge.gateway.observe.Health;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.staticcontent.StaticContentService;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

/**
 * The HTTP side of the gateway, served by Helidon behind the edge ({@code edge.Edge}, which
 * answers {@code /ws} itself and forwards every other request here): strict security headers on
 * every response, health, metrics and the web client's static files. The well-known key document
 * is answered by the edge itself ({@link #wellKnown}): every reconnecting client fetches it, and a
 * restart's reconnection storm is thousands of them at once.
 */
public final class WebRoutes {
    private WebRoutes() {}

    public static void register(HttpRouting.Builder routing, Gateway gw) {
        Health health = new Health(gw);
        var headers =
                SecurityHeaders.all(gw.config().server().tls().isPresent()).stream()
                        .map(
                                h ->
                                        io.helidon.http.HeaderValues.create(
                                                HeaderNames.create(h.getKey()), h.getValue()))
                        .toList();
        routing.addFilter(
                (chain, req, res) -> {
                    headers.forEach(res::header);
                    chain.proceed();
                });
        routing.get("/health", (req, res) -> health.all(res));
        routing.get("/health/live", (req, res) -> health.live(res));
        routing.get("/health/ready", (req, res) -> health.ready(res));
        routing.get(
                "/metrics",
                (req, res) -> {
                    res.header(
                            HeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
                    res.send(gw.metrics().prometheus().getBytes(StandardCharsets.UTF_8));
                });
        routing.register("/", staticContent(gw));
        // Last: what no route served gets its 404 here, through the filter above. Helidon's own
        // "no route" answer bypasses filters and so would lack the security headers.
        routing.any((req, res) -> res.status(Status.NOT_FOUND_404).send("Not Found"));
    }

    private static StaticContentService staticContent(Gateway gw) {
        if (gw.config().webRoot().isPresent()) {
            Path root = gw.config().webRoot().get().toAbsolutePath();
            if (!Files.isDirectory(root)) {
                throw new IllegalArgumentException(
                        "config hybridge.web-root: not a directory: " + root);
            }
            return StaticContentService.builder(root).welcomeFileName("index.html").build();
        }
        return StaticContentService.builder("web").welcomeFileName("index.html").build();
    }

    /**
     * {"versions":[1],"suites":[1],"public_key": base64url(pk), "fingerprint": hex(SHA-256(pk))},
     * plus "retired": [{"fingerprint": hex, "retired_at": ISO-8601}] after a key rotation, and
     * "client": {"file_max_bytes": n} (hybridge.client.file-max-bytes).
     */
    public static byte[] wellKnown(Gateway gw) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode doc = json.createObjectNode();
        doc.putArray("versions").add(Wire.VERSION);
        doc.putArray("suites").add(Wire.SUITE);
        doc.put(
                "public_key",
                Base64.getUrlEncoder().withoutPadding().encodeToString(gw.publicKey()));
        doc.put("fingerprint", gw.fingerprintHex());
        // settings of the web client (spec/hop-handshake.md §3, spec/files.md §6)
        var client =
                doc.putObject("client").put("file_max_bytes", gw.config().client().fileMaxBytes());
        // spec/sfu.md §6: the mesh/SFU switch point, only while an SFU is there to switch to
        // (a cluster node serves no SFU, so it publishes none)
        gw.config()
                .sfuInUse()
                .ifPresent(s -> client.putObject("sfu").put("threshold", s.threshold()));
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
