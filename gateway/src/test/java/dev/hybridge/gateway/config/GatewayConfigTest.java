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
    }

    @Test
    void environmentVariablesOverrideWithHelidonNaming() {
        // what ConfigLoader.load does with the real environment, with a map standing in for it
        Map<String, String> env = EnvironmentVariables.expand(Map.of(
                "HYBRIDGE_LIMITS_ROOM_dash_CAPACITY", "4",
                "HYBRIDGE_SERVER_PORT", "9443",
                "HYBRIDGE_ICE_STUN_dash_URLS", "stun:a.example:3478, stun:b.example:3478"));
        Config config = Config.builder().disableEnvironmentVariablesSource().disableSystemPropertiesSource()
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
        assertFails("hybridge.limits.envelope-max-bytes", "16472"); // below the largest peer record + 64
        assertFails("hybridge.server.port", "70000");
        assertFails("hybridge.log-level", "LOUD");
        assertFails("hybridge.allowed-origins", "evil.example");
        assertFails("hybridge.ice.stun-urls", "http://x");
        assertFails("hybridge.ice.turn.urls", "turn:t.example:3478", "turn.secret"); // TURN without its secret
    }

    private static void assertFails(String key, String value) {
        assertFails(key, value, key.substring(key.lastIndexOf('.') + 1));
    }

    private static void assertFails(String key, String value, String named) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GatewayConfig.from(ConfigLoader.withOverrides(Map.of(key, value))), key + "=" + value);
        assertTrue(e.getMessage().contains(named), e.getMessage());
    }

    @Test
    void readmeSampleConfigIsValidAndEqualsTheDefaults(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        String readme = java.nio.file.Files.readString(Path.of("../README.md"));
        int start = readme.indexOf("```yaml\nhybridge:");
        assertTrue(start >= 0, "README has the sample config");
        String yaml = readme.substring(start + "```yaml\n".length(), readme.indexOf("```", start + 7));
        Path file = dir.resolve("gateway.yaml");
        java.nio.file.Files.writeString(file, yaml);
        Config fromFile = Config.builder().disableEnvironmentVariablesSource().disableSystemPropertiesSource()
                .addSource(ConfigSources.file(file))
                .build();
        assertEquals(GatewayConfig.from(ConfigLoader.withOverrides(Map.of())), GatewayConfig.from(fromFile));
    }

    @Test
    void turnSecretNeverShowsInToString() {
        GatewayConfig c = GatewayConfig.from(ConfigLoader.withOverrides(Map.of(
                "hybridge.ice.turn.urls", "turn:t.example:3478",
                "hybridge.ice.turn.secret", "super-secret-value-123")));
        assertTrue(!c.toString().contains("super-secret-value-123"));
    }
}
