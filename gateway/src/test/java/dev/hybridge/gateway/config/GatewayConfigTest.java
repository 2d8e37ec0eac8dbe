package dev.hybridge.gateway.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.helidon.config.EnvironmentVariables;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class GatewayConfigTest {

    @Test
    void embeddedDefaultsBindLoopbackWithNoThirdPartyServers() {
        GatewayConfig c = GatewayConfig.from(ConfigLoader.withOverrides(Map.of()));
        assertEquals("127.0.0.1", c.server().host());
        assertEquals(8080, c.server().port());
        assertEquals(Optional.empty(), c.server().tls());
        assertEquals(List.of(), c.ice().stunUrls());
        assertEquals(List.of(), c.ice().turnUrls());
        assertEquals(List.of(), c.allowedOrigins());
        assertEquals(6, c.limits().roomCapacity());
        assertEquals(Duration.ofSeconds(10), c.limits().handshakeTimeout());
        assertEquals(65561, c.limits().maxFrameBytes());
        assertEquals(Path.of("hybridge-gateway.key"), c.keyFile());
        assertEquals(100 * 1024 * 1024, c.client().fileMaxBytes()); // spec/files.md §6
        assertEquals(Optional.empty(), c.sfu()); // spec/sfu.md §3.2: off by default
    }

    @Test
    void sfuBlockIsReadAndJanusMustBeOnLoopback() {
        GatewayConfig c =
                GatewayConfig.from(
                        ConfigLoader.withOverrides(
                                Map.of(
                                        "hybridge.sfu.enabled", "true",
                                        "hybridge.sfu.janus-url", "ws://[::1]:8188",
                                        "hybridge.sfu.threshold", "8")));
        assertEquals("ws://[::1]:8188", c.sfu().orElseThrow().janusUrl().toString());
        assertEquals(8, c.sfu().orElseThrow().threshold());
        assertEquals(16, c.sfu().orElseThrow().maxPending());
        for (String bad :
                new String[] {
                    "ws://10.0.0.1:8188",
                    "ws://janus.example:8188",
                    "http://127.0.0.1:8188",
                    "wss://127.0.0.1:8989"
                }) {
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () ->
                                    GatewayConfig.from(
                                            ConfigLoader.withOverrides(
                                                    Map.of(
                                                            "hybridge.sfu.enabled",
                                                            "true",
                                                            "hybridge.sfu.janus-url",
                                                            bad))));
            assertTrue(e.getMessage().contains("hybridge.sfu.janus-url"), e.getMessage());
        }
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                GatewayConfig.from(
                                        ConfigLoader.withOverrides(
                                                Map.of(
                                                        "hybridge.sfu.enabled", "true",
                                                        "hybridge.sfu.threshold", "1"))));
        assertTrue(e.getMessage().contains("hybridge.sfu.threshold"), e.getMessage());
    }

    @Test
    void environmentVariablesOverrideWithHelidonNaming() {
        // what ConfigLoader.load does with the real environment, with a map standing in for it
        Map<String, String> env =
                EnvironmentVariables.expand(
                        Map.of(
                                "HYBRIDGE_LIMITS_ROOM_dash_CAPACITY", "4",
                                "HYBRIDGE_SERVER_PORT", "9443",
                                "HYBRIDGE_ICE_STUN_dash_URLS",
                                        "stun:a.example:3478, stun:b.example:3478"));
        Config config =
                Config.builder()
                        .disableEnvironmentVariablesSource()
                        .disableSystemPropertiesSource()
                        .addSource(ConfigSources.create(env))
                        .addSource(ConfigSources.classpath("application.yaml"))
                        .build();
        GatewayConfig c = GatewayConfig.from(config);
        assertEquals(4, c.limits().roomCapacity());
        assertEquals(9443, c.server().port());
        assertEquals(List.of("stun:a.example:3478", "stun:b.example:3478"), c.ice().stunUrls());
    }

    @Test
    void invalidValuesFailFastNamingTheKey() {
        assertFails("hybridge.limits.room-capacity", "0");
        assertFails("hybridge.limits.room-capacity", "33");
        assertFails("hybridge.limits.room-capacity", "six");
        assertFails("hybridge.limits.handshake-timeout", "10s");
        assertFails("hybridge.limits.ping-interval", "PT90S"); // not shorter than idle-timeout
        assertFails("hybridge.limits.max-frame-bytes", "100000");
        assertFails("hybridge.limits.envelope-max-bytes", "65530");
        assertFails(
                "hybridge.limits.envelope-max-bytes",
                "16472"); // below the largest peer record + 64
        assertFails("hybridge.server.port", "70000");
        assertFails("hybridge.client.file-max-bytes", "0");
        assertFails("hybridge.client.file-max-bytes", "3000000000");
        Map<String, String> cluster =
                new java.util.HashMap<>(Map.of("hybridge.cluster.enabled", "true"));
        assertClusterFails(cluster, "nats-urls", "http://127.0.0.1:4222");
        assertClusterFails(cluster, "subject-prefix", "a b");
        assertClusterFails(cluster, "node-timeout", "PT1S"); // under 3 heartbeat-intervals
        assertClusterFails(cluster, "heartbeat-interval", "0.5");
        assertFails("hybridge.log-level", "LOUD");
        assertFails("hybridge.allowed-origins", "evil.example");
        assertFails("hybridge.ice.stun-urls", "http://x");
        assertFails(
                "hybridge.ice.turn.urls",
                "turn:t.example:3478",
                "turn.secret"); // TURN without its secret
    }

    private static void assertClusterFails(Map<String, String> base, String key, String value) {
        Map<String, String> m = new java.util.HashMap<>(base);
        m.put("hybridge.cluster." + key, value);
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> GatewayConfig.from(ConfigLoader.withOverrides(m)),
                        key + "=" + value);
        assertTrue(e.getMessage().contains(key), e.getMessage());
    }

    @Test
    void clusterIsOffByDefaultAndOnWithItsBlock() {
        assertTrue(GatewayConfig.from(ConfigLoader.withOverrides(Map.of())).cluster().isEmpty());
        GatewayConfig.Cluster c =
                GatewayConfig.from(
                                ConfigLoader.withOverrides(
                                        Map.of(
                                                "hybridge.cluster.enabled", "true",
                                                "hybridge.cluster.nats-urls",
                                                        "nats://10.0.0.1:4222,tls://10.0.0.2:4222")))
                        .cluster()
                        .orElseThrow();
        assertEquals(
                java.util.List.of("nats://10.0.0.1:4222", "tls://10.0.0.2:4222"), c.natsUrls());
        assertEquals(java.time.Duration.ofSeconds(2), c.nodeTimeout());
    }

    private static void assertFails(String key, String value) {
        assertFails(key, value, key.substring(key.lastIndexOf('.') + 1));
    }

    private static void assertFails(String key, String value, String named) {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> GatewayConfig.from(ConfigLoader.withOverrides(Map.of(key, value))),
                        key + "=" + value);
        assertTrue(e.getMessage().contains(named), e.getMessage());
    }

    /**
     * The embedded application.yaml is the configuration reference: every limit the config record
     * has is a key there (kebab-case), and each key line follows a comment that explains it (a
     * comment may cover a run of key lines, e.g. messages-per-second and message-burst).
     */
    @Test
    void embeddedDefaultsDocumentEveryLimit() throws Exception {
        java.util.List<String> lines;
        try (var in = GatewayConfig.class.getResourceAsStream("/application.yaml")) {
            lines =
                    new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)
                            .lines()
                            .toList();
        }
        var components =
                new java.util.ArrayList<>(
                        java.util.List.of(GatewayConfig.Limits.class.getRecordComponents()));
        components.addAll(java.util.List.of(GatewayConfig.Cluster.class.getRecordComponents()));
        components.addAll(java.util.List.of(GatewayConfig.Client.class.getRecordComponents()));
        for (var component : components) {
            String key =
                    component
                                    .getName()
                                    .replaceAll("([A-Z])", "-$1")
                                    .toLowerCase(java.util.Locale.ROOT)
                            + ":";
            int at = -1;
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).trim().startsWith(key)) {
                    at = i;
                }
            }
            assertTrue(at > 0, "application.yaml lacks limits." + key);
            int above = at - 1;
            while (above > 0
                    && lines.get(above).trim().matches("[a-z-]+:.*")
                    && !lines.get(above).trim().endsWith(":")) {
                above--; // a run of keys under one comment
            }
            assertTrue(
                    lines.get(above).trim().startsWith("#"),
                    "limits." + key + " has no comment above it in application.yaml");
        }
    }

    @Test
    void turnSecretNeverShowsInToString() {
        GatewayConfig c =
                GatewayConfig.from(
                        ConfigLoader.withOverrides(
                                Map.of(
                                        "hybridge.ice.turn.urls", "turn:t.example:3478",
                                        "hybridge.ice.turn.secret", "super-secret-value-123")));
        assertTrue(!c.toString().contains("super-secret-value-123"));
    }

    @Test
    void aClusterNodeServesNoSfuAndSoPublishesNoThreshold() {
        Map<String, String> sfu =
                Map.of(
                        "hybridge.sfu.enabled", "true",
                        "hybridge.sfu.janus-url", "ws://127.0.0.1:8188",
                        "hybridge.sfu.threshold", "4");
        GatewayConfig alone = GatewayConfig.from(ConfigLoader.withOverrides(sfu));
        assertEquals(4, alone.sfuInUse().orElseThrow().threshold());
        Map<String, String> node = new java.util.HashMap<>(sfu);
        node.put("hybridge.cluster.enabled", "true");
        GatewayConfig clustered = GatewayConfig.from(ConfigLoader.withOverrides(node));
        assertTrue(clustered.sfu().isPresent());
        assertTrue(clustered.sfuInUse().isEmpty());
    }
}
