package dev.hybridge.gateway;

import dev.hybridge.crypto.Fingerprint;
import dev.hybridge.crypto.XWingKeyPair;
import dev.hybridge.gateway.config.ConfigLoader;
import dev.hybridge.gateway.config.GatewayConfig;
import dev.hybridge.crypto.KeyFile;
import dev.hybridge.crypto.KeyRotation;
import dev.hybridge.crypto.cli.Cli;
import dev.hybridge.gateway.web.WebRoutes;
import dev.hybridge.gateway.ws.Connection;
import dev.hybridge.gateway.ws.OriginPolicy;
import dev.hybridge.gateway.ws.WsUpgrade;
import io.helidon.common.configurable.Resource;
import io.helidon.common.pki.Keys;
import io.helidon.logging.common.LogConfig;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.http1.Http1Config;
import io.helidon.webserver.http1.Http1ConnectionSelector;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Starts the Hybridge gateway: {@code java -jar hybridge-gateway.jar [config.yaml]} (or
 * {@code java dev.hybridge.gateway.Main [config.yaml]}). Tests use {@link #setup} on their own
 * builder, so they run exactly this wiring. The key commands of the pq-crypto CLI are here too, so
 * the one jar is all an operator needs: {@code keygen FILE}, {@code fingerprint FILE},
 * {@code rotate-key FILE}.
 */
public final class Main {
    private static final Logger LOG = Logger.getLogger(Main.class.getName());
    /** How long shutdown waits for connections to take their close 1001. */
    public static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(3);

    private Main() {}

    static final String USAGE = """
            usage: java -jar hybridge-gateway.jar [CONFIG.yaml]   run the gateway (embedded defaults, CONFIG over them)
                   java -jar hybridge-gateway.jar keygen FILE       create an owner-only static key file
                   java -jar hybridge-gateway.jar fingerprint FILE  print a key file's fingerprint
                   java -jar hybridge-gateway.jar rotate-key FILE   new key in FILE, old one kept and announced as retired""";

    /** Key commands the jar runs instead of the gateway (README, "Self-host"). */
    static final Set<String> KEY_COMMANDS = Set.of("keygen", "fingerprint", "rotate-key");

    public static void main(String[] args) throws IOException {
        if (args.length > 0 && (args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help"))) {
            System.out.println(USAGE);
            return;
        }
        if (args.length > 0 && KEY_COMMANDS.contains(args[0])) {
            System.exit(Cli.run(args, System.out, System.err));
            return;
        }
        if (args.length > 1) {
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
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
        List<KeyRotation.Retired> retired = config.announceRetiredKeys() ? KeyRotation.readRetired(config.keyFile()) : List.of();
        Gateway gateway = new Gateway(config, key, retired, rng);
        OriginPolicy origins = new OriginPolicy(config.allowedOrigins());
        // Signaling is many small messages: Nagle's algorithm against the peer's delayed ACKs
        // would add tens of milliseconds to a relayed envelope.
        server.connectionOptions(o -> o.tcpNoDelay(true));
        // HTTP/1 with our own WebSocket layer at /ws (WsSocket says why not Helidon's). Custom
        // selectors come before the ones Helidon adds, so this one serves every HTTP/1 connection.
        server.addConnectionSelector(Http1ConnectionSelector.builder()
                .config(Http1Config.create())
                .addUpgrader(new WsUpgrade("/ws", () -> new Connection(gateway, origins), config.limits().maxFrameBytes()))
                .build());
        server.routing(r -> WebRoutes.register(r, gateway));
        LOG.info(() -> "gateway key fingerprint " + gateway.fingerprintHex() + " (key file " + config.keyFile() + ")");
        if (!gateway.retiredKeys().isEmpty()) {
            LOG.info(() -> "announcing " + gateway.retiredKeys().size() + " retired key(s) from " + KeyRotation.retiredList(config.keyFile()));
        }
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
