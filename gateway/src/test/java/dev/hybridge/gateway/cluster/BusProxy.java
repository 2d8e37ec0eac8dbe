package dev.hybridge.gateway.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP proxy on loopback between one gateway node and nats-server, so that a test can cut that
 * node alone off the bus: {@link #cut} closes its connections and refuses new ones for a while,
 * as a broken link would, while the other nodes keep the bus.
 */
final class BusProxy implements AutoCloseable {
    private final ServerSocket server;
    private final int upstreamPort;
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private volatile long cutUntil;
    private volatile boolean closed;

    BusProxy(int upstreamPort) throws IOException {
        this.upstreamPort = upstreamPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofPlatform().daemon().name("bus-proxy").start(this::accept);
    }

    String url() {
        return "nats://127.0.0.1:" + server.getLocalPort();
    }

    /** Closes every connection through the proxy and refuses new ones for {@code d}. */
    void cut(Duration d) {
        cutUntil = System.nanoTime() + d.toNanos();
        for (Socket s : open) {
            quietly(s);
        }
    }

    private void accept() {
        while (!closed) {
            Socket down;
            try {
                down = server.accept();
            } catch (IOException e) {
                return;
            }
            if (System.nanoTime() - cutUntil < 0) {
                quietly(down);
                continue;
            }
            Socket up = new Socket();
            try {
                up.connect(new InetSocketAddress("127.0.0.1", upstreamPort), 2000);
            } catch (IOException e) {
                quietly(down);
                quietly(up);
                continue;
            }
            open.add(down);
            open.add(up);
            pump(down, up);
            pump(up, down);
        }
    }

    private void pump(Socket from, Socket to) {
        Thread.ofPlatform()
                .daemon()
                .name("bus-proxy-pump")
                .start(
                        () -> {
                            byte[] buf = new byte[16384];
                            try (InputStream in = from.getInputStream();
                                    OutputStream out = to.getOutputStream()) {
                                int n;
                                while ((n = in.read(buf)) >= 0) {
                                    out.write(buf, 0, n);
                                }
                            } catch (IOException e) {
                                // cut, or one side closed
                            } finally {
                                quietly(from);
                                quietly(to);
                                open.remove(from);
                                open.remove(to);
                            }
                        });
    }

    private static void quietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // closing is all we wanted
        }
    }

    @Override
    public void close() {
        closed = true;
        quietly2(server);
        for (Socket s : open) {
            quietly(s);
        }
    }

    private static void quietly2(ServerSocket s) {
        try {
            s.close();
        } catch (IOException e) {
            // closing is all we wanted
        }
    }
}
