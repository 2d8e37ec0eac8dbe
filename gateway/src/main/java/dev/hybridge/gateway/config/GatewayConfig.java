package dev.hybridge.gateway.config;

import io.helidon.config.Config;
import io.helidon.config.ConfigException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;

/**
 * The whole gateway configuration, read once at start from the {@code hybridge} node (README,
 * "Gateway"). Immutable; {@link #from(Config)} fails fast with the offending key named, so a
 * typo stops the gateway instead of silently running with a default.
 */
public record GatewayConfig(
        Server server,
        Path keyFile,
        boolean announceRetiredKeys,
        List<String> allowedOrigins,
        List<String> trustedProxies,
        Optional<Path> webRoot,
        String logLevel,
        Limits limits,
        Ice ice,
        Optional<Cluster> cluster,
        Client client,
        Optional<Sfu> sfu) {

    /**
     * The SFU this gateway serves: none on a cluster node (spec/sfu.md §3.1, a node answers every
     * SFU_REQUEST with SFU_UNAVAILABLE), so that a node never publishes a threshold to clients
     * either: they would leave the mesh for an SFU that is not there.
     */
    public Optional<Sfu> sfuInUse() {
        return cluster.isPresent() ? Optional.empty() : sfu;
    }

    /**
     * The blind SFU beside the gateway (spec/sfu.md §3.2); absent: off, every SFU_REQUEST gets
     * SFU_UNAVAILABLE and clients stay in the mesh. {@code janusUrl} is on loopback.
     */
    public record Sfu(
            java.net.URI janusUrl,
            int threshold,
            Duration requestTimeout,
            int maxPending,
            int requestsPerSecond,
            int requestBurst,
            Duration keepaliveInterval) {}

    /**
     * Settings of the web client, served in /.well-known/hybridge.json under {@code client}
     * (spec/hop-handshake.md §3); each client applies them to itself (spec/files.md §6).
     */
    public record Client(int fileMaxBytes) {}

    /** Where to listen; TLS is optional (a reverse proxy may terminate it instead). */
    public record Server(String host, int port, Optional<Tls> tls) {}

    /** PEM files for the gateway's own TLS. */
    public record Tls(Path certificate, Path privateKey) {}

    /** Every limit the gateway enforces (spec/room-protocol.md, "Limits"). */
    public record Limits(
            Duration headerTimeout,
            Duration writeTimeout,
            Duration httpRequestTimeout,
            Duration acceptFailureTimeout,
            Duration handshakeTimeout,
            Duration idleTimeout,
            Duration pingInterval,
            int maxFrameBytes,
            int messagesPerSecond,
            int messageBurst,
            int connectionsPerAddress,
            int maxConnections,
            int maxRooms,
            int roomCapacity,
            int envelopeMaxBytes,
            int sendQueueMaxBytes,
            int maxSlots,
            Duration slotTtl,
            int slotCreatesPerMinute,
            int slotCreateBurst,
            int slotAttemptsPerMinute,
            int slotAttemptBurst) {}

    /**
     * ICE servers handed to joined peers. The TURN secret is shared with coturn
     * ({@code use-auth-secret}); {@link #toString()} never shows it.
     */
    public record Ice(
            List<String> stunUrls,
            List<String> turnUrls,
            String turnSecret,
            Duration turnCredentialTtl) {
        @Override
        public String toString() {
            return "Ice[stunUrls="
                    + stunUrls
                    + ", turnUrls="
                    + turnUrls
                    + ", turnSecret="
                    + (turnSecret.isEmpty() ? "unset" : "set")
                    + ", turnCredentialTtl="
                    + turnCredentialTtl
                    + "]";
        }
    }

    /**
     * Several gateway nodes on one NATS system (spec/cluster.md); absent: a single node that never
     * touches a bus. {@code keyFile} holds the cluster key (64 hex digits, owner-only).
     */
    public record Cluster(
            List<String> natsUrls,
            String subjectPrefix,
            Path keyFile,
            Duration heartbeatInterval,
            Duration nodeTimeout) {}

    /** The smallest max-frame that still carries a ClientHello (2372 bytes). */
    public static final int MIN_FRAME = 2372;

    /** A hop record is at most 65,561 bytes (spec/record-layer.md); larger frames are never valid. */
    public static final int MAX_FRAME = 65561;

    /**
     * spec/room-protocol.md: a relay must carry the largest peer record (16409 bytes) plus at most
     * 64 bytes of envelope fields, so no configuration may cap envelopes below that.
     */
    public static final int MIN_ENVELOPE = 16473;

    /** JOINED must fit one record: 1 + 8 + 1 + 1224 per peer + ICE servers. */
    public static final int MAX_ROOM_CAPACITY = 32;

    /** Reads and validates {@code root.get("hybridge")}. */
    public static GatewayConfig from(Config root) {
        Config h = root.get("hybridge");
        Server server =
                new Server(
                        string(h.get("server.host")),
                        range(h.get("server.port"), 0, 65535),
                        tls(h.get("server.tls")));
        Limits limits = limits(h.get("limits"));
        Ice ice = ice(h.get("ice"));
        String webRoot = h.get("web-root").asString().orElse("");
        String level = string(h.get("log-level"));
        try {
            java.util.logging.Level.parse(level);
        } catch (IllegalArgumentException e) {
            throw invalid(h.get("log-level"), "not a java.util.logging level");
        }
        List<String> origins = list(h.get("allowed-origins"));
        for (String o : origins) {
            if (!o.matches("https?://[^/\\s]+")) {
                throw invalid(
                        h.get("allowed-origins"),
                        "each origin is scheme://host[:port], got '" + o + "'");
            }
        }
        List<String> proxies = list(h.get("trusted-proxies"));
        for (String p : proxies) {
            if (!ClientAddress.isIpLiteral(p)) {
                throw invalid(
                        h.get("trusted-proxies"),
                        "each entry is an IP address (no names, no ranges), got '" + p + "'");
            }
        }
        boolean announce = h.get("announce-retired-keys").asBoolean().orElse(true);
        return new GatewayConfig(
                server,
                Path.of(string(h.get("key-file"))),
                announce,
                List.copyOf(origins),
                proxies.stream().map(ClientAddress::normalize).toList(),
                webRoot.isBlank() ? Optional.empty() : Optional.of(Path.of(webRoot)),
                level,
                limits,
                ice,
                cluster(h.get("cluster")),
                new Client(range(h.get("client.file-max-bytes"), 1, Integer.MAX_VALUE)),
                sfu(h.get("sfu")));
    }

    private static Optional<Sfu> sfu(Config c) {
        if (!c.get("enabled").asBoolean().orElse(false)) {
            return Optional.empty();
        }
        String url = string(c.get("janus-url"));
        java.net.URI uri;
        try {
            uri = new java.net.URI(url);
        } catch (java.net.URISyntaxException e) {
            throw invalid(c.get("janus-url"), "not a URL");
        }
        if (!"ws".equals(uri.getScheme()) || uri.getHost() == null || !isLoopback(uri.getHost())) {
            throw invalid(
                    c.get("janus-url"),
                    "ws:// on a loopback address (127.0.0.1, [::1], localhost): only the gateway"
                            + " may reach Janus' API");
        }
        Duration timeout = duration(c.get("request-timeout"));
        Duration keepalive = duration(c.get("keepalive-interval"));
        return Optional.of(
                new Sfu(
                        uri,
                        range(c.get("threshold"), 2, MAX_ROOM_CAPACITY - 1),
                        timeout,
                        range(c.get("max-pending"), 1, 1000),
                        range(c.get("requests-per-second"), 1, 1000),
                        range(c.get("request-burst"), 1, 10_000),
                        keepalive));
    }

    private static boolean isLoopback(String host) {
        String h = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        return h.equals("localhost") || h.equals("::1") || h.matches("127\\.\\d+\\.\\d+\\.\\d+");
    }

    private static Optional<Cluster> cluster(Config c) {
        if (!c.get("enabled").asBoolean().orElse(false)) {
            return Optional.empty();
        }
        List<String> urls = list(c.get("nats-urls"));
        if (urls.isEmpty()) {
            throw invalid(c.get("nats-urls"), "at least one NATS URL, e.g. nats://127.0.0.1:4222");
        }
        for (String u : urls) {
            if (!u.matches("(nats|tls)://[^\\s]+")) {
                throw invalid(
                        c.get("nats-urls"), "each URL is nats://host:port or tls://host:port");
            }
        }
        String prefix = string(c.get("subject-prefix"));
        if (!prefix.matches("[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*")) {
            throw invalid(
                    c.get("subject-prefix"),
                    "NATS subject tokens (letters, digits, _ and -) separated by dots");
        }
        Duration hb = duration(c.get("heartbeat-interval"));
        Duration timeout = duration(c.get("node-timeout"));
        if (timeout.compareTo(hb.multipliedBy(3)) < 0) {
            throw invalid(c.get("node-timeout"), "must be at least 3 heartbeat-intervals");
        }
        return Optional.of(
                new Cluster(
                        List.copyOf(urls),
                        prefix,
                        Path.of(string(c.get("key-file"))),
                        hb,
                        timeout));
    }

    private static Optional<Tls> tls(Config t) {
        if (!t.get("enabled").asBoolean().orElse(false)) {
            return Optional.empty();
        }
        return Optional.of(
                new Tls(
                        Path.of(string(t.get("certificate"))),
                        Path.of(string(t.get("private-key")))));
    }

    private static Limits limits(Config l) {
        Limits limits =
                new Limits(
                        duration(l.get("header-timeout")),
                        duration(l.get("write-timeout")),
                        duration(l.get("http-request-timeout")),
                        duration(l.get("accept-failure-timeout")),
                        duration(l.get("handshake-timeout")),
                        duration(l.get("idle-timeout")),
                        duration(l.get("ping-interval")),
                        range(l.get("max-frame-bytes"), MIN_FRAME, MAX_FRAME),
                        range(l.get("messages-per-second"), 1, 1_000_000),
                        range(l.get("message-burst"), 1, 1_000_000),
                        range(l.get("connections-per-address"), 1, 1_000_000),
                        range(l.get("max-connections"), 1, 10_000_000),
                        range(l.get("max-rooms"), 1, 10_000_000),
                        range(l.get("room-capacity"), 2, MAX_ROOM_CAPACITY),
                        range(
                                l.get("envelope-max-bytes"),
                                MIN_ENVELOPE,
                                dev.hybridge.protocol.RoomCodec.MAX_ENVELOPE),
                        range(l.get("send-queue-max-bytes"), 2 * MAX_FRAME, Integer.MAX_VALUE),
                        range(l.get("max-slots"), 1, 100_000),
                        duration(l.get("slot-ttl")),
                        range(l.get("slot-creates-per-minute"), 1, 1_000_000),
                        range(l.get("slot-create-burst"), 1, 1_000_000),
                        range(l.get("slot-attempts-per-minute"), 1, 1_000_000),
                        range(l.get("slot-attempt-burst"), 1, 1_000_000));
        if (limits.slotTtl().compareTo(Duration.ofSeconds(1)) < 0
                || limits.slotTtl().compareTo(Duration.ofHours(1)) > 0) {
            throw invalid(l.get("slot-ttl"), "must be in PT1S..PT1H");
        }
        if (limits.pingInterval().compareTo(limits.idleTimeout()) >= 0) {
            throw invalid(l.get("ping-interval"), "must be shorter than idle-timeout");
        }
        if (limits.envelopeMaxBytes() + 9 + 25 > limits.maxFrameBytes()) {
            throw invalid(
                    l.get("envelope-max-bytes"),
                    "a RELAY record of this envelope would exceed max-frame-bytes");
        }
        return limits;
    }

    private static Ice ice(Config i) {
        List<String> stun = list(i.get("stun-urls"));
        List<String> turn = list(i.get("turn.urls"));
        String secret = i.get("turn.secret").asString().orElse("");
        for (String u : stun) {
            if (!u.startsWith("stun:") && !u.startsWith("stuns:")) {
                throw invalid(i.get("stun-urls"), "STUN URLs start with stun: or stuns:");
            }
        }
        for (String u : turn) {
            if (!u.startsWith("turn:") && !u.startsWith("turns:")) {
                throw invalid(i.get("turn.urls"), "TURN URLs start with turn: or turns:");
            }
        }
        if (!turn.isEmpty() && secret.length() < 16) {
            throw invalid(
                    i.get("turn.secret"),
                    "TURN URLs need the coturn static-auth-secret (at least 16 characters)");
        }
        Duration ttl = duration(i.get("turn.credential-ttl"));
        return new Ice(List.copyOf(stun), List.copyOf(turn), secret, ttl);
    }

    /** A YAML list, or one comma-separated string (the form environment variables can carry). */
    private static List<String> list(Config c) {
        if (!c.exists()) {
            return List.of();
        }
        if (c.isLeaf()) {
            return java.util.Arrays.stream(c.asString().orElse("").split(","))
                    .map(String::trim)
                    .filter(s -> !s.isEmpty())
                    .toList();
        }
        return c.asList(String.class).orElse(List.of()).stream()
                .map(String::trim)
                .filter(s -> !s.isEmpty())
                .toList();
    }

    private static String string(Config c) {
        return c.asString().filter(s -> !s.isBlank()).orElseThrow(() -> invalid(c, "missing"));
    }

    private static int range(Config c, int min, int max) {
        int v;
        try {
            v = c.asInt().orElseThrow(() -> invalid(c, "missing"));
        } catch (ConfigException e) {
            throw invalid(c, "not an integer");
        }
        if (v < min || v > max) {
            throw invalid(c, "must be in " + min + ".." + max + ", got " + v);
        }
        return v;
    }

    private static Duration duration(Config c) {
        String s = string(c);
        try {
            Duration d = Duration.parse(s);
            if (d.isNegative() || d.isZero()) {
                throw invalid(c, "must be positive");
            }
            return d;
        } catch (DateTimeParseException e) {
            throw invalid(c, "an ISO-8601 duration such as PT10S, got '" + s + "'");
        }
    }

    private static IllegalArgumentException invalid(Config c, String why) {
        return new IllegalArgumentException("config " + c.key() + ": " + why);
    }
}
