package dev.hybridge.gateway.ws;

import io.helidon.common.buffers.BufferData;
import io.helidon.common.buffers.DataReader;
import io.helidon.common.concurrency.limits.Limit;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.spi.ServerConnection;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The server side of one RFC 6455 WebSocket after the upgrade: reads frames, joins fragments
 * into messages, answers the closing handshake, and writes frames that callers have already
 * batched. It replaces Helidon 4.2's {@code WsConnection}, which unmasks a payload one byte at
 * a time, writes every frame with its own system call, and accepts reserved bits and bad close
 * frames; the relay benchmark spent half the gateway's CPU there.
 *
 * <p>No extensions and no subprotocols are negotiated, so every RSV bit must be zero. A message
 * (fragments joined) longer than {@code maxMessageBytes} is refused from the frame header,
 * before its payload is read. Text messages are read and discarded: the listener only learns
 * that one arrived. Threads: the reader is Helidon's connection thread; {@link #write} may be
 * called from any thread and is serialized.
 */
final class WsSocket implements ServerConnection {
    /** Close codes of RFC 6455 §7.4.1 used here. */
    static final int NORMAL = 1000;
    static final int GOING_AWAY = 1001;
    static final int PROTOCOL_ERROR = 1002;
    static final int INVALID_DATA = 1007;
    static final int TOO_BIG = 1009;
    static final int INTERNAL_ERROR = 1011;

    static final int OP_CONTINUATION = 0x0;
    static final int OP_TEXT = 0x1;
    static final int OP_BINARY = 0x2;
    static final int OP_CLOSE = 0x8;
    static final int OP_PING = 0x9;
    static final int OP_PONG = 0xA;

    private static final byte[] EMPTY = new byte[0];
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    /** After a fatal frame error, how long the reader waits for the close frame to be written. */
    private static final long CLOSE_WRITE_WAIT_MILLIS = 2_000;

    /** What the connection above hears. All calls come from the reader thread. */
    interface Listener {
        /** The socket is ready: frames may be written from now on. */
        void onOpen(WsSocket socket);

        /** One whole binary message (fragments joined, unmasked). */
        void onBinary(byte[] message);

        /** One whole text message (its content is not kept). */
        void onText();

        void onPing(byte[] payload);

        void onPong();

        /** A message would exceed the size limit; nothing of it was read. The listener closes. */
        void onTooBig();

        /** The client broke RFC 6455 (reason says how); the listener sends the close frame. */
        void onProtocolError(int closeCode, String reason);

        /** The client's close frame arrived (and was answered), or the socket ended. Called once. */
        void onClosed(int code, String reason);
    }

    private final ConnectionContext ctx;
    private final DataReader in;
    private final Listener listener;
    private final int maxMessageBytes;
    private final Object writeLock = new Object();
    private final CountDownLatch closeWritten = new CountDownLatch(1);

    private volatile boolean canRun = true;
    /**
     * Set after a frame the listener refused (too big, protocol error): it has queued its close
     * frame, and from then on frames are only parsed and dropped until the client's close frame
     * arrives (RFC 6455 §7.1.1) or the connection is cut.
     */
    private boolean failed;
    private volatile Thread reader;
    private volatile long lastFrameNanos = System.nanoTime();
    /** Guarded by writeLock. */
    private boolean closeSent;
    private boolean closedReported;

    // fragments of the message being received (reader thread only)
    private int fragmentType = -1;
    private byte[] fragments;
    private int fragmentLength;

    WsSocket(ConnectionContext ctx, Listener listener, int maxMessageBytes) {
        this.ctx = ctx;
        this.in = ctx.dataReader();
        this.listener = listener;
        this.maxMessageBytes = maxMessageBytes;
    }

    // ---------------------------------------------------------------- ServerConnection

    @Override
    public void handle(Limit limit) {
        reader = Thread.currentThread();
        int code = 1006; // abnormal closure: the socket ended without a close frame
        String reason = "";
        try {
            listener.onOpen(this);
            while (canRun) {
                Frame f = readFrame();
                if (f == null) {
                    awaitCloseWritten(); // framing is lost: the listener has queued the close
                    return;
                }
                if (f.opcode == OP_CLOSE) {
                    code = f.closeCode;
                    reason = f.closeReason;
                    if (failed) {
                        awaitCloseWritten(); // ours is queued; the client has answered or closed first
                    } else {
                        answerClose(f);
                    }
                    return;
                }
                // Virtual threads are not preempted: a reader whose socket always has data would
                // never park, and the outboxes delivering what it relays would starve until the
                // receivers are cut off as slow consumers.
                Thread.yield();
            }
        } catch (RuntimeException e) {
            // the socket was closed under the reader (client gone, reset, or cut by us)
        } finally {
            fragments = null;
            reportClosed(code, reason);
        }
    }

    @Override
    public Duration idleTime() {
        return Duration.ofNanos(System.nanoTime() - lastFrameNanos);
    }

    /** Stops reading; with {@code interrupt} the reader is woken even while blocked on the socket. */
    @Override
    public void close(boolean interrupt) {
        canRun = false;
        Thread r = reader;
        if (interrupt && r != null) {
            r.interrupt();
        }
    }

    String remoteHost() {
        SocketAddress a = ctx.remotePeer().address();
        if (a instanceof InetSocketAddress i && i.getAddress() != null) {
            return i.getAddress().getHostAddress();
        }
        return String.valueOf(a);
    }

    // ---------------------------------------------------------------- writing

    /**
     * Writes already-encoded server frames (see {@link #frame}) in one system call. Returns false
     * once a close frame has been written: nothing may follow it. {@code endsWithClose} marks a
     * batch whose last frame is the close frame.
     */
    boolean write(byte[] frames, int length, boolean endsWithClose) {
        synchronized (writeLock) {
            if (closeSent) {
                return false;
            }
            if (endsWithClose) {
                closeSent = true;
            }
            try {
                ctx.dataWriter().writeNow(BufferData.create(frames, 0, length));
            } finally {
                if (endsWithClose) {
                    closeWritten.countDown();
                }
            }
            return true;
        }
    }

    /** Bytes a server frame of {@code payloadLength} takes on the wire. */
    static int frameSize(int payloadLength) {
        return headerSize(payloadLength) + payloadLength;
    }

    private static int headerSize(int payloadLength) {
        return payloadLength < 126 ? 2 : payloadLength < 65536 ? 4 : 10;
    }

    /** Encodes one unfragmented, unmasked server frame at {@code at}; returns the end offset. */
    static int frame(byte[] dst, int at, int opcode, byte[] payload, int off, int len) {
        dst[at++] = (byte) (0x80 | opcode);
        if (len < 126) {
            dst[at++] = (byte) len;
        } else if (len < 65536) {
            dst[at++] = 126;
            dst[at++] = (byte) (len >>> 8);
            dst[at++] = (byte) len;
        } else {
            dst[at++] = 127;
            for (int shift = 56; shift >= 0; shift -= 8) {
                dst[at++] = (byte) ((long) len >>> shift);
            }
        }
        System.arraycopy(payload, off, dst, at, len);
        return at + len;
    }

    /** The payload of a close frame: code, then the reason in UTF-8 cut to fit 125 bytes. */
    static byte[] closePayload(int code, String reason) {
        byte[] r = reason.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(r.length, 123);
        byte[] p = new byte[2 + n];
        p[0] = (byte) (code >>> 8);
        p[1] = (byte) code;
        System.arraycopy(r, 0, p, 2, n);
        return p;
    }

    // ---------------------------------------------------------------- reading

    private record Frame(int opcode, int closeCode, String closeReason) {}

    private static final Frame DATA = new Frame(-1, 0, "");

    /** Reads and dispatches one frame; null when the stream can no longer be parsed. */
    private Frame readFrame() {
        int b0 = in.read() & 0xFF;
        int b1 = in.read() & 0xFF;
        lastFrameNanos = System.nanoTime();
        boolean fin = (b0 & 0x80) != 0;
        int opcode = b0 & 0x0F;
        boolean masked = (b1 & 0x80) != 0;
        if ((b0 & 0x70) != 0) {
            fatal(PROTOCOL_ERROR, "RSV bits set without an extension");
        } else if (!masked) {
            fatal(PROTOCOL_ERROR, "unmasked client frame");
        }
        long length = b1 & 0x7F;
        if (length == 126) {
            length = ((in.read() & 0xFF) << 8) | (in.read() & 0xFF);
        } else if (length == 127) {
            length = 0;
            for (int i = 0; i < 8; i++) {
                length = (length << 8) | (in.read() & 0xFF);
            }
            if (length < 0) {
                fatal(PROTOCOL_ERROR, "frame length over 2^63");
                return null;
            }
        }
        boolean control = (opcode & 0x08) != 0;
        if (!failed) {
            String error = null;
            if (control ? opcode > OP_PONG : opcode > OP_BINARY) {
                error = "unknown opcode " + opcode;
            } else if (control && (!fin || length > 125)) {
                error = "fragmented or oversized control frame";
            } else if (!control && (opcode == OP_CONTINUATION ? fragmentType < 0 : fragmentType >= 0)) {
                error = opcode == OP_CONTINUATION ? "continuation frame without a message" : "new message inside a fragmented one";
            } else if (!control && length + fragmentLength > maxMessageBytes) {
                failed = true;
                fragments = null;
                listener.onTooBig();
            }
            if (error != null) {
                fatal(PROTOCOL_ERROR, error);
            }
        }
        long mask = 0;
        for (int i = 0; masked && i < 4; i++) {
            mask = (mask << 8) | (in.read() & 0xFF);
        }
        if (failed && !(opcode == OP_CLOSE && length <= 125)) {
            discard(length);
            return DATA;
        }
        byte[] payload = length == 0 ? EMPTY : in.readBytes((int) length);
        unmask(payload, mask | (mask << 32));
        if (control) {
            return control(opcode, payload);
        }
        int type = opcode == OP_CONTINUATION ? fragmentType : opcode;
        if (fin && fragments == null) {
            fragmentType = -1;
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
        if (!fin) {
            fragmentType = type;
            return DATA;
        }
        byte[] whole = Arrays.copyOf(fragments, fragmentLength);
        fragments = null;
        fragmentLength = 0;
        fragmentType = -1;
        deliver(type, whole);
        return DATA;
    }

    private void deliver(int type, byte[] message) {
        if (type == OP_BINARY) {
            listener.onBinary(message);
        } else {
            listener.onText();
        }
    }

    private Frame control(int opcode, byte[] payload) {
        if (failed && opcode != OP_CLOSE) {
            return DATA;
        }
        switch (opcode) {
            case OP_PING -> listener.onPing(payload);
            case OP_PONG -> listener.onPong();
            default -> {
                if (payload.length == 0) {
                    return new Frame(OP_CLOSE, 1005, ""); // no status code received
                }
                int code = payload.length < 2 ? -1 : ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF);
                if (!validCloseCode(code)) {
                    fatal(PROTOCOL_ERROR, "invalid close frame");
                    return new Frame(OP_CLOSE, 1005, "");
                }
                try {
                    String reason = StandardCharsets.UTF_8.newDecoder()
                            .onMalformedInput(CodingErrorAction.REPORT)
                            .onUnmappableCharacter(CodingErrorAction.REPORT)
                            .decode(ByteBuffer.wrap(payload, 2, payload.length - 2)).toString();
                    return new Frame(OP_CLOSE, code, reason);
                } catch (CharacterCodingException e) {
                    fatal(INVALID_DATA, "close reason is not UTF-8");
                    return new Frame(OP_CLOSE, 1005, "");
                }
            }
        }
        return DATA;
    }

    /** RFC 6455 §7.4: codes an endpoint may send in a close frame. */
    static boolean validCloseCode(int code) {
        return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) || (code >= 3000 && code <= 4999);
    }

    /** Reports a broken frame once; the listener queues its close frame. */
    private void fatal(int closeCode, String reason) {
        fragments = null;
        if (!failed) {
            failed = true;
            listener.onProtocolError(closeCode, reason);
        }
    }

    /** Reads and drops {@code length} payload bytes. */
    private void discard(long length) {
        while (length > 0) {
            in.ensureAvailable();
            int n = (int) Math.min(length, in.available());
            in.skip(n);
            length -= n;
        }
    }

    /** The client started the closing handshake: echo its code (1000 for none), unless we already sent ours. */
    private void answerClose(Frame f) {
        reportClosed(f.closeCode, f.closeReason);
        byte[] p = closePayload(f.closeCode == 1005 ? NORMAL : f.closeCode, "");
        byte[] frame = new byte[frameSize(p.length)];
        frame(frame, 0, OP_CLOSE, p, 0, p.length);
        try {
            write(frame, frame.length, true);
        } catch (RuntimeException e) {
            // the client is already gone
        }
    }

    private void reportClosed(int code, String reason) {
        boolean first;
        synchronized (writeLock) {
            first = !closedReported;
            closedReported = true;
        }
        if (first) {
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

    /** XORs {@code data} with the repeated 4-byte mask, eight bytes at a time. */
    static void unmask(byte[] data, long mask8) {
        int i = 0;
        int end8 = data.length & ~7;
        for (; i < end8; i += 8) {
            LONGS.set(data, i, (long) LONGS.get(data, i) ^ mask8);
        }
        for (; i < data.length; i++) {
            data[i] ^= (byte) (mask8 >>> (56 - 8 * (i & 3)));
        }
    }
}
