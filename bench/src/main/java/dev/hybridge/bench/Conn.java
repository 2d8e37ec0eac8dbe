package dev.hybridge.bench;

import dev.hybridge.gateway.ws.WsCodec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A lean WebSocket client for the load tool. Receiving runs on two selector threads shared by
 * every connection (one per core), which parse all frames a read returns and call the handler
 * inline; sending is one write per message from the caller's thread, as a browser sends. The
 * JDK's java.net.http client cost the load generator about 100 us of CPU per relayed envelope,
 * and a reader thread per connection about 30 us, several times the relay itself, so on a
 * 2-core machine the benchmark mostly measured itself. Client frames are masked as RFC 6455
 * requires, with keys from a fast non-cryptographic generator (fine for a loopback benchmark).
 */
final class Conn {
    volatile Consumer<byte[]> onBinary = b -> {};
    volatile Consumer<String> onText = s -> {};

    /** Called once on a reactor thread when the peer closed the connection or it broke (not after {@link #abort()}). */
    volatile Runnable onClose = () -> {};

    private final SocketChannel channel;
    private final ByteBuffer in = ByteBuffer.allocate(72 * 1024);
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
    private int partialOp;

    private static final Reactor[] REACTORS = {new Reactor(0), new Reactor(1)};
    private static final AtomicInteger NEXT = new AtomicInteger();
    private static final java.util.concurrent.ScheduledExecutorService TIMER =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
                    r -> {
                        Thread t = new Thread(r, "bench-ws-timeout");
                        t.setDaemon(true);
                        return t;
                    });

    private Conn(SocketChannel channel) {
        this.channel = channel;
    }

    static Conn open(URI uri) {
        return open(uri, 0);
    }

    /** As {@link #open(URI)}; with {@code timeoutMs > 0}, connect and upgrade together take at most that long. */
    static Conn open(URI uri, long timeoutMs) {
        SocketChannel opened = null;
        java.util.concurrent.ScheduledFuture<?> timeout = null;
        try {
            SocketChannel ch = SocketChannel.open();
            opened = ch;
            if (timeoutMs > 0) { // closing the channel ends a blocking connect or read at once
                timeout =
                        TIMER.schedule(
                                () -> {
                                    try {
                                        ch.close();
                                    } catch (IOException ignored) {
                                        // closing anyway
                                    }
                                },
                                timeoutMs,
                                java.util.concurrent.TimeUnit.MILLISECONDS);
            }
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.connect(new InetSocketAddress(uri.getHost(), uri.getPort()));
            Conn c = new Conn(ch);
            byte[] key = new byte[16];
            ThreadLocalRandom.current().nextBytes(key);
            String req =
                    "GET "
                            + uri.getRawPath()
                            + " HTTP/1.1\r\nHost: "
                            + uri.getHost()
                            + ":"
                            + uri.getPort()
                            + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
                            + Base64.getEncoder().encodeToString(key)
                            + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
            c.writeFully(ByteBuffer.wrap(req.getBytes(StandardCharsets.US_ASCII)));
            String head = c.readHead();
            if (!head.startsWith("HTTP/1.1 101")) {
                ch.close();
                throw new IOException(
                        "upgrade refused: " + head.lines().findFirst().orElse("(nothing)"));
            }
            if (timeout != null && !timeout.cancel(false)) {
                throw new IOException("no upgrade within " + timeoutMs + " ms");
            }
            ch.configureBlocking(false);
            REACTORS[Math.floorMod(NEXT.getAndIncrement(), REACTORS.length)].add(c);
            return c;
        } catch (IOException e) {
            if (timeout != null) {
                timeout.cancel(false);
            }
            if (opened != null) {
                try {
                    opened.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
            throw new UncheckedIOException(e);
        }
    }

    boolean isOpen() {
        return channel.isOpen();
    }

    void send(byte[] b) {
        write(0x2, b);
    }

    void sendText(String s) {
        write(0x1, s.getBytes(StandardCharsets.UTF_8));
    }

    void abort() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    private void write(int opcode, byte[] payload) {
        // framed and masked by the gateway's own RFC 6455 codec (one codec for gateway, tests and
        // this tool)
        byte[] frame = new byte[WsCodec.headerSize(payload.length, true) + payload.length];
        WsCodec.encodeMasked(
                frame,
                0,
                true,
                opcode,
                payload,
                0,
                payload.length,
                ThreadLocalRandom.current().nextInt());
        try {
            synchronized (this) {
                writeFully(ByteBuffer.wrap(frame));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes all of {@code b}; a non-blocking channel whose buffer is full is retried after a yield. */
    private void writeFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (channel.write(b) == 0) {
                Thread.yield();
            }
        }
    }

    private String readHead() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        ByteBuffer one = ByteBuffer.allocate(1);
        int state = 0;
        while (state < 4) {
            one.clear();
            if (channel.read(one) < 0) {
                break;
            }
            int c = one.get(0);
            b.write(c);
            state =
                    (c == '\r' && (state == 0 || state == 2))
                                    || (c == '\n' && (state == 1 || state == 3))
                            ? state + 1
                            : 0;
        }
        return b.toString(StandardCharsets.US_ASCII);
    }

    /** Reads what the socket has and handles every complete frame; false when the connection ended. */
    private boolean readable() {
        try {
            if (channel.read(in) < 0) {
                return false;
            }
        } catch (IOException e) {
            return false;
        }
        in.flip();
        while (true) {
            int start = in.position();
            WsCodec.Header h =
                    WsCodec.decodeHeader(in.array(), in.arrayOffset() + start, in.remaining());
            if (h == null) {
                break; // the header is not whole yet
            }
            if (h.length() < 0 || h.length() > in.capacity() - 14) {
                return false; // larger than this tool ever receives
            }
            if (in.remaining() < h.headerLength() + h.length()) {
                break;
            }
            in.position(start + h.headerLength());
            byte[] payload = new byte[(int) h.length()];
            in.get(payload);
            if (!frame((h.fin() ? 0x80 : 0) | h.opcode(), payload)) {
                return false;
            }
        }
        in.compact();
        return true;
    }

    private boolean frame(int b0, byte[] payload) {
        int op = b0 & 0x0F;
        boolean fin = (b0 & 0x80) != 0;
        switch (op) {
            case 0x8 -> {
                return false;
            }
            case 0x9 -> write(0xA, payload);
            case 0xA -> {}
            default -> {
                if (op != 0) {
                    partialOp = op;
                }
                byte[] whole = payload;
                if (!fin || partial.size() > 0) {
                    partial.writeBytes(payload);
                    if (!fin) {
                        return true;
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
        return true;
    }

    private void closed() {
        try {
            onClose.run();
        } catch (RuntimeException e) {
            System.err.println("bench client onClose: " + e);
        }
    }

    /** One selector thread: registers new connections and serves every readable one. */
    private static final class Reactor implements Runnable {
        private final ConcurrentLinkedQueue<Conn> added = new ConcurrentLinkedQueue<>();
        private final Selector selector;

        Reactor(int index) {
            try {
                selector = Selector.open();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Thread t = new Thread(this, "bench-ws-reactor-" + index);
            t.setDaemon(true);
            t.start();
        }

        void add(Conn c) {
            added.add(c);
            selector.wakeup();
        }

        @Override
        public void run() {
            while (true) {
                try {
                    selector.select();
                    Conn c;
                    while ((c = added.poll()) != null) {
                        try {
                            c.channel.register(selector, SelectionKey.OP_READ, c);
                        } catch (IOException e) {
                            c.abort(); // closed before it was registered
                        }
                    }
                    for (var it = selector.selectedKeys().iterator(); it.hasNext(); ) {
                        SelectionKey k = it.next();
                        it.remove();
                        Conn conn = (Conn) k.attachment();
                        if (!k.isValid() || !conn.readable()) {
                            k.cancel();
                            boolean wasOpen = conn.channel.isOpen();
                            conn.abort();
                            if (wasOpen) {
                                conn.closed();
                            }
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    System.err.println("bench reactor: " + e);
                }
            }
        }
    }
}
