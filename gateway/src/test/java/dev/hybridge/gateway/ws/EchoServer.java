package dev.hybridge.gateway.ws;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A test-only WebSocket echo server on 127.0.0.1: the edge's own request reader and handshake
 * check (RequestHead.read and WsHandshake.accept, reached by reflection because they are
 * package-private in dev.hybridge.gateway.edge) answer the upgrade, then the real {@link WsSocket}
 * runs with an echo listener. The listener does what {@link Connection} does on failures (close
 * frame with the code, then {@link WsSocket#refuse()}, then a cut after a grace period if the
 * client never answers) and nothing else: text and binary messages come back as single frames,
 * pings as pongs.
 */
final class EchoServer implements AutoCloseable {
    /** How long a refused connection may take to answer our close frame (Connection uses 2 s). */
    static final long CLOSE_GRACE_MILLIS = 1_000;

    private static final Method READ_HEAD;
    private static final Method ACCEPT;

    static {
        try {
            Class<?> head = Class.forName("dev.hybridge.gateway.edge.RequestHead");
            Class<?> handshake = Class.forName("dev.hybridge.gateway.edge.WsHandshake");
            READ_HEAD = head.getDeclaredMethod("read", InputStream.class);
            ACCEPT = handshake.getDeclaredMethod("accept", head, OriginPolicy.class);
            READ_HEAD.setAccessible(true);
            ACCEPT.setAccessible(true);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final ServerSocket server;
    private final int maxMessageBytes;

    /** Non-null: upgraded sockets go to this event loop, as the edge hands plain TCP over. */
    private final dev.hybridge.gateway.edge.EventLoop loop;

    private final ScheduledExecutorService timer =
            Executors.newSingleThreadScheduledExecutor(
                    r -> {
                        Thread t = new Thread(r, "echo-close-grace");
                        t.setDaemon(true);
                        return t;
                    });
    private final Thread acceptor;

    /** @param onLoop serve upgraded sockets on an event loop (the plain-TCP path) instead of a blocking reader thread */
    EchoServer(int maxMessageBytes, boolean onLoop) throws IOException {
        this.maxMessageBytes = maxMessageBytes;
        java.nio.channels.ServerSocketChannel ch = java.nio.channels.ServerSocketChannel.open();
        ch.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        this.server = ch.socket();
        this.loop = onLoop ? new dev.hybridge.gateway.edge.EventLoop("echo-loop") : null;
        if (loop != null) {
            loop.start();
        }
        this.acceptor = Thread.ofPlatform().daemon().name("echo-accept").start(this::acceptLoop);
    }

    int port() {
        return server.getLocalPort();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                Thread.ofVirtual().name("echo-conn").start(() -> serve(s));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(Socket s) {
        boolean handedOver = false;
        try {
            s.setTcpNoDelay(true);
            HeadBuffer in = new HeadBuffer(s.getInputStream());
            OutputStream out = s.getOutputStream();
            byte[] switching;
            try {
                Object head = READ_HEAD.invoke(null, in);
                if (head == null) {
                    return;
                }
                switching = (byte[]) ACCEPT.invoke(null, head, new OriginPolicy(List.of()));
            } catch (InvocationTargetException e) {
                // HttpRefusal or a broken request: refuse plainly, the handshake tests say more
                out.write(
                        "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                                .getBytes(StandardCharsets.US_ASCII));
                return;
            }
            out.write(switching);
            out.flush();
            if (loop != null) {
                byte[] first = in.takeBuffered(); // read past the request already
                java.nio.channels.SocketChannel ch = s.getChannel();
                dev.hybridge.gateway.edge.LoopTransport lt =
                        new dev.hybridge.gateway.edge.LoopTransport(loop, ch, () -> {});
                handedOver = true;
                loop.adopt(
                        ch,
                        lt,
                        t -> {
                            WsSocket ws = new WsSocket(t, new Echo(), maxMessageBytes);
                            ws.open();
                            return ws;
                        },
                        first);
                return;
            }
            Transport t =
                    new Transport() {
                        @Override
                        public InputStream in() {
                            return in;
                        }

                        @Override
                        public boolean blocking() {
                            return true;
                        }

                        @Override
                        public void write(byte[] b, int off, int len) throws IOException {
                            out.write(b, off, len);
                            out.flush();
                        }

                        @Override
                        public long unsent() {
                            return 0;
                        }

                        @Override
                        public void finish() {}

                        @Override
                        public void cut() {
                            try {
                                s.close();
                            } catch (IOException e) {
                                // closing is all we wanted
                            }
                        }
                    };
            new WsSocket(t, new Echo(), maxMessageBytes).run(new byte[0]);
            // as the edge does: FIN first, then drop what still comes, so no reset destroys our
            // last frames
            try {
                s.shutdownOutput();
                s.setSoTimeout(2_000);
                byte[] sink = new byte[1024];
                int total = 0;
                int n;
                while (total < 64 * 1024 && (n = in.read(sink)) > 0) {
                    total += n;
                }
            } catch (IOException e) {
                // closed meanwhile
            }
        } catch (IOException | ReflectiveOperationException | RuntimeException e) {
            // the client went away; the test sees it from its side
        } finally {
            if (!handedOver) {
                try {
                    s.close();
                } catch (IOException e) {
                    // closing is all we wanted
                }
            }
        }
    }

    /** Echoes messages, answers pings, and closes on failures as Connection does. */
    private final class Echo implements WsSocket.Listener {
        private WsSocket socket;

        @Override
        public void onOpen(WsSocket socket) {
            this.socket = socket;
        }

        @Override
        public boolean onFrame() {
            return true;
        }

        @Override
        public void onBinary(byte[] message) {
            send(WsCodec.OP_BINARY, message);
        }

        @Override
        public void onText(byte[] utf8) {
            send(WsCodec.OP_TEXT, utf8);
        }

        @Override
        public void onPing(byte[] payload) {
            send(WsCodec.OP_PONG, payload);
        }

        @Override
        public void onPong() {
            // unsolicited pongs are ignored (RFC 6455 §5.5.3)
        }

        @Override
        public void onTooBig() {
            fail(WsCodec.TOO_BIG);
        }

        @Override
        public void onProtocolError(int closeCode, String reason) {
            fail(closeCode);
        }

        @Override
        public void onClosed(int code, String reason) {}

        private void send(int opcode, byte[] payload) {
            byte[] f = new byte[WsCodec.frameSize(payload.length)];
            int n = WsCodec.encode(f, 0, opcode, payload, 0, payload.length);
            socket.write(f, n, false);
        }

        private void fail(int code) {
            byte[] p = WsCodec.closePayload(code, "");
            byte[] f = new byte[WsCodec.frameSize(p.length)];
            int n = WsCodec.encode(f, 0, WsCodec.OP_CLOSE, p, 0, p.length);
            WsSocket s = socket;
            s.refuse();
            timer.schedule(s::cut, CLOSE_GRACE_MILLIS, TimeUnit.MILLISECONDS);
            s.write(f, n, true);
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        if (loop != null) {
            loop.stop();
        }
        timer.shutdownNow();
        try {
            acceptor.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The request head's buffer, whose leftover (bytes the client sent after the request) the
     * event loop gets as they are. Not {@code available()} and {@code readNBytes}: with bytes
     * arriving meanwhile (a client writing in chops of one octet), readNBytes refilled the buffer
     * with more than it returned, those bytes were lost, and the next frame was misread (3.4 seen
     * failing with 1007 instead of 1002). The gateway does the same with HeadInput.takeBuffered.
     */
    private static final class HeadBuffer extends BufferedInputStream {
        HeadBuffer(InputStream in) {
            super(in, 16 * 1024);
        }

        byte[] takeBuffered() {
            byte[] b = java.util.Arrays.copyOfRange(buf, pos, count);
            pos = count;
            return b;
        }
    }
}
