package dev.hybridge.bench;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * A lean WebSocket client for the load tool: one blocking socket, a virtual thread that reads,
 * and one write system call per message (as a browser sends). The JDK's java.net.http client
 * cost the load generator about 100 us of CPU per relayed envelope, several times the relay
 * itself, so on a 2-core machine it measured mostly itself. Client frames are masked as RFC 6455
 * requires; the masking key comes from a fast non-cryptographic generator, which is fine for a
 * benchmark on loopback.
 */
final class Conn {
    volatile Consumer<byte[]> onBinary = b -> { };
    volatile Consumer<String> onText = s -> { };
    private final Socket socket;
    private final OutputStream out;
    private final DataInputStream in;

    private Conn(Socket socket) throws IOException {
        this.socket = socket;
        this.out = socket.getOutputStream();
        this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 65536));
    }

    static Conn open(URI uri) {
        try {
            Socket s = new Socket();
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 30_000);
            Conn c = new Conn(s);
            byte[] key = new byte[16];
            ThreadLocalRandom.current().nextBytes(key);
            String req = "GET " + uri.getRawPath() + " HTTP/1.1\r\nHost: " + uri.getHost() + ":" + uri.getPort()
                    + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
                    + Base64.getEncoder().encodeToString(key) + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
            c.out.write(req.getBytes(StandardCharsets.US_ASCII));
            String head = readHead(c.in);
            if (!head.startsWith("HTTP/1.1 101")) {
                s.close();
                throw new IOException("upgrade refused: " + head.lines().findFirst().orElse("(nothing)"));
            }
            Thread.ofVirtual().name("bench-ws-reader").start(c::readLoop);
            return c;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void send(byte[] b) {
        write(0x2, b);
    }

    void sendText(String s) {
        write(0x1, s.getBytes(StandardCharsets.UTF_8));
    }

    void abort() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    private void write(int opcode, byte[] payload) {
        int n = payload.length;
        int header = n < 126 ? 2 : n < 65536 ? 4 : 10;
        byte[] frame = new byte[header + 4 + n];
        frame[0] = (byte) (0x80 | opcode);
        int at;
        if (n < 126) {
            frame[1] = (byte) (0x80 | n);
            at = 2;
        } else if (n < 65536) {
            frame[1] = (byte) (0x80 | 126);
            frame[2] = (byte) (n >>> 8);
            frame[3] = (byte) n;
            at = 4;
        } else {
            frame[1] = (byte) (0x80 | 127);
            for (int i = 0; i < 8; i++) {
                frame[2 + i] = (byte) ((long) n >>> (56 - 8 * i));
            }
            at = 10;
        }
        int mask = ThreadLocalRandom.current().nextInt();
        byte[] m = {(byte) (mask >>> 24), (byte) (mask >>> 16), (byte) (mask >>> 8), (byte) mask};
        System.arraycopy(m, 0, frame, at, 4);
        at += 4;
        for (int i = 0; i < n; i++) {
            frame[at + i] = (byte) (payload[i] ^ m[i & 3]);
        }
        try {
            synchronized (out) {
                out.write(frame);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void readLoop() {
        ByteArrayOutputStream partial = new ByteArrayOutputStream();
        int partialOp = 0;
        try {
            while (true) {
                int b0 = in.readUnsignedByte();
                int b1 = in.readUnsignedByte();
                long len = b1 & 0x7F;
                if (len == 126) {
                    len = in.readUnsignedShort();
                } else if (len == 127) {
                    len = in.readLong();
                }
                byte[] payload = new byte[(int) len];
                in.readFully(payload);
                int op = b0 & 0x0F;
                boolean fin = (b0 & 0x80) != 0;
                switch (op) {
                    case 0x8 -> {
                        abort();
                        return;
                    }
                    case 0x9 -> write(0xA, payload);
                    case 0xA -> { }
                    default -> {
                        if (op != 0) {
                            partialOp = op;
                        }
                        byte[] whole = payload;
                        if (!fin || partial.size() > 0) {
                            partial.writeBytes(payload);
                            if (!fin) {
                                continue;
                            }
                            whole = partial.toByteArray();
                            partial.reset();
                        }
                        if (partialOp == 0x2) {
                            onBinary.accept(whole);
                        } else {
                            onText.accept(new String(whole, StandardCharsets.UTF_8));
                        }
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // socket closed: by abort() or by the server
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int c = in.read();
            if (c < 0) {
                break;
            }
            b.write(c);
            state = (c == '\r' && (state == 0 || state == 2)) || (c == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
        }
        return b.toString(StandardCharsets.US_ASCII);
    }
}
