package dev.hybridge.gateway.edge;

import dev.hybridge.gateway.ws.Inbound;
import dev.hybridge.gateway.ws.Transport;
import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/**
 * A plain-TCP WebSocket's socket on an {@link EventLoop}: writes never block. A write first goes
 * straight to the socket from the calling thread (usually the loop thread of the peer that relays
 * to this one); what the socket does not take is kept, in order, and written by the loop when the
 * socket can take more. The kept bytes count against the outbox's cap ({@link #unsent}); a write
 * that makes no progress is cut by the edge's timer after write-timeout ({@link #stalledSince}).
 */
public final class LoopTransport implements Transport {
    private final EventLoop loop;
    private final SocketChannel channel;

    /** Releases the connection's slot in the limits, once, after the socket is closed. */
    private final Runnable onClosed;

    private volatile Runnable alsoOnClose = () -> {};

    /** Set once the socket is closed ({@link #CLOSED}: a field, not an object per connection). */
    private volatile boolean closed;

    private static final VarHandle CLOSED;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            CLOSED = l.findVarHandle(LoopTransport.class, "closed", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static final byte[] EMPTY = new byte[0];
    private volatile SelectionKey key;
    private volatile Inbound inbound;

    // guarded by this
    private byte[] pending = EMPTY;
    private int pendingStart;
    private int pendingEnd;
    private boolean writeInterest;
    private boolean finishing;
    private volatile long unsent;
    private volatile long stalledSince;

    /** When the WebSocket ended and our FIN went out; from then on reads are dropped until the client's FIN. */
    private volatile long lingerSince;

    private int lingerBytes;

    public LoopTransport(EventLoop loop, SocketChannel channel, Runnable onClosed) {
        this.loop = loop;
        this.channel = channel;
        this.onClosed = onClosed;
    }

    /** One more thing to release with the socket (set before the loop takes over). */
    void alsoOnClose(Runnable r) {
        alsoOnClose = r;
        if (closed) {
            r.run(); // closed before it was set: released here instead (a no-op race otherwise)
        }
    }

    SocketChannel channel() {
        return channel;
    }

    void registered(SelectionKey key) {
        this.key = key;
        if (closed) {
            key.cancel();
        }
    }

    void inbound(Inbound in) {
        this.inbound = in;
    }

    Inbound inbound() {
        return inbound;
    }

    /** When a write began to wait for the socket (0: nothing waits). */
    long stalledSince() {
        return stalledSince;
    }

    @Override
    public InputStream in() {
        return null;
    }

    @Override
    public boolean blocking() {
        return false;
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) throws IOException {
        if (closed) {
            throw new IOException("socket closed");
        }
        if (pendingEnd == pendingStart) {
            ByteBuffer bb = ByteBuffer.wrap(b, off, len);
            channel.write(bb);
            if (!bb.hasRemaining()) {
                return;
            }
            off = bb.position();
            len = bb.remaining();
        }
        keep(b, off, len);
        if (stalledSince == 0) {
            stalledSince = System.nanoTime();
        }
        if (!writeInterest) {
            writeInterest = true;
            updateInterest();
        }
    }

    private void keep(byte[] b, int off, int len) {
        int kept = pendingEnd - pendingStart;
        if (pendingEnd + len > pending.length) {
            byte[] grown = new byte[Math.max(kept + len, 2 * kept)];
            System.arraycopy(pending, pendingStart, grown, 0, kept);
            pending = grown;
            pendingStart = 0;
            pendingEnd = kept;
        }
        System.arraycopy(b, off, pending, pendingEnd, len);
        pendingEnd += len;
        unsent = pendingEnd - pendingStart;
    }

    /** The loop: the socket takes more. */
    void onWritable() {
        boolean failed = false;
        synchronized (this) {
            if (closed) {
                return;
            }
            int before = pendingEnd - pendingStart;
            try {
                ByteBuffer bb = ByteBuffer.wrap(pending, pendingStart, before);
                channel.write(bb);
                pendingStart = bb.position();
            } catch (IOException e) {
                failed = true;
            }
            int left = pendingEnd - pendingStart;
            unsent = left;
            if (failed) {
                // cut below, outside this lock: the WebSocket's end reaches other connections
            } else if (left == 0) {
                pending = EMPTY; // an idle connection keeps no buffer
                pendingStart = 0;
                pendingEnd = 0;
                stalledSince = 0;
                writeInterest = false;
                updateInterest();
                if (finishing) {
                    linger();
                }
            } else if (left < before) {
                stalledSince = System.nanoTime(); // progress: the write timeout counts from here
            }
        }
        if (failed) {
            cut();
        }
    }

    /** The loop: end of stream or a read error. */
    void endOfStream() {
        Inbound in = inbound;
        if (in != null) {
            in.endOfStream();
        }
        cut();
    }

    private void updateInterest() {
        SelectionKey k = key;
        if (k == null) {
            return; // registration sets the interest
        }
        int ops = SelectionKey.OP_READ | (writeInterest ? SelectionKey.OP_WRITE : 0);
        if (loop.inLoop()) {
            try {
                k.interestOps(ops);
            } catch (CancelledKeyException e) {
                // closed meanwhile
            }
        } else {
            loop.execute(this::refreshInterest);
        }
    }

    private synchronized void refreshInterest() {
        SelectionKey k = key;
        if (k != null && k.isValid()) {
            k.interestOps(SelectionKey.OP_READ | (writeInterest ? SelectionKey.OP_WRITE : 0));
        }
    }

    @Override
    public long unsent() {
        return unsent;
    }

    @Override
    public synchronized void finish() {
        finishing = true;
        if (pendingEnd == pendingStart) {
            linger();
        } else {
            updateInterest();
        }
    }

    /**
     * The WebSocket is over and everything is written: half-close (FIN), then read and drop what
     * the client still sends until its FIN, at most 64 KiB, within the edge's 2 s (the timer cuts
     * after that). Closing with unread bytes would reset the connection, and a reset can destroy
     * our last frames (the close frame's echo) before the client has read them.
     */
    private void linger() {
        if (lingerSince != 0 || closed) {
            return;
        }
        lingerSince = System.nanoTime();
        try {
            channel.shutdownOutput();
        } catch (IOException e) {
            close();
        }
    }

    /** When lingering began (0: not lingering). */
    long lingerSince() {
        return lingerSince;
    }

    /**
     * The loop read {@code n} bytes (-1: end of stream) after the WebSocket ended; true when the
     * connection is to be closed now.
     */
    synchronized boolean dropped(int n) {
        if (n < 0) {
            return true;
        }
        lingerBytes += n;
        return lingerSince != 0 && lingerBytes > 64 * 1024;
    }

    @Override
    public void cut() {
        if (close() && !loop.inLoop()) {
            // the WebSocket hears of it on its own thread, as it would of an end of stream
            loop.execute(
                    () -> {
                        Inbound in = inbound;
                        if (in != null) {
                            in.endOfStream();
                        }
                    });
        } else if (loop.inLoop()) {
            Inbound in = inbound;
            if (in != null) {
                in.endOfStream();
            }
        }
    }

    /** Closes the socket once; true the first time. */
    private boolean close() {
        if (!CLOSED.compareAndSet(this, false, true)) {
            return false;
        }
        try {
            channel.close(); // cancels the key; the peer sees the close at once
        } catch (IOException e) {
            // closing is all we wanted
        }
        unsent = 0;
        onClosed.run();
        alsoOnClose.run();
        return true;
    }
}
