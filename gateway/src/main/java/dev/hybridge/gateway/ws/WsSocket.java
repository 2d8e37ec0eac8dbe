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

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The server side of one RFC 6455 WebSocket after the upgrade: reads frames from the
 * {@link Transport}, joins fragments into messages, answers the closing handshake, and writes
 * frames that callers have already batched. Framing is {@link WsCodec}'s.
 *
 * <p>No extensions and no subprotocols are negotiated, so every RSV bit must be zero. A message
 * (fragments joined) longer than {@code maxMessageBytes} is refused from the frame header, before
 * its payload is read. Text must be UTF-8 (§8.1), checked fragment by fragment. Every frame, of
 * any kind, is announced to the listener first ({@link Listener#onFrame}) so that control frames
 * and empty continuations cost from the same budget as messages.
 *
 * <p>Threads: {@link #run} is the connection's own reader thread; {@link #write} may be called
 * from any thread and is serialized; {@link #refuse} and {@link #cut} from any thread.
 */
final class WsSocket {
    /** After a fatal frame error, how long the reader waits for our close frame to be written. */
    private static final long CLOSE_WRITE_WAIT_MILLIS = 2_000;

    /** What the connection above hears. Every call comes from the reader thread. */
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

    private final Transport transport;
    private final InputStream in;
    private final Listener listener;
    private final int maxMessageBytes;
    private final Object writeLock = new Object();
    private final CountDownLatch closeWritten = new CountDownLatch(1);

    /**
     * Set once the connection is refused (a frame error here, or a failure the listener decided):
     * its close frame is queued, and from then on frames are only parsed and dropped until the
     * client's close frame arrives (RFC 6455 §7.1.1) or the connection is cut.
     */
    private volatile boolean refused;
    /** Guarded by writeLock. */
    private boolean closeSent;
    private final java.util.concurrent.atomic.AtomicBoolean closedReported = new java.util.concurrent.atomic.AtomicBoolean();

    // the message being received (reader thread only)
    private int fragmentType = -1;
    private byte[] fragments;
    private int fragmentLength;
    private WsCodec.Utf8Validator utf8;

    WsSocket(Transport transport, Listener listener, int maxMessageBytes) {
        this.transport = transport;
        this.in = transport.in();
        this.listener = listener;
        this.maxMessageBytes = maxMessageBytes;
    }

    /** Reads frames until the closing handshake ends or the socket does; then returns. */
    void run() {
        int code = WsCodec.ABNORMAL; // the socket ended without a close frame
        String reason = "";
        try {
            listener.onOpen(this);
            while (true) {
                Frame f = readFrame();
                if (f == null) {
                    awaitCloseWritten(); // framing is lost: the listener has queued the close
                    return;
                }
                if (f.opcode == OP_CLOSE) {
                    code = f.closeCode;
                    reason = f.closeReason;
                    if (refused) {
                        awaitCloseWritten(); // ours is queued; the client has answered or closed first
                    } else {
                        answerClose(f);
                    }
                    return;
                }
                // Virtual threads are not preempted: a reader whose socket always has data would
                // never park, and the outboxes delivering what it relays would starve until the
                // receivers are cut off as slow consumers. A reader with nothing more to read parks
                // in its next read anyway, so only one with bytes waiting yields: browsers send one
                // message at a time, and a yield per message is a trip through the scheduler.
                if (in.available() > 0) {
                    Thread.yield();
                }
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            // the socket ended under the reader (client gone, reset, or cut by the timer)
        } finally {
            fragments = null;
            reportClosed(code, reason);
        }
    }

    /** From now on frames are dropped until the client's close frame (the listener queued its own). */
    void refuse() {
        refused = true;
    }

    /** Drops the TCP connection now. */
    void cut() {
        transport.cut();
    }

    // ---------------------------------------------------------------- writing

    /**
     * Writes already-encoded server frames in one system call. Returns false once a close frame
     * has been written: nothing may follow it. {@code endsWithClose} marks a batch whose last
     * frame is the close frame. Throws {@link java.io.UncheckedIOException} when the socket is gone.
     */
    boolean write(byte[] frames, int length, boolean endsWithClose) {
        synchronized (writeLock) {
            if (closeSent) {
                return false;
            }
            if (endsWithClose) {
                closeSent = true;
            }
            transport.writeStarted();
            try {
                transport.out().write(frames, 0, length);
                transport.out().flush();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            } finally {
                transport.writeEnded();
                if (endsWithClose) {
                    closeWritten.countDown();
                }
            }
            return true;
        }
    }

    // ---------------------------------------------------------------- reading

    private record Frame(int opcode, int closeCode, String closeReason) {}

    private static final Frame DATA = new Frame(-1, 0, "");

    private final byte[] header = new byte[14];

    /** Reads and dispatches one frame; null when the stream can no longer be parsed. */
    private Frame readFrame() throws IOException {
        readFully(header, 0, 2);
        int lengthCode = header[1] & 0x7F;
        int rest = (lengthCode == 126 ? 2 : lengthCode == 127 ? 8 : 0) + ((header[1] & 0x80) != 0 ? 4 : 0);
        readFully(header, 2, rest);
        WsCodec.Header h = WsCodec.decodeHeader(header, 0, 2 + rest);
        boolean control = h.control();
        int opcode = h.opcode();
        if (h.length() == WsCodec.LENGTH_OVERFLOW) {
            fatal(PROTOCOL_ERROR, "frame length over 2^63");
            return null;
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
            } else if (!control && (opcode == OP_CONTINUATION ? fragmentType < 0 : fragmentType >= 0)) {
                error = opcode == OP_CONTINUATION ? "continuation frame without a message" : "new message inside a fragmented one";
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
            discard(length);
            return DATA;
        }
        byte[] payload = in.readNBytes((int) length);
        if (payload.length < length) {
            throw new EOFException();
        }
        WsCodec.unmask(payload, h.mask());
        if (control) {
            return control(opcode, payload);
        }
        int type = opcode == OP_CONTINUATION ? fragmentType : opcode;
        if (type == OP_TEXT) {
            if (utf8 == null) {
                utf8 = new WsCodec.Utf8Validator();
            }
            if (!utf8.feed(payload, 0, payload.length) || (h.fin() && !utf8.complete())) {
                fatal(INVALID_DATA, "text is not UTF-8");
                return DATA;
            }
        }
        if (h.fin() && fragments == null) {
            fragmentType = -1;
            utf8 = null;
            deliver(type, payload);
            return DATA;
        }
        if (fragments == null) {
            fragments = new byte[Math.max(payload.length * 2, 256)];
            fragmentLength = 0;
        }
        if (fragmentLength + payload.length > fragments.length) {
            fragments = Arrays.copyOf(fragments,
                    (int) Math.min(maxMessageBytes, Math.max(2L * fragments.length, fragmentLength + payload.length)));
        }
        System.arraycopy(payload, 0, fragments, fragmentLength, payload.length);
        fragmentLength += payload.length;
        if (!h.fin()) {
            fragmentType = type;
            return DATA;
        }
        byte[] whole = Arrays.copyOf(fragments, fragmentLength);
        fragments = null;
        fragmentLength = 0;
        fragmentType = -1;
        utf8 = null;
        deliver(type, whole);
        return DATA;
    }

    private void readFully(byte[] dst, int off, int len) throws IOException {
        if (len > 0 && in.readNBytes(dst, off, len) < len) {
            throw new EOFException();
        }
    }

    private void deliver(int type, byte[] message) {
        if (type == OP_BINARY) {
            listener.onBinary(message);
        } else {
            listener.onText(message);
        }
    }

    private Frame control(int opcode, byte[] payload) {
        if (refused && opcode != OP_CLOSE) {
            return DATA;
        }
        switch (opcode) {
            case OP_PING -> listener.onPing(payload);
            case OP_PONG -> listener.onPong();
            default -> {
                if (payload.length == 0) {
                    return new Frame(OP_CLOSE, NO_STATUS, "");
                }
                int code = payload.length < 2 ? -1 : ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF);
                if (!WsCodec.validCloseCode(code)) {
                    fatal(PROTOCOL_ERROR, "invalid close frame");
                    return new Frame(OP_CLOSE, NO_STATUS, "");
                }
                try {
                    String reason = StandardCharsets.UTF_8.newDecoder()
                            .onMalformedInput(CodingErrorAction.REPORT)
                            .onUnmappableCharacter(CodingErrorAction.REPORT)
                            .decode(ByteBuffer.wrap(payload, 2, payload.length - 2)).toString();
                    return new Frame(OP_CLOSE, code, reason);
                } catch (CharacterCodingException e) {
                    fatal(INVALID_DATA, "close reason is not UTF-8");
                    return new Frame(OP_CLOSE, NO_STATUS, "");
                }
            }
        }
        return DATA;
    }

    /** Reports a broken frame once; the listener queues its close frame. */
    private void fatal(int closeCode, String reason) {
        fragments = null;
        if (!refused) {
            refused = true;
            listener.onProtocolError(closeCode, reason);
        }
    }

    /** Reads and drops {@code length} payload bytes. */
    private void discard(long length) throws IOException {
        while (length > 0) {
            long n = in.skip(length);
            if (n <= 0) {
                if (in.read() < 0) {
                    throw new EOFException();
                }
                n = 1;
            }
            length -= n;
        }
    }

    /** The client started the closing handshake: echo its code (1000 for none), unless we already sent ours. */
    private void answerClose(Frame f) {
        reportClosed(f.closeCode, f.closeReason);
        byte[] p = WsCodec.closePayload(f.closeCode == NO_STATUS ? NORMAL : f.closeCode, "");
        byte[] frame = new byte[WsCodec.frameSize(p.length)];
        WsCodec.encode(frame, 0, OP_CLOSE, p, 0, p.length);
        try {
            write(frame, frame.length, true);
        } catch (RuntimeException e) {
            // the client is already gone
        }
    }

    private void reportClosed(int code, String reason) {
        if (closedReported.compareAndSet(false, true)) {
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
