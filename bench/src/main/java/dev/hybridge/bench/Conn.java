package dev.hybridge.bench;

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
    volatile Consumer<byte[]> onBinary = b -> { };
    volatile Consumer<String> onText = s -> { };
    /** Called once on a reactor thread when the peer closed the connection or it broke (not after {@link #abort()}). */
    volatile Runnable onClose = () -> { };
    private final SocketChannel channel;
    private final ByteBuffer in = ByteBuffer.allocate(72 * 1024);
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
    private int partialOp;

    private static final java.lang.invoke.VarHandle LONGS =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.BIG_ENDIAN);
    private static final java.lang.invoke.VarHandle INTS =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(int[].class, java.nio.ByteOrder.BIG_ENDIAN);
    private static final Reactor[] REACTORS = {new Reactor(0), new Reactor(1)};
    private static final AtomicInteger NEXT = new AtomicInteger();
    private static final java.util.concurrent.ScheduledExecutorService TIMER =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
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
                timeout = TIMER.schedule(() -> {
                    try {
                        ch.close();
                    } catch (IOException ignored) {
                        // closing anyway
                    }
                }, timeoutMs, java.util.concurrent.TimeUnit.MILLISECONDS);
            }
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.connect(new InetSocketAddress(uri.getHost(), uri.getPort()));
            Conn c = new Conn(ch);
            byte[] key = new byte[16];
            ThreadLocalRandom.current().nextBytes(key);
            String req = "GET " + uri.getRawPath() + " HTTP/1.1\r\nHost: " + uri.getHost() + ":" + uri.getPort()
                    + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
                    + Base64.getEncoder().encodeToString(key) + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
            c.writeFully(ByteBuffer.wrap(req.getBytes(StandardCharsets.US_ASCII)));
            String head = c.readHead();
            if (!head.startsWith("HTTP/1.1 101")) {
                ch.close();
                throw new IOException("upgrade refused: " + head.lines().findFirst().orElse("(nothing)"));
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
        INTS.set(frame, at, mask);
        at += 4;
        long mask8 = (mask & 0xFFFFFFFFL) | ((long) mask << 32);
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            LONGS.set(frame, at + i, (long) LONGS.get(payload, i) ^ mask8);
        }
        for (; i < n; i++) {
            frame[at + i] = (byte) (payload[i] ^ (mask >>> (24 - 8 * (i & 3))));
        }
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
            state = (c == '\r' && (state == 0 || state == 2)) || (c == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
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
            if (in.remaining() < 2) {
                break;
            }
            int b0 = in.get() & 0xFF;
            int b1 = in.get() & 0xFF;
            long len = b1 & 0x7F;
            if (len == 126) {
                if (in.remaining() < 2) {
                    in.position(start);
                    break;
                }
                len = in.getShort() & 0xFFFF;
            } else if (len == 127) {
                if (in.remaining() < 8) {
                    in.position(start);
                    break;
                }
                len = in.getLong();
            }
            if (len > in.capacity() - 14) {
                return false; // larger than this tool ever receives
            }
            if (in.remaining() < len) {
                in.position(start);
                break;
            }
            byte[] payload = new byte[(int) len];
            in.get(payload);
            if (!frame(b0, payload)) {
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
            case 0xA -> { }
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
