package dev.hybridge.gateway.edge;

import dev.hybridge.gateway.ws.Inbound;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Function;

/**
 * One selector thread serving many upgraded plain-TCP WebSockets, as an event loop does in Node:
 * a readable socket is read into this loop's one buffer and fed to its connection, which relays
 * on this thread and writes to the target socket without blocking ({@link LoopTransport}). An
 * idle connection holds no thread, no stack and no read buffer: only its socket and its state.
 * TLS connections stay on their own virtual threads (a blocking {@code SSLSocket}). Public for
 * the WebSocket conformance test, which runs its echo server on both paths.
 */
public final class EventLoop implements Runnable {
    private static final System.Logger LOG = System.getLogger(EventLoop.class.getName());

    /** The most bytes one read takes: a whole hop record and then some. */
    private static final int READ_BUFFER = 64 * 1024;

    private final Selector selector;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final byte[] readArray = new byte[READ_BUFFER];
    private final ByteBuffer readBuffer = ByteBuffer.wrap(readArray);
    private final Thread thread;
    private volatile boolean running = true;

    public EventLoop(String name) throws IOException {
        this.selector = Selector.open();
        this.thread = Thread.ofPlatform().name(name).daemon().unstarted(this);
    }

    public void start() {
        thread.start();
    }

    boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    /** Runs {@code task} on the loop's thread, soon. */
    void execute(Runnable task) {
        tasks.add(task);
        selector.wakeup();
    }

    /**
     * Takes over {@code channel} (non-blocking from now on): on the loop's thread, makes its
     * transport, lets {@code open} open the WebSocket on it, feeds it {@code first} (bytes read
     * past the upgrade request) and from then on everything the socket brings.
     */
    public void adopt(
            SocketChannel channel,
            LoopTransport transport,
            Function<LoopTransport, Inbound> open,
            byte[] first) {
        execute(
                () -> {
                    try {
                        channel.configureBlocking(false);
                        SelectionKey key =
                                channel.register(selector, SelectionKey.OP_READ, transport);
                        transport.registered(key);
                        Inbound in = open.apply(transport);
                        transport.inbound(in);
                        if (first.length > 0) {
                            in.feed(first, 0, first.length);
                        }
                    } catch (IOException | CancelledKeyException e) {
                        transport.cut(); // closed before the loop took it
                    }
                });
    }

    public void stop() {
        running = false;
        selector.wakeup();
    }

    @Override
    public void run() {
        while (running) {
            try {
                selector.select();
                Runnable t;
                while ((t = tasks.poll()) != null) {
                    t.run();
                }
                for (SelectionKey key : selector.selectedKeys()) {
                    LoopTransport c = (LoopTransport) key.attachment();
                    try {
                        if (key.isValid() && key.isWritable()) {
                            c.onWritable();
                        }
                        if (key.isValid() && key.isReadable()) {
                            read(c);
                        }
                    } catch (CancelledKeyException e) {
                        // cut by another thread meanwhile
                    } catch (RuntimeException e) {
                        LOG.log(
                                System.Logger.Level.ERROR,
                                "bug: a connection failed on the event loop",
                                e);
                        c.cut();
                    }
                }
                selector.selectedKeys().clear();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.ERROR, "event loop select failed", e);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "bug: event loop task failed", e);
            }
        }
        try {
            selector.close();
        } catch (IOException e) {
            // closing is all we wanted
        }
    }

    /** Reads what the socket has (bounded: one buffer's worth per wake-up, for fairness) and feeds it. */
    private void read(LoopTransport c) {
        readBuffer.clear();
        int n;
        try {
            n = c.channel().read(readBuffer);
        } catch (IOException e) {
            n = -1;
        }
        Inbound in = c.inbound();
        if (in.ended()) {
            // the WebSocket is over: what still comes is dropped until the client's FIN
            if (c.dropped(n)) {
                c.cut();
            }
            return;
        }
        if (n < 0) {
            c.endOfStream();
            return;
        }
        if (n > 0) {
            in.feed(readArray, 0, n);
        }
    }
}
