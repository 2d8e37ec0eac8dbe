package dev.hybridge.gateway.testing;

import dev.hybridge.crypto.ProtocolException;
import dev.hybridge.crypto.handshake.HopClient;
import dev.hybridge.crypto.record.Channel;
import dev.hybridge.protocol.RoomCodec;
import dev.hybridge.protocol.RoomMessage;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A Hybridge client for tests: a real WebSocket (java.net.http) and the pq-crypto hop handshake
 * and record layer. Raw access ({@link #sendRaw}, {@link #nextRaw}) lets abuse tests send
 * anything; {@link #send}/{@link #receive} speak the room protocol.
 */
public final class TestClient implements AutoCloseable {
    public static final Duration WAIT = Duration.ofSeconds(10);
    private static final SecureRandom RNG = new SecureRandom();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    /** How the server closed the connection. */
    public record Close(int code, String reason) {}

    private final WebSocket ws;
    private final BlockingQueue<byte[]> inbound = new LinkedBlockingQueue<>();
    private final CompletableFuture<Close> closed = new CompletableFuture<>();
    private Channel channel;

    private TestClient(WebSocket ws, Listener listener) {
        this.ws = ws;
    }

    public static TestClient connect(URI uri) {
        return connect(uri, Map.of());
    }

    public static TestClient connect(URI uri, Map<String, String> headers) {
        Listener l = new Listener();
        WebSocket.Builder b = HTTP.newWebSocketBuilder().connectTimeout(WAIT);
        headers.forEach(b::header);
        WebSocket ws = b.buildAsync(uri, l).orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join();
        TestClient c = new TestClient(ws, l);
        l.attach(c);
        return c;
    }

    /** Connects and completes the hop handshake against {@code gatewayPublicKey}. */
    public static TestClient established(URI uri, byte[] gatewayPublicKey) throws Exception {
        TestClient c = connect(uri);
        c.handshake(gatewayPublicKey);
        return c;
    }

    public void handshake(byte[] gatewayPublicKey) throws Exception {
        HopClient.Started started = HopClient.start(gatewayPublicKey, RNG);
        sendRaw(started.clientHello());
        byte[] serverHello = nextRaw();
        if (serverHello == null) {
            throw new IllegalStateException("no ServerHello; closed with " + closed.getNow(null));
        }
        HopClient.Established est = started.next().receive(serverHello);
        sendRaw(est.clientFinished());
        channel = est.channel();
    }

    public Channel channel() {
        return channel;
    }

    public void sendRaw(byte[] bytes) {
        ws.sendBinary(ByteBuffer.wrap(bytes), true).orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join();
    }

    public void sendText(String text) {
        ws.sendText(text, true).orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join();
    }

    /** Seals {@code plaintext} as the next record and sends it. */
    public void sendPlain(byte[] plaintext) throws ProtocolException {
        sendRaw(channel.seal(plaintext));
    }

    public void send(RoomMessage m) throws ProtocolException {
        sendPlain(RoomCodec.encode(m));
    }

    /** The next binary message, or null if the connection closed (or nothing came within WAIT). */
    public byte[] nextRaw() throws InterruptedException {
        return nextRaw(WAIT);
    }

    public byte[] nextRaw(Duration wait) throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (System.nanoTime() < deadline) {
            byte[] b = inbound.poll(20, TimeUnit.MILLISECONDS);
            if (b != null) {
                return b;
            }
            if (closed.isDone() && inbound.isEmpty()) {
                return null;
            }
        }
        return null;
    }

    /** The next room message (opened and decoded); fails the test if none arrives. */
    public RoomMessage receive() throws Exception {
        byte[] rec = nextRaw();
        if (rec == null) {
            throw new AssertionError("expected a room message; connection " + (closed.isDone() ? "closed " + closed.join() : "idle"));
        }
        return RoomCodec.decodeFromGateway(channel.open(rec));
    }

    /** Waits for the server's close frame. */
    public Close awaitClose() {
        return closed.orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join();
    }

    public boolean isClosed() {
        return closed.isDone();
    }

    public int pending() {
        return inbound.size();
    }

    @Override
    public void close() {
        if (!closed.isDone()) {
            try {
                ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").orTimeout(2, TimeUnit.SECONDS).exceptionally(t -> null).join();
            } catch (RuntimeException ignored) {
                // already closing
            }
        }
        ws.abort();
    }

    /** Closes the TCP connection without a close frame (a client that vanished). */
    public void abort() {
        ws.abort();
    }

    private static final class Listener implements WebSocket.Listener {
        private volatile TestClient client;
        private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
        private final BlockingQueue<byte[]> early = new LinkedBlockingQueue<>();

        synchronized void attach(TestClient c) {
            client = c;
            early.drainTo(c.inbound);
        }

        @Override
        public void onOpen(WebSocket webSocket) {
            webSocket.request(Long.MAX_VALUE);
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            byte[] b = new byte[data.remaining()];
            data.get(b);
            partial.writeBytes(b);
            if (last) {
                byte[] whole = partial.toByteArray();
                partial.reset();
                synchronized (this) {
                    TestClient c = client;
                    if (c != null) {
                        c.inbound.add(whole);
                    } else {
                        early.add(whole);
                    }
                }
            }
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            complete(new Close(statusCode, reason));
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            complete(new Close(-1, String.valueOf(error)));
        }

        private void complete(Close c) {
            // the client may not be attached yet if the server closes immediately
            for (int i = 0; i < 500 && client == null; i++) {
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            TestClient tc = client;
            if (tc != null) {
                tc.closed.complete(c);
            }
        }
    }
}
