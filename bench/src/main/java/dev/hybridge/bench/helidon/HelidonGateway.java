package dev.hybridge.bench.helidon;

import dev.hybridge.crypto.KeyFile;
import dev.hybridge.crypto.XWingKeyPair;
import dev.hybridge.gateway.Gateway;
import dev.hybridge.gateway.config.ConfigLoader;
import dev.hybridge.gateway.config.GatewayConfig;
import dev.hybridge.gateway.web.WebRoutes;
import io.helidon.http.HeaderNames;
import io.helidon.logging.common.LogConfig;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.websocket.WsRouting;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Bench only, never in the gateway's jar: the same hop channel and room relay served through
 * Helidon 4.2.6's own WebSocket module ({@code io.helidon.webserver.websocket}, a
 * {@link io.helidon.websocket.WsListener} per connection on Helidon's virtual thread per
 * connection), as the gateway was before commit f225fbc. The load tool runs it beside the gateway
 * and the Node relay ({@code --helidon}) so the hand-written layer is kept only where it wins.
 *
 * <p>Same config as the gateway ({@code -Dhybridge.*}), the same {@link Gateway} state (key,
 * rooms, limits, metrics), the same routes ({@link WebRoutes}: health, metrics; the well-known
 * key document here as a route, the edge answers it in the gateway). No edge: no per-address
 * caps or deadlines before the upgrade, which the load tool's clients never need.
 */
public final class HelidonGateway {
    private HelidonGateway() {}

    public static void main(String[] args) throws Exception {
        LogConfig.configureRuntime();
        GatewayConfig config =
                GatewayConfig.from(
                        ConfigLoader.load(
                                args.length > 0
                                        ? Optional.of(Path.of(args[0]))
                                        : Optional.empty()));
        Logger.getLogger("dev.hybridge").setLevel(Level.parse(config.logLevel()));
        SecureRandom rng = new SecureRandom();
        XWingKeyPair key = KeyFile.loadOrCreate(config.keyFile(), rng);
        Gateway gateway = new Gateway(config, key, rng);
        Set<HelidonConnection> open = ConcurrentHashMap.newKeySet();
        byte[] wellKnown = WebRoutes.wellKnown(gateway);
        WebServer server =
                WebServer.builder()
                        .host(config.server().host())
                        .port(config.server().port())
                        .shutdownHook(false)
                        .connectionOptions(o -> o.tcpNoDelay(true))
                        // Helidon closes connections without reads for 5 min (checked every 2):
                        // the sessions' own idle timeout and pings apply instead, as in the gateway
                        .idleConnectionTimeout(Duration.ofDays(1))
                        .routing(
                                r -> {
                                    r.get(
                                            "/.well-known/hybridge.json",
                                            (req, res) -> {
                                                res.header(
                                                        HeaderNames.CONTENT_TYPE,
                                                        "application/json");
                                                res.send(wellKnown);
                                            });
                                    WebRoutes.register(r, gateway);
                                })
                        .addRouting(
                                WsRouting.builder()
                                        .endpoint(
                                                "/ws",
                                                () ->
                                                        new HelidonConnection(
                                                                gateway.services(), open)))
                        .build()
                        .start();
        // the edge's timer, as in the gateway: timeouts, pings, cutting what lingers
        Thread.ofPlatform()
                .daemon()
                .name("hybridge-timer")
                .start(
                        () -> {
                            while (true) {
                                try {
                                    Thread.sleep(1000);
                                } catch (InterruptedException e) {
                                    return;
                                }
                                long now = System.nanoTime();
                                for (HelidonConnection c : open) {
                                    c.tick(now);
                                }
                            }
                        });
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(
                                () -> {
                                    gateway.beginShutdown();
                                    open.forEach(HelidonConnection::goingAway);
                                    server.stop();
                                }));
        System.out.println(
                "Hybridge gateway at http://127.0.0.1:"
                        + server.port()
                        + "/ (Helidon WebSocket module, bench only)");
    }
}
