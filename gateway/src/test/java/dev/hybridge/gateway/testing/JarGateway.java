package dev.hybridge.gateway.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The self-contained jar ({@code gateway/target/hybridge-gateway.jar}, system property
 * {@code hybridge.jar}) run as an operator runs it: {@code java -jar JAR CONFIG.yaml} in a child
 * process. Only integration tests (*IT, after {@code package}) use it.
 */
public final class JarGateway implements AutoCloseable {
    private static final Pattern READY =
            Pattern.compile("Hybridge gateway at (https?)://([^/]+):(\\d+)/");
    private static final Duration START = Duration.ofSeconds(60);

    private final Process process;
    private final StringBuffer output;
    private final int port;
    private final Thread reader;

    private JarGateway(Process process, StringBuffer output, int port, Thread reader) {
        this.process = process;
        this.output = output;
        this.port = port;
        this.reader = reader;
    }

    /** The jar under test; fails with the build command if it is missing. */
    public static Path jar() {
        Path jar = Path.of(System.getProperty("hybridge.jar", "target/hybridge-gateway.jar"));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(
                    jar
                            + " is missing: build it with ./hybridge package (mvn -pl gateway -am package)");
        }
        return jar;
    }

    /** Runs {@code java -jar JAR args...} to completion (the key commands); returns exit code and output. */
    public static Result run(List<String> args) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of(java(), "-jar", jar().toString()));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("java -jar " + args + " did not finish");
        }
        return new Result(p.exitValue(), out);
    }

    public record Result(int exitCode, String output) {}

    /**
     * Starts the jar with {@code yaml} (a whole config file) written to {@code dir}; waits for the
     * "Hybridge gateway at" line and returns once /health/ready answers 200.
     */
    public static JarGateway start(Path dir, String yaml) throws Exception {
        return start(dir, yaml, java.util.Map.of());
    }

    /** As {@link #start(Path, String)}, with {@code env} added to a HYBRIDGE_-free environment. */
    public static JarGateway start(Path dir, String yaml, java.util.Map<String, String> env)
            throws Exception {
        return start(dir, yaml, env, List.of());
    }

    /**
     * As {@link #start(Path, String)}, the process limited to {@code fdLimit} open file
     * descriptors (soft and hard, as {@code ulimit -n} in a unit with LimitNOFILE sets them).
     */
    public static JarGateway startWithFdLimit(Path dir, String yaml, int fdLimit) throws Exception {
        return start(
                dir,
                yaml,
                java.util.Map.of(),
                List.of("bash", "-c", "ulimit -n " + fdLimit + " && exec \"$@\"", "bash"));
    }

    private static JarGateway start(
            Path dir, String yaml, java.util.Map<String, String> env, List<String> prefix)
            throws Exception {
        Path config = dir.resolve("gateway.yaml");
        Files.writeString(config, yaml);
        List<String> cmd = new java.util.ArrayList<>(prefix);
        cmd.addAll(
                List.of(
                        java(),
                        "-XX:+UseSerialGC",
                        "-XX:TieredStopAtLevel=1",
                        "-jar",
                        jar().toString(),
                        config.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment()
                .keySet()
                .removeIf(
                        k -> k.startsWith("HYBRIDGE_")); // the environment would override the file
        pb.environment().putAll(env);
        Process p = pb.start();
        StringBuffer output = new StringBuffer();
        CompletableFuture<Integer> ready = new CompletableFuture<>();
        Thread reader =
                new Thread(
                        () -> {
                            try (BufferedReader r =
                                    new BufferedReader(
                                            new InputStreamReader(
                                                    p.getInputStream(), StandardCharsets.UTF_8))) {
                                String line;
                                while ((line = r.readLine()) != null) {
                                    output.append(line).append('\n');
                                    Matcher m = READY.matcher(line);
                                    if (m.find()) {
                                        ready.complete(Integer.parseInt(m.group(3)));
                                    }
                                }
                            } catch (IOException ignored) {
                                // process gone
                            }
                            ready.completeExceptionally(
                                    new IllegalStateException(
                                            "gateway exited before it was ready:\n" + output));
                        },
                        "jar-gateway-output");
        reader.setDaemon(true);
        reader.start();
        int port;
        try {
            port = ready.get(START.toSeconds(), TimeUnit.SECONDS);
        } catch (Exception e) {
            p.destroyForcibly();
            throw new IllegalStateException(
                    "gateway did not start: " + e.getMessage() + "\n" + output, e);
        }
        JarGateway gw = new JarGateway(p, output, port, reader);
        gw.awaitReady(yaml.contains("enabled: true"));
        return gw;
    }

    private void awaitReady(boolean tls) throws Exception {
        if (tls) {
            return; // the caller's client holds the trust; the announcement line is enough here
        }
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + START.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (http.send(
                                        HttpRequest.newBuilder(http("/health/ready")).build(),
                                        HttpResponse.BodyHandlers.discarding())
                                .statusCode()
                        == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("/health/ready never answered 200:\n" + output);
    }

    public int port() {
        return port;
    }

    public URI http(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    public URI ws() {
        return URI.create("ws://127.0.0.1:" + port + "/ws");
    }

    /** Everything the process printed so far. */
    public String output() {
        return output.toString();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** SIGTERM (the gateway's shutdown hook closes connections with 1001), then waits; returns the exit code. */
    public int stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor();
        }
        reader.join(5000); // the last lines (shutdown) are in output() after this
        return process.exitValue();
    }

    /** SIGKILL (kill -9): no shutdown hook runs, the process vanishes mid-whatever. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(15, TimeUnit.SECONDS);
        reader.join(5000);
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            stop();
        }
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
