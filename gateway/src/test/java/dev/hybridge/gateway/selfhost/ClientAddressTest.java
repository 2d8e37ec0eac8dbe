package dev.hybridge.gateway.selfhost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hybridge.gateway.config.ClientAddress;
import dev.hybridge.gateway.config.ConfigLoader;
import dev.hybridge.gateway.config.GatewayConfig;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which address a connection is counted under behind a reverse proxy (config trusted-proxies). */
class ClientAddressTest {
    private final ClientAddress behindProxy =
            new ClientAddress(List.of("127.0.0.1", ClientAddress.normalize("::1")));

    @Test
    void trustedProxyGivesTheLastForwardedEntry() {
        assertEquals("203.0.113.7", behindProxy.of("127.0.0.1", Optional.of("203.0.113.7")));
        // the client's own X-Forwarded-For comes first and is never believed
        assertEquals(
                "203.0.113.7",
                behindProxy.of("127.0.0.1", Optional.of("198.51.100.1, 203.0.113.7")));
        assertEquals(
                ClientAddress.normalize("2001:db8::1"),
                behindProxy.of("0:0:0:0:0:0:0:1", Optional.of("2001:db8::1")));
    }

    @Test
    void otherwiseTheSocketPeer() {
        assertEquals(
                "198.51.100.9",
                behindProxy.of("198.51.100.9", Optional.of("203.0.113.7")),
                "not a trusted proxy");
        assertEquals("127.0.0.1", behindProxy.of("127.0.0.1", Optional.empty()));
        assertEquals(
                "127.0.0.1",
                behindProxy.of("127.0.0.1", Optional.of("evil.example")),
                "names are not addresses");
        assertEquals("127.0.0.1", behindProxy.of("127.0.0.1", Optional.of("1.2.3.999")));
        assertEquals(
                "127.0.0.1",
                new ClientAddress(List.of()).of("127.0.0.1", Optional.of("203.0.113.7")),
                "no proxies configured");
    }

    @Test
    void literalsOnly() {
        assertTrue(ClientAddress.isIpLiteral("10.0.0.1"));
        assertTrue(ClientAddress.isIpLiteral("::1"));
        assertFalse(ClientAddress.isIpLiteral("localhost"));
        assertFalse(ClientAddress.isIpLiteral("10.0.0.0/8"));
        assertFalse(ClientAddress.isIpLiteral(""));
    }

    @Test
    void configRefusesNamesAndRanges() {
        GatewayConfig ok =
                GatewayConfig.from(
                        ConfigLoader.withOverrides(
                                Map.of(
                                        "hybridge.trusted-proxies.0",
                                        "127.0.0.1",
                                        "hybridge.trusted-proxies.1",
                                        "0:0:0:0:0:0:0:1")));
        assertEquals(List.of("127.0.0.1", ClientAddress.normalize("::1")), ok.trustedProxies());
        assertEquals(
                List.of(),
                GatewayConfig.from(ConfigLoader.withOverrides(Map.of())).trustedProxies());
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                GatewayConfig.from(
                                        ConfigLoader.withOverrides(
                                                Map.of("hybridge.trusted-proxies", "localhost"))));
        assertTrue(e.getMessage().contains("trusted-proxies"), e.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () ->
                        GatewayConfig.from(
                                ConfigLoader.withOverrides(
                                        Map.of("hybridge.trusted-proxies", "10.0.0.0/8"))));
    }
}
