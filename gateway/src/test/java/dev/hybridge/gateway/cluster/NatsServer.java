package dev.hybridge.gateway.cluster;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's {@code nats-server} on loopback, for the cluster tests; {@code ./hybridge test}
 * installs it when it is missing.
 */
final class NatsServer implements AutoCloseable {
    static final Path BINARY = Path.of("/usr/sbin/nats-server");

    private Process process;
    private final int port;
    private final Path log;

    private NatsServer(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    static NatsServer start(Path dir) throws Exception {
        if (!Files.isExecutable(BINARY)) {
            throw new IllegalStateException(
                    BINARY
                            + " is missing: apt-get install nats-server (./hybridge test installs it)");
        }
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path log = dir.resolve("nats-server.log");
        return new NatsServer(launch(port, log), port, log);
    }

    /** Starts the server again on the same port, after {@link #close}. */
    void restart() throws Exception {
        process = launch(port, log);
    }

    private static Process launch(int port, Path log) throws Exception {
        Process p =
                new ProcessBuilder(
                                List.of(
                                        BINARY.toString(),
                                        "-a",
                                        "127.0.0.1",
                                        "-p",
                                        Integer.toString(port),
                                        "-n",
                                        "hybridge-test"))
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                        .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            try (Socket c = new Socket()) {
                c.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return p;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        p.destroyForcibly();
        throw new IllegalStateException("nats-server did not listen:\n" + Files.readString(log));
    }

    int port() {
        return port;
    }

    String url() {
        return "nats://127.0.0.1:" + port;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
