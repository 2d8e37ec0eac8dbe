package dev.hybridge.gateway;

import dev.hybridge.crypto.Fingerprint;
import dev.hybridge.crypto.XWingKeyPair;
import dev.hybridge.gateway.config.ConfigLoader;
import dev.hybridge.gateway.config.GatewayConfig;
import dev.hybridge.crypto.KeyFile;
import dev.hybridge.gateway.web.WebRoutes;
import dev.hybridge.gateway.ws.Connection;
import dev.hybridge.gateway.ws.OriginPolicy;
import io.helidon.common.configurable.Resource;
import io.helidon.common.pki.Keys;
import io.helidon.logging.common.LogConfig;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.websocket.WsConfig;
import io.helidon.webserver.websocket.WsRouting;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Starts the Hybridge gateway: {@code java dev.hybridge.gateway.Main [config.yaml]}. Tests use
 * {@link #setup} on their own builder, so they run exactly this wiring.
 */
public final class Main {
    private static final Logger LOG = Logger.getLogger(Main.class.getName());
    /** How long shutdown waits for connections to take their close 1001. */
    public static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(3);

    private Main() {}

    public static void main(String[] args) throws IOException {
        LogConfig.configureRuntime();
        Optional<Path> file = args.length > 0 ? Optional.of(Path.of(args[0])) : Optional.empty();
        GatewayConfig config;
        try {
            config = GatewayConfig.from(ConfigLoader.load(file));
        } catch (IllegalArgumentException e) {
            System.err.println("hybridge: " + e.getMessage());
            System.exit(2);
            return;
        }
        Running running;
        try {
            running = start(config);
        } catch (IllegalStateException e) { // e.g. a key file others can read
            System.err.println("hybridge: " + e.getMessage());
            System.exit(2);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LOG.info("shutting down: closing connections with 1001");
            running.stop();
            LOG.info("stopped");
        }, "hybridge-shutdown"));
        String scheme = config.server().tls().isPresent() ? "https" : "http";
        String url = scheme + "://" + hostForUrl(config.server().host()) + ":" + running.server().port() + "/";
        System.out.println("Hybridge gateway at " + url);
        System.out.println("Gateway key fingerprint: " + Fingerprint.toDisplay(hex(running.gateway().fingerprintHex())));
    }

    /** A started server and its gateway; {@link #stop} shuts down gracefully (close 1001). */
    public record Running(WebServer server, Gateway gateway) {
        public void stop() {
            gateway.shutdown(SHUTDOWN_GRACE);
            server.stop();
        }
    }

    /** Builds and starts the server for {@code config} (host, port and TLS from it). */
    public static Running start(GatewayConfig config) throws IOException {
        WebServerConfig.Builder builder = WebServer.builder()
                .host(config.server().host())
                .port(config.server().port())
                .shutdownHook(false); // our hook closes connections with 1001 first
        config.server().tls().ifPresent(tls -> {
            Keys keys = Keys.builder()
                    .pem(pem -> pem.key(Resource.create(tls.privateKey())).certChain(Resource.create(tls.certificate())))
                    .build();
            builder.tls(t -> t.privateKey(keys).privateKeyCertChain(keys));
        });
        Gateway gateway = setup(builder, config);
        WebServer server = builder.build().start();
        return new Running(server, gateway);
    }

    /**
     * Wires the gateway into {@code server}: loads or creates the static key, registers the
     * WebSocket endpoint {@code /ws} and the HTTP routes. Host, port and TLS are the caller's.
     */
    public static Gateway setup(WebServerConfig.Builder server, GatewayConfig config) throws IOException {
        Logger.getLogger("dev.hybridge").setLevel(Level.parse(config.logLevel()));
        SecureRandom rng = new SecureRandom();
        XWingKeyPair key = KeyFile.loadOrCreate(config.keyFile(), rng);
        Gateway gateway = new Gateway(config, key, rng);
        OriginPolicy origins = new OriginPolicy(config.allowedOrigins());
        // Helidon refuses frames over twice our limit before reading them (close 1009); frames
        // between the two are refused by Connection, which also counts them in the metrics.
        server.addProtocol(WsConfig.builder()
                .name("websocket")
                .maxFrameLength(2 * config.limits().maxFrameBytes())
                .build());
        // Signaling is many small messages: Nagle's algorithm against the peer's delayed ACKs
        // would add tens of milliseconds to a relayed envelope.
        server.connectionOptions(o -> o.tcpNoDelay(true));
        server.addRouting(WsRouting.builder().endpoint("/ws", () -> new Connection(gateway, origins)));
        server.routing(r -> WebRoutes.register(r, gateway));
        LOG.info(() -> "gateway key fingerprint " + gateway.fingerprintHex() + " (key file " + config.keyFile() + ")");
        return gateway;
    }

    private static String hostForUrl(String host) {
        if (host.equals("0.0.0.0") || host.equals("::")) {
            return "localhost";
        }
        return host.contains(":") ? "[" + host + "]" : host;
    }

    private static byte[] hex(String h) {
        return java.util.HexFormat.of().parseHex(h);
    }
}
