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
    private final BlockingQueue<byte[]> inbound;
    private final CompletableFuture<Close> closed;
    private Channel channel;

    private TestClient(WebSocket ws, Listener listener) {
        this.ws = ws;
        this.inbound = listener.inbound;
        this.closed = listener.closed;
    }

    public static TestClient connect(URI uri) {
        return connect(uri, Map.of());
    }

    public static TestClient connect(URI uri, Map<String, String> headers) {
        return connect(uri, headers, HTTP);
    }

    /** Over {@code http}, e.g. one that trusts a test certificate for wss://. */
    public static TestClient connect(URI uri, Map<String, String> headers, HttpClient http) {
        Listener l = new Listener();
        WebSocket.Builder b = http.newWebSocketBuilder().connectTimeout(WAIT);
        headers.forEach(b::header);
        WebSocket ws = b.buildAsync(uri, l).orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join();
        return new TestClient(ws, l);
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
        ws.sendBinary(ByteBuffer.wrap(bytes), true)
                .orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS)
                .join();
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
            throw new AssertionError(
                    "expected a room message; connection "
                            + (closed.isDone() ? "closed " + closed.join() : "idle"));
        }
        return RoomCodec.decodeFromGateway(channel.open(rec));
    }

    /** Waits for the server's close frame. */
    public Close awaitClose() {
        return closed.orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join();
    }

    /** The close, waiting at most {@code wait} (then fails). */
    public Close awaitClose(java.time.Duration wait) {
        return closed.copy().orTimeout(wait.toMillis(), TimeUnit.MILLISECONDS).join();
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
                ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye")
                        .orTimeout(2, TimeUnit.SECONDS)
                        .exceptionally(t -> null)
                        .join();
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

    /** Owns the inbound queue and close future, so callbacks never wait for the TestClient to exist. */
    private static final class Listener implements WebSocket.Listener {
        private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
        final BlockingQueue<byte[]> inbound = new LinkedBlockingQueue<>();
        final CompletableFuture<Close> closed = new CompletableFuture<>();

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
                inbound.add(partial.toByteArray());
                partial.reset();
            }
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(new Close(statusCode, reason));
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed.complete(new Close(-1, String.valueOf(error)));
        }
    }
}
