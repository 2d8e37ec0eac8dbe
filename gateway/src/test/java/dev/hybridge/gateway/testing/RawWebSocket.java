package dev.hybridge.gateway.testing;

import dev.hybridge.gateway.ws.WsCodec;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * A WebSocket client written on a bare socket, for what java.net.http cannot do: never answer
 * pings, send arbitrary frames. Frames from the server are read raw.
 */
public final class RawWebSocket implements AutoCloseable {
    private static final SecureRandom RNG = new SecureRandom();

    /** One server frame. */
    public record Frame(int opcode, byte[] payload) {
        public int closeCode() {
            return payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : -1;
        }

        public String closeReason() {
            return payload.length > 2
                    ? new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8)
                    : "";
        }
    }

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;

    private RawWebSocket(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    /** Opens the socket and performs the upgrade; fails unless the server answers 101. */
    public static RawWebSocket connect(int port) throws IOException {
        return connect(port, "127.0.0.1");
    }

    /**
     * As {@link #connect(int)}, from the loopback address {@code localIp} (127.0.0.2 and so on):
     * an attacker at another address than the healthy clients.
     */
    public static RawWebSocket connect(int port, String localIp) throws IOException {
        Socket s = new Socket();
        s.bind(new java.net.InetSocketAddress(localIp, 0));
        s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 10_000);
        s.setSoTimeout(10_000);
        RawWebSocket ws = new RawWebSocket(s);
        byte[] key = new byte[16];
        RNG.nextBytes(key);
        String req =
                "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:"
                        + port
                        + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Key: "
                        + Base64.getEncoder().encodeToString(key)
                        + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
        ws.out.write(req.getBytes(StandardCharsets.US_ASCII));
        ws.out.flush();
        String head = readHead(ws.in);
        if (!head.startsWith("HTTP/1.1 101")) {
            s.close();
            throw new IOException("upgrade refused: " + head.lines().findFirst().orElse(""));
        }
        return ws;
    }

    /** Reads an HTTP response head up to its empty line (for raw-socket tests). */
    public static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int c = in.read();
            if (c < 0) {
                break;
            }
            b.write(c);
            state =
                    (c == '\r' && (state == 0 || state == 2))
                                    || (c == '\n' && (state == 1 || state == 3))
                            ? state + 1
                            : 0;
        }
        return b.toString(StandardCharsets.US_ASCII);
    }

    /** Sends one masked frame (framed by the gateway's own codec, as a client must frame it). */
    public void sendFrame(int opcode, byte[] payload, boolean fin) throws IOException {
        byte[] f = new byte[WsCodec.headerSize(payload.length, true) + payload.length];
        WsCodec.encodeMasked(f, 0, fin, opcode, payload, 0, payload.length, RNG.nextInt());
        out.write(f);
        out.flush();
    }

    /** The TCP socket, for tests that stop reading or set timeouts. */
    public Socket socket() {
        return socket;
    }

    /** Sends bytes as they are: hand-made frame headers, partial frames. */
    public void sendBytes(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** True once the server has closed the TCP connection (the next read sees end of stream). */
    public boolean serverClosedSocket() throws IOException {
        try {
            return in.read() < 0;
        } catch (java.net.SocketException e) {
            return true; // reset
        }
    }

    public void sendBinary(byte[] payload) throws IOException {
        sendFrame(0x2, payload, true);
    }

    /** Reads the next server frame (server frames are not masked). */
    public Frame readFrame() throws IOException {
        return readFrame(in);
    }

    /** Reads one unmasked server frame from {@code in}, its header decoded by the gateway's codec. */
    public static Frame readFrame(DataInputStream in) throws IOException {
        byte[] header = new byte[10];
        in.readFully(header, 0, 2);
        int lengthCode = header[1] & 0x7F;
        int extended = lengthCode == 126 ? 2 : lengthCode == 127 ? 8 : 0;
        in.readFully(header, 2, extended);
        WsCodec.Header h = WsCodec.decodeHeader(header, 0, 2 + extended);
        byte[] payload = new byte[(int) h.length()];
        in.readFully(payload);
        return new Frame(h.opcode(), payload);
    }

    /** Reads frames until a close frame; pings are read and deliberately not answered. */
    public Frame readUntilClose() throws IOException {
        while (true) {
            Frame f = readFrame();
            if (f.opcode() == 0x8) {
                return f;
            }
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
