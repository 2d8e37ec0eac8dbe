package dev.hybridge.gateway.sfu;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's Janus (1.x) on loopback with a generated configuration: only the VideoRoom plugin and
 * the WebSockets transport (each from a folder holding just that one library), the API on
 * 127.0.0.1, ICE on the loopback interface. {@code ./hybridge test} installs {@code janus}.
 */
final class JanusServer implements AutoCloseable {
    static final Path BINARY = Path.of("/usr/bin/janus");
    private static final Path LIBS = Path.of("/usr/lib/x86_64-linux-gnu/janus");

    private final Path dir;
    private final int port;
    private Process process;

    private JanusServer(Path dir, int port) {
        this.dir = dir;
        this.port = port;
    }

    static boolean installed() {
        return Files.isExecutable(BINARY)
                && Files.exists(LIBS.resolve("plugins/libjanus_videoroom.so"))
                && Files.exists(LIBS.resolve("transports/libjanus_websockets.so"));
    }

    static JanusServer start(Path dir) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path conf = Files.createDirectories(dir.resolve("conf"));
        Path plugins = Files.createDirectories(dir.resolve("plugins"));
        Path transports = Files.createDirectories(dir.resolve("transports"));
        Files.createSymbolicLink(
                plugins.resolve("libjanus_videoroom.so"),
                LIBS.resolve("plugins/libjanus_videoroom.so"));
        Files.createSymbolicLink(
                transports.resolve("libjanus_websockets.so"),
                LIBS.resolve("transports/libjanus_websockets.so"));
        Files.writeString(
                conf.resolve("janus.jcfg"),
                """
                general: {
                \tconfigs_folder = "%s"
                \tplugins_folder = "%s"
                \ttransports_folder = "%s"
                \tevents_folder = "%s/none"
                \tloggers_folder = "%s/none"
                \tdebug_level = 4
                \tsession_timeout = 60
                }
                media: {
                }
                nat: {
                \tice_enforce_list = "lo"
                }
                """
                        .formatted(conf, plugins, transports, dir, dir));
        Files.writeString(
                conf.resolve("janus.transport.websockets.jcfg"),
                """
                general: {
                \tjson = "plain"
                \tws = true
                \tws_port = %d
                \tws_ip = "127.0.0.1"
                \twss = false
                }
                admin: {
                \tadmin_ws = false
                }
                """
                        .formatted(port));
        Files.writeString(conf.resolve("janus.plugin.videoroom.jcfg"), "general: {\n}\n");
        JanusServer j = new JanusServer(dir, port);
        j.launch();
        return j;
    }

    /** Starts Janus (again, after {@link #stop}) on the same port. */
    void launch() throws Exception {
        Path conf = dir.resolve("conf");
        Path log = dir.resolve("janus.log");
        process =
                new ProcessBuilder(
                                List.of(
                                        BINARY.toString(),
                                        "-F",
                                        conf.toString(),
                                        "-C",
                                        conf.resolve("janus.jcfg").toString(),
                                        "-o"))
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                        .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline && process.isAlive()) {
            try (Socket c = new Socket()) {
                c.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        process.destroyForcibly();
        throw new IllegalStateException("janus did not listen:\n" + Files.readString(log));
    }

    /** Kills Janus (SIGKILL: a crash, not a clean stop) and waits for it to be gone. */
    void stop() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    String url() {
        return "ws://127.0.0.1:" + port;
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
