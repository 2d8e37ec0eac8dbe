package dev.hybridge.gateway;

import dev.hybridge.crypto.Fingerprint;
import dev.hybridge.crypto.KeyFile;
import dev.hybridge.crypto.KeyRotation;
import dev.hybridge.crypto.XWingKeyPair;
import dev.hybridge.crypto.cli.Cli;
import dev.hybridge.gateway.config.ConfigLoader;
import dev.hybridge.gateway.config.GatewayConfig;
import dev.hybridge.gateway.edge.Edge;
import dev.hybridge.gateway.web.WebRoutes;
import dev.hybridge.gateway.ws.OriginPolicy;
import io.helidon.common.configurable.Resource;
import io.helidon.common.pki.Keys;
import io.helidon.common.tls.Tls;
import io.helidon.logging.common.LogConfig;
import io.helidon.webserver.WebServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.net.ssl.SSLContext;

/**
 * Starts the Hybridge gateway: {@code java -jar hybridge-gateway.jar [config.yaml]} (or
 * {@code java dev.hybridge.gateway.Main [config.yaml]}). Tests call {@link #start}, so they run
 * exactly this wiring. The key commands of the pq-crypto CLI are here too, so
 * the one jar is all an operator needs: {@code keygen FILE}, {@code fingerprint FILE},
 * {@code rotate-key FILE}.
 */
public final class Main {
    private static final Logger LOG = Logger.getLogger(Main.class.getName());

    /** How long shutdown waits for connections to take their close 1001. */
    public static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(3);

    private Main() {}

    static final String USAGE =
            """
            usage: java -jar hybridge-gateway.jar [CONFIG.yaml]   run the gateway (embedded defaults, CONFIG over them)
                   java -jar hybridge-gateway.jar keygen FILE       create an owner-only static key file
                   java -jar hybridge-gateway.jar fingerprint FILE  print a key file's fingerprint
                   java -jar hybridge-gateway.jar rotate-key FILE   new key in FILE, old one kept and announced as retired""";

    /** Key commands the jar runs instead of the gateway (README, "Self-host"). */
    static final Set<String> KEY_COMMANDS = Set.of("keygen", "fingerprint", "rotate-key");

    public static void main(String[] args) throws IOException {
        if (args.length > 0
                && (args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help"))) {
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
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(
                                () -> {
                                    LOG.info("shutting down: closing connections with 1001");
                                    running.stop();
                                    LOG.info("stopped");
                                },
                                "hybridge-shutdown"));
        String scheme = config.server().tls().isPresent() ? "https" : "http";
        String url =
                scheme + "://" + hostForUrl(config.server().host()) + ":" + running.port() + "/";
        System.out.println("Hybridge gateway at " + url);
        System.out.println(
                "Gateway key fingerprint: "
                        + Fingerprint.toDisplay(hex(running.gateway().fingerprintHex())));
    }

    /** Exit status when the gateway can no longer accept connections (a supervisor restarts it). */
    public static final int EXIT_LISTENER_LOST = 70;

    /** The WebSocket endpoint (spec/hop-handshake.md §2). */
    public static final String WS_PATH = "/ws";

    /**
     * A started gateway: the edge on the public address, Helidon's routes behind it on loopback.
     * {@link #stop} shuts down gracefully (close 1001).
     */
    public record Running(Edge edge, WebServer http, Gateway gateway) {
        /** The public port (the edge's). */
        public int port() {
            return edge.port();
        }

        public boolean isRunning() {
            return edge.isRunning();
        }

        public void stop() {
            gateway.beginShutdown();
            edge.shutdown(SHUTDOWN_GRACE);
            if (gateway.cluster() != null) {
                gateway.cluster().stop(); // after the edge: its members' LEAVEs go out first
            }
            gateway.services().sfu().close(); // after the edge: seats ended, sessions closed
            http.stop();
        }
    }

    /** Builds and starts the gateway for {@code config} (host, port and TLS from it). */
    public static Running start(GatewayConfig config) throws IOException {
        return start(
                config,
                () -> {
                    System.err.println(
                            "hybridge: the listener cannot accept connections any more; exiting with "
                                    + EXIT_LISTENER_LOST);
                    System.exit(EXIT_LISTENER_LOST);
                });
    }

    /**
     * As {@link #start(GatewayConfig)}; {@code onListenerLost} runs when accepting has failed for
     * longer than limits.accept-failure-timeout (Main exits non-zero then).
     */
    public static Running start(GatewayConfig config, Runnable onListenerLost) throws IOException {
        Logger.getLogger("dev.hybridge").setLevel(Level.parse(config.logLevel()));
        SecureRandom rng = new SecureRandom();
        XWingKeyPair key = KeyFile.loadOrCreate(config.keyFile(), rng);
        List<KeyRotation.Retired> retired =
                config.announceRetiredKeys()
                        ? KeyRotation.readRetired(config.keyFile())
                        : List.of();
        Gateway gateway = new Gateway(config, key, retired, rng);
        // Helidon serves the plain HTTP routes on loopback only; the edge forwards to it. It gets
        // one request per connection from the edge, each already checked and bounded.
        WebServer http =
                WebServer.builder()
                        .host("127.0.0.1")
                        .port(0)
                        .shutdownHook(false) // our hook closes connections with 1001 first
                        .connectionOptions(o -> o.tcpNoDelay(true))
                        .routing(r -> WebRoutes.register(r, gateway))
                        .build()
                        .start();
        Edge edge =
                new Edge(
                        config.limits(),
                        gateway.services(),
                        gateway.clientAddress(),
                        gateway.connectionLimiter(),
                        WebRoutes.wellKnown(gateway),
                        new OriginPolicy(config.allowedOrigins()),
                        new InetSocketAddress("127.0.0.1", http.port()),
                        config.server().tls().map(Main::sslContext),
                        WS_PATH,
                        onListenerLost);
        try {
            if (gateway.cluster() != null) {
                gateway.cluster().start();
                LOG.info(() -> "cluster node " + gateway.cluster().nodeId() + " joining the bus");
            }
            edge.start(config.server().host(), config.server().port());
        } catch (IOException | RuntimeException e) {
            http.stop();
            if (gateway.cluster() != null) {
                gateway.cluster().stop();
            }
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            http.stop();
            throw new IOException("interrupted while starting", e);
        }
        LOG.info(
                () ->
                        "gateway key fingerprint "
                                + gateway.fingerprintHex()
                                + " (key file "
                                + config.keyFile()
                                + ")");
        if (!gateway.retiredKeys().isEmpty()) {
            LOG.info(
                    () ->
                            "announcing "
                                    + gateway.retiredKeys().size()
                                    + " retired key(s) from "
                                    + KeyRotation.retiredList(config.keyFile()));
        }
        return new Running(edge, http, gateway);
    }

    /** The server's TLS context from the PEM files of the config (TLS 1.2 and 1.3, the JDK's defaults). */
    private static SSLContext sslContext(GatewayConfig.Tls tls) {
        Keys keys =
                Keys.builder()
                        .pem(
                                pem ->
                                        pem.key(Resource.create(tls.privateKey()))
                                                .certChain(Resource.create(tls.certificate())))
                        .build();
        return Tls.builder().privateKey(keys).privateKeyCertChain(keys).build().sslContext();
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
