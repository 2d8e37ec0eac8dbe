package dev.hybridge.gateway.ws;

import static dev.hybridge.gateway.ws.WsCodec.INVALID_DATA;
import static dev.hybridge.gateway.ws.WsCodec.NORMAL;
import static dev.hybridge.gateway.ws.WsCodec.NO_STATUS;
import static dev.hybridge.gateway.ws.WsCodec.OP_BINARY;
import static dev.hybridge.gateway.ws.WsCodec.OP_CLOSE;
import static dev.hybridge.gateway.ws.WsCodec.OP_CONTINUATION;
import static dev.hybridge.gateway.ws.WsCodec.OP_PING;
import static dev.hybridge.gateway.ws.WsCodec.OP_PONG;
import static dev.hybridge.gateway.ws.WsCodec.OP_TEXT;
import static dev.hybridge.gateway.ws.WsCodec.PROTOCOL_ERROR;

import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The server side of one RFC 6455 WebSocket after the upgrade: takes the bytes the client sends
 * as they come ({@link #feed}), joins fragments into messages, answers the closing handshake, and
 * writes frames that callers have already batched. Framing is {@link WsCodec}'s. The bytes come
 * from an event loop (a non-blocking {@link Transport}) or from {@link #run}, which reads a
 * blocking transport on the connection's own thread; the frame logic is the same.
 *
 * <p>No extensions and no subprotocols are negotiated, so every RSV bit must be zero. A message
 * (fragments joined) longer than {@code maxMessageBytes} is refused from the frame header, before
 * its payload is read. Text must be UTF-8 (§8.1), checked fragment by fragment. Every frame, of
 * any kind, is announced to the listener first ({@link Listener#onFrame}) so that control frames
 * and empty continuations cost from the same budget as messages.
 *
 * <p>Threads: {@link #feed} from one thread at a time (the reader); {@link #write} from any
 * thread, serialized; {@link #refuse} and {@link #cut} from any thread.
 */
final class WsSocket implements Inbound {
    /** After a fatal frame error, how long a blocking reader waits for our close frame to be written. */
    private static final long CLOSE_WRITE_WAIT_MILLIS = 2_000;

    /** Bytes a blocking reader asks its stream for at once. */
    private static final int READ_CHUNK = 2048;

    /** What the connection above hears. Every call comes from the reader. */
    interface Listener {
        /** The socket is ready: frames may be written from now on. */
        void onOpen(WsSocket socket);

        /**
         * A frame header arrived (any opcode but close). False when the listener refused the
         * connection (its close is queued): the frame and all that follow are dropped.
         */
        boolean onFrame();

        /** One whole binary message (fragments joined, unmasked). */
        void onBinary(byte[] message);

        /** One whole text message, valid UTF-8. */
        void onText(byte[] utf8);

        void onPing(byte[] payload);

        void onPong();

        /** A message would exceed the size limit; nothing of it was read. The listener closes. */
        void onTooBig();

        /** The client broke RFC 6455 (reason says how); the listener sends the close frame. */
        void onProtocolError(int closeCode, String reason);

        /** The client's close frame arrived (and was answered), or the socket ended. Called once. */
        void onClosed(int code, String reason);
    }

    private enum Stage {
        HEADER,
        PAYLOAD,
        DISCARD,
        ENDED
    }

    private final Transport transport;
    private final Listener listener;
    private final int maxMessageBytes;

    /**
     * Counted down once our close frame is written; a blocking reader waits for it before it
     * closes. Null on a non-blocking transport, which finishes after that write itself: an idle
     * session keeps no latch.
     */
    private final CountDownLatch closeWritten;

    /** Whether onClosed was called ({@link #CLOSED_REPORTED}: a field, not an object per socket). */
    @SuppressWarnings("unused")
    private volatile boolean closedReported;

    private static final VarHandle CLOSED_REPORTED;

    static {
        try {
            CLOSED_REPORTED =
                    MethodHandles.lookup()
                            .findVarHandle(WsSocket.class, "closedReported", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * Set once the connection is refused (a frame error here, or a failure the listener decided):
     * its close frame is queued, and from then on frames are only parsed and dropped until the
     * client's close frame arrives (RFC 6455 §7.1.1) or the connection is cut.
     */
    private volatile boolean refused;

    /** Guarded by this socket's monitor (writes are serialized on it). */
    private boolean closeSent;

    /** Guarded by the monitor: the connection is over but our close frame is not written yet; finish after it. */
    private boolean finishAfterClose;

    // the frame being received (reader only)
    private Stage stage = Stage.HEADER;
    private final byte[] header = new byte[14];
    private int headerHave;
    private int headerNeed = 2;
    private WsCodec.Header frame;
    private byte[] payload;
    private int payloadHave;
    private long discardLeft;

    /** The close frame is being discarded (refused, over 125 bytes): it still ends the connection. */
    private boolean discardingClose;

    // the message being received (reader only)
    private int fragmentType = -1;
    private byte[] fragments;
    private int fragmentLength;
    private WsCodec.Utf8Validator utf8;

    WsSocket(Transport transport, Listener listener, int maxMessageBytes) {
        this.transport = transport;
        this.listener = listener;
        this.maxMessageBytes = maxMessageBytes;
        this.closeWritten = transport.blocking() ? new CountDownLatch(1) : null;
    }

    /** Tells the listener the socket is open; call once, from the reader, before the first {@link #feed}. */
    void open() {
        listener.onOpen(this);
    }

    /**
     * Reads a blocking transport until the closing handshake ends or the socket does, feeding
     * each chunk; {@code first} holds bytes the edge read past the upgrade request. Returns then:
     * the caller closes the TCP connection.
     */
    void run(byte[] first) {
        open();
        InputStream in = transport.in();
        byte[] buf = new byte[READ_CHUNK];
        try {
            if (first.length > 0 && !feed(first, 0, first.length)) {
                return;
            }
            while (true) {
                int n = in.read(buf);
                if (n < 0) {
                    endOfStream();
                    return;
                }
                if (!feed(buf, 0, n)) {
                    return;
                }
                // Virtual threads are not preempted: a reader whose socket always has data would
                // never park, and the outboxes delivering what it relays would starve until the
                // receivers are cut off as slow consumers. A reader with nothing more to read parks
                // in its next read anyway, so only one with bytes waiting yields.
                if (in.available() > 0) {
                    Thread.yield();
                }
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            endOfStream(); // the socket ended under the reader (client gone, reset, or cut by the
            // timer)
        } finally {
            fragments = null;
        }
    }

    @Override
    public boolean feed(byte[] b, int off, int len) {
        int end = off + len;
        while (off < end && stage != Stage.ENDED) {
            switch (stage) {
                case HEADER -> {
                    int take = Math.min(end - off, headerNeed - headerHave);
                    System.arraycopy(b, off, header, headerHave, take);
                    off += take;
                    headerHave += take;
                    if (headerHave == 2) {
                        int lengthCode = header[1] & 0x7F;
                        headerNeed =
                                2
                                        + (lengthCode == 126 ? 2 : lengthCode == 127 ? 8 : 0)
                                        + ((header[1] & 0x80) != 0 ? 4 : 0);
                    }
                    if (headerHave == headerNeed) {
                        onHeader();
                    }
                }
                case PAYLOAD -> {
                    int take = Math.min(end - off, payload.length - payloadHave);
                    System.arraycopy(b, off, payload, payloadHave, take);
                    off += take;
                    payloadHave += take;
                    if (payloadHave == payload.length) {
                        onPayload();
                    }
                }
                case DISCARD -> {
                    int take = (int) Math.min(end - off, discardLeft);
                    off += take;
                    discardLeft -= take;
                    if (discardLeft == 0) {
                        endOfDiscard();
                    }
                }
                case ENDED -> {}
            }
        }
        return stage != Stage.ENDED;
    }

    @Override
    public void endOfStream() {
        stage = Stage.ENDED;
        fragments = null;
        reportClosed(WsCodec.ABNORMAL, ""); // the socket ended without a close frame
    }

    @Override
    public boolean ended() {
        return stage == Stage.ENDED;
    }

    /** From now on frames are dropped until the client's close frame (the listener queued its own). */
    void refuse() {
        refused = true;
    }

    /** Drops the TCP connection now. */
    void cut() {
        transport.cut();
    }

    Transport transport() {
        return transport;
    }

    // ---------------------------------------------------------------- writing

    /**
     * Writes already-encoded server frames at once (one system call, or kept by a non-blocking
     * transport). Returns false once a close frame has been written: nothing may follow it.
     * {@code endsWithClose} marks a batch whose last frame is the close frame. Throws
     * {@link java.io.UncheckedIOException} when the socket is gone.
     */
    boolean write(byte[] frames, int length, boolean endsWithClose) {
        synchronized (this) {
            if (closeSent) {
                return false;
            }
            if (endsWithClose) {
                closeSent = true;
            }
            try {
                transport.write(frames, 0, length);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            } finally {
                if (endsWithClose) {
                    if (closeWritten != null) {
                        closeWritten.countDown();
                    }
                    if (finishAfterClose) {
                        transport.finish();
                    }
                }
            }
            return true;
        }
    }

    // ---------------------------------------------------------------- reading

    private void nextHeader() {
        stage = Stage.HEADER;
        headerHave = 0;
        headerNeed = 2;
        frame = null;
        payload = null;
    }

    /** A whole frame header: check it, then read, drop or refuse its payload. */
    private void onHeader() {
        WsCodec.Header h = WsCodec.decodeHeader(header, 0, headerNeed);
        frame = h;
        int opcode = h.opcode();
        boolean control = h.control();
        if (h.length() == WsCodec.LENGTH_OVERFLOW) {
            fatal(PROTOCOL_ERROR, "frame length over 2^63");
            end(); // framing is lost
            return;
        }
        long length = h.length();
        if (!refused && opcode != OP_CLOSE && !listener.onFrame()) {
            refused = true; // the listener is over its budget and has queued its close
        }
        if (!refused) {
            String error = null;
            if (h.rsv() != 0) {
                error = "RSV bits set without an extension";
            } else if (!h.masked()) {
                error = "unmasked client frame";
            } else if (control ? opcode > OP_PONG : opcode > OP_BINARY) {
                error = "unknown opcode " + opcode;
            } else if (control && (!h.fin() || length > WsCodec.MAX_CONTROL_PAYLOAD)) {
                error = "fragmented or oversized control frame";
            } else if (!control
                    && (opcode == OP_CONTINUATION ? fragmentType < 0 : fragmentType >= 0)) {
                error =
                        opcode == OP_CONTINUATION
                                ? "continuation frame without a message"
                                : "new message inside a fragmented one";
            } else if (!control && length + fragmentLength > maxMessageBytes) {
                refused = true;
                fragments = null;
                listener.onTooBig();
            }
            if (error != null) {
                fatal(PROTOCOL_ERROR, error);
            }
        }
        if (refused && !(opcode == OP_CLOSE && length <= WsCodec.MAX_CONTROL_PAYLOAD)) {
            discardingClose = opcode == OP_CLOSE;
            discardLeft = length;
            stage = Stage.DISCARD;
            if (length == 0) {
                endOfDiscard();
            }
            return;
        }
        payload = new byte[(int) length];
        payloadHave = 0;
        stage = Stage.PAYLOAD;
        if (length == 0) {
            onPayload();
        }
    }

    private void endOfDiscard() {
        if (discardingClose) {
            discardingClose = false;
            closeReceived(NO_STATUS, ""); // an oversized close still ends the closing handshake
        } else {
            nextHeader();
        }
    }

    /** A whole payload: unmask and dispatch. */
    private void onPayload() {
        WsCodec.Header h = frame;
        byte[] p = payload;
        WsCodec.unmask(p, h.mask());
        nextHeader();
        if (h.control()) {
            control(h.opcode(), p);
            return;
        }
        int type = h.opcode() == OP_CONTINUATION ? fragmentType : h.opcode();
        if (type == OP_TEXT) {
            if (utf8 == null) {
                utf8 = new WsCodec.Utf8Validator();
            }
            if (!utf8.feed(p, 0, p.length) || (h.fin() && !utf8.complete())) {
                fatal(INVALID_DATA, "text is not UTF-8");
                return;
            }
        }
        if (h.fin() && fragments == null) {
            fragmentType = -1;
            utf8 = null;
            deliver(type, p);
            return;
        }
        if (fragments == null) {
            fragments = new byte[Math.max(p.length * 2, 256)];
            fragmentLength = 0;
        }
        if (fragmentLength + p.length > fragments.length) {
            fragments =
                    Arrays.copyOf(
                            fragments,
                            (int)
                                    Math.min(
                                            maxMessageBytes,
                                            Math.max(
                                                    2L * fragments.length,
                                                    fragmentLength + p.length)));
        }
        System.arraycopy(p, 0, fragments, fragmentLength, p.length);
        fragmentLength += p.length;
        if (!h.fin()) {
            fragmentType = type;
            return;
        }
        byte[] whole = Arrays.copyOf(fragments, fragmentLength);
        fragments = null;
        fragmentLength = 0;
        fragmentType = -1;
        utf8 = null;
        deliver(type, whole);
    }

    private void deliver(int type, byte[] message) {
        if (type == OP_BINARY) {
            listener.onBinary(message);
        } else {
            listener.onText(message);
        }
    }

    private void control(int opcode, byte[] p) {
        if (refused && opcode != OP_CLOSE) {
            return;
        }
        switch (opcode) {
            case OP_PING -> listener.onPing(p);
            case OP_PONG -> listener.onPong();
            default -> {
                if (p.length == 0) {
                    closeReceived(NO_STATUS, "");
                    return;
                }
                int code = p.length < 2 ? -1 : ((p[0] & 0xFF) << 8) | (p[1] & 0xFF);
                if (!WsCodec.validCloseCode(code)) {
                    fatal(PROTOCOL_ERROR, "invalid close frame");
                    closeReceived(NO_STATUS, "");
                    return;
                }
                try {
                    String reason =
                            StandardCharsets.UTF_8
                                    .newDecoder()
                                    .onMalformedInput(CodingErrorAction.REPORT)
                                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                                    .decode(ByteBuffer.wrap(p, 2, p.length - 2))
                                    .toString();
                    closeReceived(code, reason);
                } catch (CharacterCodingException e) {
                    fatal(INVALID_DATA, "close reason is not UTF-8");
                    closeReceived(NO_STATUS, "");
                }
            }
        }
    }

    /** The client's close frame: answer it unless ours went first; the connection ends either way. */
    private void closeReceived(int code, String reason) {
        if (!refused) {
            reportClosed(code, reason);
            byte[] p = WsCodec.closePayload(code == NO_STATUS ? NORMAL : code, "");
            byte[] f = new byte[WsCodec.frameSize(p.length)];
            WsCodec.encode(f, 0, OP_CLOSE, p, 0, p.length);
            try {
                write(f, f.length, true);
            } catch (RuntimeException e) {
                // the client is already gone
            }
        }
        reportClosed(code, reason);
        end();
    }

    /** The closing handshake is over (or framing is lost): the transport closes once our close frame is out. */
    private void end() {
        stage = Stage.ENDED;
        fragments = null;
        reportClosed(
                WsCodec.ABNORMAL, ""); // framing lost: no close frame came (a no-op after one did)
        if (transport.blocking()) {
            awaitCloseWritten(); // our close frame may still be on its way from the outbox's thread
        } else {
            synchronized (this) {
                if (refused && !closeSent) {
                    finishAfterClose =
                            true; // ours is queued: the transport finishes once it is written
                    return;
                }
            }
        }
        transport.finish();
    }

    /** Reports a broken frame once; the listener queues its close frame. */
    private void fatal(int closeCode, String reason) {
        fragments = null;
        if (!refused) {
            refused = true;
            listener.onProtocolError(closeCode, reason);
        }
    }

    private void reportClosed(int code, String reason) {
        if (CLOSED_REPORTED.compareAndSet(this, false, true)) {
            listener.onClosed(code, reason);
        }
    }

    private void awaitCloseWritten() {
        try {
            closeWritten.await(CLOSE_WRITE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
