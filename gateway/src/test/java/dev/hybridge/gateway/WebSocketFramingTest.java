package dev.hybridge.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hybridge.crypto.handshake.HopClient;
import dev.hybridge.gateway.testing.NextToAHealthyRoom;
import dev.hybridge.gateway.testing.RawWebSocket;
import dev.hybridge.gateway.testing.TestGateway;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway's own WebSocket layer (WsSocket, WsUpgrade) against RFC 6455, frame by frame on a
 * bare socket: every framing error closes with its code and is counted, well-formed but unusual
 * input (fragments, pings between fragments, closing handshake) works, and a healthy room on
 * the same gateway loses nothing meanwhile.
 */
class WebSocketFramingTest extends NextToAHealthyRoom {
    static final SecureRandom RNG = new SecureRandom();
    static final String PROTOCOL_METRIC =
            "hybridge_inputs_rejected_total{reason=\"WEBSOCKET_PROTOCOL\"}";

    @TempDir static Path dir;
    static TestGateway gw;

    @BeforeAll
    static void start() throws Exception {
        gw =
                TestGateway.start(
                        dir.resolve("gateway.key"),
                        Map.of("hybridge.limits.connections-per-address", "8"));
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    @Override
    protected TestGateway gateway() {
        return gw;
    }

    /** Sends {@code bytes} on a fresh connection; asserts close {@code code}, a closed socket and the metric. */
    private void assertProtocolError(byte[] bytes, int code) throws Exception {
        long before = gw.metric(PROTOCOL_METRIC);
        try (RawWebSocket raw = RawWebSocket.connect(gw.port())) {
            raw.sendBytes(bytes);
            RawWebSocket.Frame close = raw.readUntilClose();
            assertEquals(code, close.closeCode(), "close code, reason: " + close.closeReason());
            raw.sendFrame(
                    0x8,
                    new byte[] {(byte) (code >> 8), (byte) code},
                    true); // finish the closing handshake
            assertTrue(
                    raw.serverClosedSocket(),
                    "the server ends the TCP connection after the closing handshake");
        }
        assertEquals(before + 1, gw.metric(PROTOCOL_METRIC), "counted as " + PROTOCOL_METRIC);
    }

    /** A masked client frame with arbitrary first byte. */
    private static byte[] frame(int b0, byte[] payload) {
        ByteArrayOutputStream f = new ByteArrayOutputStream();
        f.write(b0);
        f.write(0x80 | payload.length); // tests use payloads under 126 bytes
        byte[] mask = new byte[4];
        RNG.nextBytes(mask);
        f.writeBytes(mask);
        for (int i = 0; i < payload.length; i++) {
            f.write(payload[i] ^ mask[i & 3]);
        }
        return f.toByteArray();
    }

    @Test
    void reservedBitsAreAProtocolError() throws Exception {
        assertProtocolError(
                frame(0x80 | 0x40 | 0x2, new byte[10]), 1002); // RSV1 without permessage-deflate
    }

    @Test
    void unmaskedClientFrameIsAProtocolError() throws Exception {
        assertProtocolError(new byte[] {(byte) 0x82, 3, 1, 2, 3}, 1002);
    }

    @Test
    void unknownOpcodeIsAProtocolError() throws Exception {
        assertProtocolError(frame(0x80 | 0x3, new byte[4]), 1002);
    }

    @Test
    void fragmentedPingIsAProtocolError() throws Exception {
        assertProtocolError(frame(0x9, new byte[4]), 1002);
    }

    @Test
    void continuationWithoutAMessageIsAProtocolError() throws Exception {
        assertProtocolError(frame(0x80, new byte[4]), 1002);
    }

    @Test
    void newMessageInsideAFragmentedOneIsAProtocolError() throws Exception {
        byte[] first = frame(0x2, new byte[4]);
        byte[] second = frame(0x82, new byte[4]);
        byte[] both = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, both, first.length, second.length);
        assertProtocolError(both, 1002);
    }

    @Test
    void closeWithAReservedCodeIsAProtocolError() throws Exception {
        assertProtocolError(
                frame(0x88, new byte[] {0x03, (byte) 0xED}), 1002); // 1005 must not be sent
    }

    @Test
    void closeWithOneBytePayloadIsAProtocolError() throws Exception {
        assertProtocolError(frame(0x88, new byte[] {0x03}), 1002);
    }

    @Test
    void closeReasonThatIsNotUtf8IsInvalidData() throws Exception {
        assertProtocolError(frame(0x88, new byte[] {0x03, (byte) 0xE8, (byte) 0xC3, 0x28}), 1007);
    }

    @Test
    void oversizedFrameIsRefusedFromItsHeader() throws Exception {
        long before = gw.metric("hybridge_limit_hits_total{limit=\"max_frame\"}");
        try (RawWebSocket raw = RawWebSocket.connect(gw.port())) {
            // the header announces 2^40 bytes; none of them is ever sent
            raw.sendBytes(
                    new byte[] {
                        (byte) 0x82, (byte) (0x80 | 127), 0, 0, 1, 0, 0, 0, 0, 0, 1, 2, 3, 4
                    });
            RawWebSocket.Frame close = raw.readUntilClose();
            assertEquals(1009, close.closeCode());
            assertEquals("MESSAGE_TOO_LARGE", close.closeReason());
        }
        assertEquals(before + 1, gw.metric("hybridge_limit_hits_total{limit=\"max_frame\"}"));
    }

    @Test
    void clientCloseIsEchoedAndTheSocketEnds() throws Exception {
        try (RawWebSocket raw = RawWebSocket.connect(gw.port())) {
            byte[] reason = "bye".getBytes(StandardCharsets.UTF_8);
            byte[] p = new byte[2 + reason.length];
            p[0] = (byte) (4321 >> 8);
            p[1] = (byte) 4321;
            System.arraycopy(reason, 0, p, 2, reason.length);
            raw.sendFrame(0x8, p, true);
            RawWebSocket.Frame close = raw.readUntilClose();
            assertEquals(4321, close.closeCode(), "the client's code is echoed");
            assertTrue(raw.serverClosedSocket());
        }
        GatewayFlowTest.waitFor(
                () -> gw.gateway().connectionLimiter().open() == 2); // only the healthy room
    }

    @Test
    void pingIsAnsweredWithItsPayload() throws Exception {
        try (RawWebSocket raw = RawWebSocket.connect(gw.port())) {
            byte[] payload = "are you there".getBytes(StandardCharsets.US_ASCII);
            raw.sendFrame(0x9, payload, true);
            RawWebSocket.Frame pong = raw.readFrame();
            assertEquals(0xA, pong.opcode());
            assertArrayEquals(payload, pong.payload());
        }
    }

    @Test
    void pingFloodIsRateLimitedLikeMessages() throws Exception {
        long before = gw.metric("hybridge_inputs_rejected_total{reason=\"RATE_LIMITED\"}");
        int burst = gw.gateway().limits().messageBurst();
        try (RawWebSocket raw = RawWebSocket.connect(gw.port())) {
            for (int i = 0; i < burst + 50; i++) {
                raw.sendFrame(0x9, new byte[] {1}, true);
            }
            RawWebSocket.Frame close = raw.readUntilClose(); // the pongs of the burst come first
            assertEquals(4104, close.closeCode());
            assertEquals("RATE_LIMITED", close.closeReason());
        }
        assertEquals(
                before + 1, gw.metric("hybridge_inputs_rejected_total{reason=\"RATE_LIMITED\"}"));
    }

    /** A ClientHello in three fragments with a ping between them is one message: the handshake proceeds. */
    @Test
    void fragmentsWithAPingBetweenThemAreJoined() throws Exception {
        HopClient.Started started = HopClient.start(gw.publicKey(), RNG);
        byte[] hello = started.clientHello();
        int a = hello.length / 3;
        int b = 2 * hello.length / 3;
        try (RawWebSocket raw = RawWebSocket.connect(gw.port())) {
            raw.sendFrame(0x2, Arrays.copyOfRange(hello, 0, a), false);
            raw.sendFrame(0x9, new byte[] {7}, true);
            raw.sendFrame(0x0, Arrays.copyOfRange(hello, a, b), false);
            raw.sendFrame(0x0, Arrays.copyOfRange(hello, b, hello.length), true);
            RawWebSocket.Frame pong = raw.readFrame();
            assertEquals(0xA, pong.opcode(), "the ping is answered mid-message");
            RawWebSocket.Frame serverHello = raw.readFrame();
            assertEquals(0x2, serverHello.opcode());
            started.next()
                    .receive(serverHello.payload()); // a valid ServerHello for our ClientHello
        }
    }

    @Test
    void upgradeWithAnotherVersionGets426WithOurs() throws Exception {
        String head =
                rawRequest(
                        "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n");
        assertTrue(head.startsWith("HTTP/1.1 426"), head);
        assertTrue(head.toLowerCase().contains("sec-websocket-version: 13"), head);
    }

    @Test
    void upgradeWithAKeyThatIsNot16BytesGets400() throws Exception {
        String head =
                rawRequest(
                        "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                + "Sec-WebSocket-Key: c2hvcnQ=\r\nSec-WebSocket-Version: 13\r\n\r\n");
        assertTrue(head.startsWith("HTTP/1.1 400"), head);
    }

    @Test
    void acceptValueIsTheOneOfRfc6455() throws Exception {
        // RFC 6455 §1.3: key "dGhlIHNhbXBsZSBub25jZQ==" gives "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        String head =
                rawRequest(
                        "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:"
                                + gw.port()
                                + "\r\nUpgrade: websocket\r\n"
                                + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
        assertTrue(head.startsWith("HTTP/1.1 101"), head);
        assertTrue(head.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), head);
    }

    private String rawRequest(String request) throws Exception {
        try (Socket s = new Socket("127.0.0.1", gw.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            int c;
            while ((c = in.read()) >= 0) {
                b.write(c);
                if (b.size() >= 4 && b.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
                    break;
                }
            }
            return b.toString(StandardCharsets.US_ASCII);
        }
    }
}
