package dev.hybridge.bench;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** A lean WebSocket connection for the load tool: binary or text messages go to one handler. */
final class Conn implements WebSocket.Listener {
    private final ByteArrayOutputStream partialBin = new ByteArrayOutputStream();
    private final StringBuilder partialText = new StringBuilder();
    volatile Consumer<byte[]> onBinary = b -> { };
    volatile Consumer<String> onText = s -> { };
    WebSocket ws;

    static Conn open(HttpClient http, URI uri) {
        Conn c = new Conn();
        c.ws = http.newWebSocketBuilder().buildAsync(uri, c).orTimeout(30, TimeUnit.SECONDS).join();
        return c;
    }

    void send(byte[] b) {
        ws.sendBinary(ByteBuffer.wrap(b), true).orTimeout(30, TimeUnit.SECONDS).join();
    }

    void sendText(String s) {
        ws.sendText(s, true).orTimeout(30, TimeUnit.SECONDS).join();
    }

    void abort() {
        ws.abort();
    }

    @Override
    public void onOpen(WebSocket webSocket) {
        webSocket.request(Long.MAX_VALUE);
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
        if (last && partialBin.size() == 0) {
            byte[] b = new byte[data.remaining()];
            data.get(b);
            onBinary.accept(b);
            return null;
        }
        byte[] b = new byte[data.remaining()];
        data.get(b);
        partialBin.writeBytes(b);
        if (last) {
            byte[] whole = partialBin.toByteArray();
            partialBin.reset();
            onBinary.accept(whole);
        }
        return null;
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        partialText.append(data);
        if (last) {
            String s = partialText.toString();
            partialText.setLength(0);
            onText.accept(s);
        }
        return null;
    }
}
