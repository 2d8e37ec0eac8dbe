package dev.hybridge.gateway.selfhost;

import dev.hybridge.crypto.handshake.HopClient;
import dev.hybridge.crypto.record.Channel;
import dev.hybridge.protocol.RoomCodec;
import dev.hybridge.protocol.RoomMessage;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * A WebSocket client on a bare socket (TLS to nginx, or plain), for what java.net.http cannot do:
 * see the status of a refused upgrade, send frames with RSV bits, never answer a close, stop
 * reading. Frames from the server are read raw.
 */
final class TlsWebSocket implements AutoCloseable {
    private static final SecureRandom RNG = new SecureRandom();

    record Frame(int opcode, byte[] payload) {
        int closeCode() {
            return payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : -1;
        }
    }

    final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private Channel channel;

    TlsWebSocket(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    /** The upgrade request for {@code host} (host:port), as a browser without an Origin sends it. */
    static byte[] upgradeRequest(String host) {
        byte[] key = new byte[16];
        RNG.nextBytes(key);
        return ("GET /ws HTTP/1.1\r\nHost: "
                        + host
                        + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Key: "
                        + Base64.getEncoder().encodeToString(key)
                        + "\r\nSec-WebSocket-Version: 13\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** Sends the upgrade request; returns the response's status code (101 when upgraded), or -1 if the socket closed first. */
    int upgrade(String host) throws IOException {
        out.write(upgradeRequest(host));
        out.flush();
        String head = dev.hybridge.gateway.testing.RawWebSocket.readHead(in);
        if (!head.startsWith("HTTP/1.1 ")) {
            return -1;
        }
        return Integer.parseInt(head.substring(9, 12));
    }

    /** The hop handshake (after a 101), raw frames. */
    void handshake(byte[] gatewayPublicKey) throws Exception {
        HopClient.Started started = HopClient.start(gatewayPublicKey, RNG);
        sendFrame(0x2, started.clientHello(), 0);
        Frame serverHello = readFrame();
        if (serverHello.opcode() != 0x2) {
            throw new IOException(
                    "expected ServerHello, got opcode "
                            + serverHello.opcode()
                            + " close "
                            + serverHello.closeCode());
        }
        HopClient.Established est = started.next().receive(serverHello.payload());
        sendFrame(0x2, est.clientFinished(), 0);
        channel = est.channel();
    }

    void send(RoomMessage m) throws Exception {
        sendFrame(0x2, channel.seal(RoomCodec.encode(m)), 0);
    }

    /** The next room message; pings and pongs are skipped. */
    RoomMessage receive() throws Exception {
        while (true) {
            Frame f = readFrame();
            if (f.opcode() == 0x2) {
                return RoomCodec.decodeFromGateway(channel.open(f.payload()));
            }
            if (f.opcode() == 0x8) {
                throw new IOException("closed with " + f.closeCode());
            }
        }
    }

    /** One masked frame with FIN set and {@code rsv} (bits 4-6 of the first byte, e.g. 0x40 = RSV1), framed by the gateway's codec. */
    void sendFrame(int opcode, byte[] payload, int rsv) throws IOException {
        byte[] f =
                new byte
                        [dev.hybridge.gateway.ws.WsCodec.headerSize(payload.length, true)
                                + payload.length];
        dev.hybridge.gateway.ws.WsCodec.encodeMasked(
                f, 0, true, opcode, payload, 0, payload.length, RNG.nextInt());
        f[0] |= (byte) rsv;
        out.write(f);
        out.flush();
    }

    /** The next server frame (server frames are not masked). */
    Frame readFrame() throws IOException {
        dev.hybridge.gateway.testing.RawWebSocket.Frame f =
                dev.hybridge.gateway.testing.RawWebSocket.readFrame(in);
        return new Frame(f.opcode(), f.payload());
    }

    /**
     * Reads and discards everything until the peer closes the connection; true if it did within
     * the socket's read timeout, false if the stream was still open then.
     */
    static boolean drainsToEnd(Socket s) throws IOException {
        byte[] buf = new byte[64 * 1024];
        try {
            InputStream in = s.getInputStream();
            while (in.read(buf) >= 0) {
                // discard
            }
            return true;
        } catch (java.net.SocketTimeoutException stillOpen) {
            return false;
        } catch (SocketException | javax.net.ssl.SSLException reset) {
            return true; // reset, or the TLS layer saw the TCP connection end without close_notify
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
