package dev.hybridge.gateway.cluster;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A TCP proxy on loopback between one gateway node and nats-server, so that a test can cut that
 * node alone off the bus: {@link #cut} closes its connections and refuses new ones for a while,
 * as a broken link would, while the other nodes keep the bus; {@link #deafen} keeps its
 * connections up but stops delivering the bus's messages on them (MSG and HMSG frames from the
 * server are dropped; PING, PONG, INFO and the rest still pass, so the client sees a healthy
 * connection), as a connection that delivers nothing while it looks fine would.
 */
final class BusProxy implements AutoCloseable {
    private final ServerSocket server;
    private final int upstreamPort;
    private final List<Socket> open = new CopyOnWriteArrayList<>();

    /** One flag per connection now open: true once {@link #deafen} reached it. */
    private final List<AtomicBoolean> deafFlags = new CopyOnWriteArrayList<>();

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

    /** The connections open now deliver no bus message from now on; new ones are not affected. */
    void deafen() {
        for (AtomicBoolean f : deafFlags) {
            f.set(true);
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
            AtomicBoolean deaf = new AtomicBoolean();
            deafFlags.add(deaf);
            fromServer(up, down, deaf);
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

    /** Server to client, frame by frame, dropping MSG and HMSG frames once {@code deaf} is set. */
    private void fromServer(Socket from, Socket to, AtomicBoolean deaf) {
        Thread.ofPlatform()
                .daemon()
                .name("bus-proxy-server")
                .start(
                        () -> {
                            try (InputStream in = new BufferedInputStream(from.getInputStream());
                                    OutputStream out =
                                            new BufferedOutputStream(to.getOutputStream())) {
                                for (; ; ) {
                                    byte[] line = readLine(in);
                                    if (line == null) {
                                        break;
                                    }
                                    String s = new String(line, StandardCharsets.ISO_8859_1);
                                    byte[] payload = null;
                                    if (s.startsWith("MSG ") || s.startsWith("HMSG ")) {
                                        String[] parts = s.trim().split(" ");
                                        int size = Integer.parseInt(parts[parts.length - 1]);
                                        payload = in.readNBytes(size + 2);
                                    }
                                    if (payload != null && deaf.get()) {
                                        continue;
                                    }
                                    out.write(line);
                                    if (payload != null) {
                                        out.write(payload);
                                    }
                                    if (in.available() == 0) {
                                        out.flush();
                                    }
                                }
                            } catch (IOException | RuntimeException e) {
                                // cut, or one side closed
                            } finally {
                                quietly(from);
                                quietly(to);
                                open.remove(from);
                                open.remove(to);
                                deafFlags.remove(deaf);
                            }
                        });
    }

    /** One protocol line with its CRLF, or null at the end of the stream. */
    private static byte[] readLine(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(64);
        int c;
        while ((c = in.read()) >= 0) {
            b.write(c);
            if (c == '\n') {
                return b.toByteArray();
            }
        }
        return null;
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
