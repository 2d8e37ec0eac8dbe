package dev.hybridge.gateway.edge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hybridge.gateway.ws.OriginPolicy;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The edge's check of an opening handshake against RFC 6455 §4.2.1, one requirement at a time,
 * and its 101 response against §4.2.2 (the §1.3 sample key and accept value included).
 */
class WsHandshakeTest {
    /** The §1.3 sample: this key gives this accept value. */
    static final String SAMPLE_KEY = "dGhlIHNhbXBsZSBub25jZQ==";

    static final String SAMPLE_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
    static final OriginPolicy OWN_ORIGIN = new OriginPolicy(List.of());

    /** A valid upgrade request's lines, in the order a browser sends them. */
    static List<String> valid() {
        return new ArrayList<>(
                List.of(
                        "GET /ws HTTP/1.1",
                        "Host: gw.example:8443",
                        "Upgrade: websocket",
                        "Connection: Upgrade",
                        "Sec-WebSocket-Key: " + SAMPLE_KEY,
                        "Origin: https://gw.example:8443",
                        "Sec-WebSocket-Version: 13"));
    }

    static RequestHead head(List<String> lines) throws HttpRefusal {
        byte[] b = String.join("\r\n", lines).getBytes(StandardCharsets.ISO_8859_1);
        return RequestHead.parse(b, b.length);
    }

    /** The request of {@link #valid()} with the header {@code name} removed, then {@code added} lines appended. */
    static List<String> without(String name, String... added) {
        List<String> l = valid();
        l.removeIf(
                line ->
                        line.toLowerCase(Locale.ROOT)
                                .startsWith(name.toLowerCase(Locale.ROOT) + ":"));
        l.addAll(Arrays.asList(added));
        return l;
    }

    static Map<String, String> accepted(List<String> lines) throws HttpRefusal {
        String response =
                new String(WsHandshake.accept(head(lines), OWN_ORIGIN), StandardCharsets.US_ASCII);
        assertTrue(response.endsWith("\r\n\r\n"), "the head ends with an empty line");
        String[] l = response.substring(0, response.length() - 4).split("\r\n");
        Map<String, String> h = new HashMap<>();
        h.put(":status", l[0]);
        for (int i = 1; i < l.length; i++) {
            int colon = l[i].indexOf(':');
            assertTrue(colon > 0, "header line " + l[i]);
            assertFalse(
                    h.containsKey(l[i].substring(0, colon).toLowerCase(Locale.ROOT)),
                    "one of each header");
            h.put(
                    l[i].substring(0, colon).toLowerCase(Locale.ROOT),
                    l[i].substring(colon + 1).trim());
        }
        return h;
    }

    static HttpRefusal refused(List<String> lines) {
        return assertThrows(HttpRefusal.class, () -> WsHandshake.accept(head(lines), OWN_ORIGIN));
    }

    // ---------------------------------------------------------------- §4.2.2 and §1.3

    @Test
    void theSampleKeyOfSection13GivesItsAcceptValue() {
        assertEquals(SAMPLE_ACCEPT, WsHandshake.acceptValue(SAMPLE_KEY));
    }

    @Test
    void aValidRequestGets101WithUpgradeConnectionAndTheAcceptValue() throws Exception {
        Map<String, String> h = accepted(valid());
        assertEquals("HTTP/1.1 101 Switching Protocols", h.get(":status"));
        assertEquals("websocket", h.get("upgrade").toLowerCase(Locale.ROOT));
        assertEquals("upgrade", h.get("connection").toLowerCase(Locale.ROOT));
        assertEquals(SAMPLE_ACCEPT, h.get("sec-websocket-accept"));
    }

    @Test
    void theAcceptValueIsComputedFromTheKeyOfThisRequest() throws Exception {
        String key = "AQIDBAUGBwgJCgsMDQ4PEA==";
        Map<String, String> h = accepted(without("Sec-WebSocket-Key", "Sec-WebSocket-Key: " + key));
        java.security.MessageDigest sha1 = java.security.MessageDigest.getInstance("SHA-1");
        String expected =
                java.util.Base64.getEncoder()
                        .encodeToString(
                                sha1.digest(
                                        (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")
                                                .getBytes(StandardCharsets.US_ASCII)));
        assertEquals(expected, h.get("sec-websocket-accept"));
    }

    // ---------------------------------------------------------------- §4.2.1 (1) GET, HTTP/1.1

    @ParameterizedTest
    @ValueSource(strings = {"POST", "PUT", "HEAD", "OPTIONS", "CONNECT"})
    void onlyGetUpgrades(String method) {
        List<String> l = valid();
        l.set(0, method + " /ws HTTP/1.1");
        HttpRefusal r = refused(l);
        assertEquals(405, r.status());
        assertTrue(
                Arrays.asList(r.extraHeaders()).contains("Allow: GET"),
                Arrays.toString(r.extraHeaders()));
    }

    @Test
    void http10IsNotEnough() {
        List<String> l = valid();
        l.set(0, "GET /ws HTTP/1.0");
        assertEquals(400, refused(l).status());
    }

    // ---------------------------------------------------------------- (2) Host

    @Test
    void hostIsRequired() {
        assertEquals(400, refused(without("Host")).status());
    }

    @Test
    void anEmptyHostIsRefused() {
        assertEquals(400, refused(without("Host", "Host:")).status());
    }

    @Test
    void twoHostHeadersAreRefused() {
        assertEquals(400, refused(without("Origin", "Host: other.example")).status());
    }

    // ---------------------------------------------------------------- (3) Upgrade: websocket

    @Test
    void upgradeIsRequired() {
        assertEquals(400, refused(without("Upgrade")).status());
    }

    @ParameterizedTest
    @ValueSource(strings = {"WebSocket", "WEBSOCKET", "websocket", "h2c, websocket"})
    void upgradeNamesWebsocketCaseInsensitively(String value) throws Exception {
        assertEquals(
                "HTTP/1.1 101 Switching Protocols",
                accepted(without("Upgrade", "Upgrade: " + value)).get(":status"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2c", "websockets", "web socket", ""})
    void anUpgradeToSomethingElseIsRefused(String value) {
        assertEquals(400, refused(without("Upgrade", "Upgrade: " + value)).status());
    }

    @Test
    void twoUpgradeHeadersAreRefused() {
        assertEquals(400, refused(without("Origin", "Upgrade: websocket")).status());
    }

    @Test
    void aPlainGetOfTheEndpointGets426NamingTheProtocol() {
        List<String> l = List.of("GET /ws HTTP/1.1", "Host: gw.example:8443");
        HttpRefusal r = refused(l);
        assertEquals(426, r.status());
        List<String> extra = Arrays.asList(r.extraHeaders());
        assertTrue(extra.contains("Upgrade: websocket"), extra.toString());
        assertTrue(extra.contains("Sec-WebSocket-Version: 13"), extra.toString());
    }

    // ---------------------------------------------------------------- (4) Connection: Upgrade

    @Test
    void connectionIsRequired() {
        assertEquals(400, refused(without("Connection")).status());
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "Upgrade",
                "upgrade",
                "keep-alive, Upgrade",
                "Upgrade,keep-alive",
                "keep-alive , UPGRADE"
            })
    void connectionListsUpgradeAsATokenCaseInsensitively(String value) throws Exception {
        assertEquals(
                "HTTP/1.1 101 Switching Protocols",
                accepted(without("Connection", "Connection: " + value)).get(":status"));
    }

    @Test
    void connectionUpgradeMayComeOnASecondLine() throws Exception {
        assertEquals(
                "HTTP/1.1 101 Switching Protocols",
                accepted(without("Connection", "Connection: keep-alive", "Connection: Upgrade"))
                        .get(":status"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"keep-alive", "close", "Upgrades", "keep-alive Upgrade"})
    void connectionWithoutTheUpgradeTokenIsRefused(String value) {
        assertEquals(400, refused(without("Connection", "Connection: " + value)).status());
    }

    // ---------------------------------------------------------------- (5) Sec-WebSocket-Key

    @Test
    void theKeyIsRequired() {
        assertEquals(400, refused(without("Sec-WebSocket-Key")).status());
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "", // empty
                "AAAAAAAAAAAAAAAAAAAAAA=", // padding cut
                "AAAAAAAAAAAAAAAAAAAAAAAA", // 24 characters without padding: 18 bytes
                "AAAAAAAAAAAAAAAAAAAA", // 15 bytes
                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", // 32 bytes
                "!!!!!!!!!!!!!!!!!!!!!!==", // not base64
                "dGhlIHNhbXBsZSBub25jZQ", // the sample without padding
            })
    void aKeyThatIsNotTheBase64Of16BytesIsRefused(String key) {
        assertEquals(
                400, refused(without("Sec-WebSocket-Key", "Sec-WebSocket-Key: " + key)).status());
    }

    @Test
    void twoKeysAreRefused() {
        assertEquals(
                400,
                refused(without("Origin", "Sec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEA==")).status());
    }

    @Test
    void anyKeyOf16BytesIsAccepted() throws Exception {
        for (String key :
                new String[] {
                    "AAAAAAAAAAAAAAAAAAAAAA==",
                    "/////////////////////w==",
                    "AQIDBAUGBwgJCgsMDQ4PEA=="
                }) {
            assertEquals(
                    WsHandshake.acceptValue(key),
                    accepted(without("Sec-WebSocket-Key", "Sec-WebSocket-Key: " + key))
                            .get("sec-websocket-accept"),
                    key);
        }
    }

    // ---------------------------------------------------------------- (6) Sec-WebSocket-Version:
    // 13

    @ParameterizedTest
    @ValueSource(strings = {"8", "7", "12", "14", "13, 8", ""})
    void anotherVersionGets426NamingVersion13(String version) {
        HttpRefusal r =
                refused(without("Sec-WebSocket-Version", "Sec-WebSocket-Version: " + version));
        assertEquals(426, r.status());
        assertArrayEquals(
                new String[] {"Sec-WebSocket-Version: 13"},
                r.extraHeaders(),
                "§4.4: the versions the server speaks");
    }

    @Test
    void aMissingVersionGets426NamingVersion13() {
        HttpRefusal r = refused(without("Sec-WebSocket-Version"));
        assertEquals(426, r.status());
        assertArrayEquals(new String[] {"Sec-WebSocket-Version: 13"}, r.extraHeaders());
    }

    @Test
    void twoVersionHeadersAreRefused() {
        assertEquals(400, refused(without("Origin", "Sec-WebSocket-Version: 13")).status());
    }

    // ---------------------------------------------------------------- (7) Origin (§10.2)

    @Test
    void noOriginIsANonBrowserClientAndAccepted() throws Exception {
        assertEquals(
                "HTTP/1.1 101 Switching Protocols", accepted(without("Origin")).get(":status"));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "https://evil.example",
                "https://gw.example:8444",
                "null",
                "https://gw.example:8443.evil.example"
            })
    void aForeignOriginGets403(String origin) {
        assertEquals(403, refused(without("Origin", "Origin: " + origin)).status());
    }

    @Test
    void twoOriginsAreRefused() {
        assertEquals(
                400,
                refused(without("Host", "Host: gw.example:8443", "Origin: https://evil.example"))
                        .status());
    }

    // ---------------------------------------------------------------- (8), (9) subprotocols and
    // extensions

    @ParameterizedTest
    @ValueSource(
            strings = {
                "permessage-deflate",
                "permessage-deflate; client_max_window_bits",
                "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
                "permessage-deflate; client_max_window_bits=9, permessage-deflate",
                "x-webkit-deflate-frame",
            })
    void offeredExtensionsAreDeclinedByOmission(String offer) throws Exception {
        Map<String, String> h = accepted(without("X-None", "Sec-WebSocket-Extensions: " + offer));
        assertEquals("HTTP/1.1 101 Switching Protocols", h.get(":status"));
        assertFalse(
                h.containsKey("sec-websocket-extensions"),
                "§9.1: no extension is in use unless the server names it");
    }

    @Test
    void offeredSubprotocolsAreDeclinedByOmission() throws Exception {
        Map<String, String> h =
                accepted(without("X-None", "Sec-WebSocket-Protocol: chat, superchat"));
        assertEquals("HTTP/1.1 101 Switching Protocols", h.get(":status"));
        assertFalse(
                h.containsKey("sec-websocket-protocol"),
                "§4.2.2 (5.4): no subprotocol header unless one is selected");
    }
}
