package dev.hybridge.gateway.testing;

import dev.hybridge.gateway.Gateway;
import dev.hybridge.gateway.Main;
import dev.hybridge.gateway.config.ConfigLoader;
import dev.hybridge.gateway.config.GatewayConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A real gateway in this JVM on a free loopback port, started by {@link Main#start} as in production. */
public final class TestGateway implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final Main.Running running;

    private TestGateway(Main.Running running) {
        this.running = running;
    }

    /** Starts with the embedded defaults, a key file at {@code keyFile}, and {@code overrides}. */
    public static TestGateway start(Path keyFile, Map<String, String> overrides) throws Exception {
        Map<String, String> all = new HashMap<>(overrides);
        all.put("hybridge.key-file", keyFile.toString());
        all.putIfAbsent("hybridge.server.host", "127.0.0.1");
        all.putIfAbsent("hybridge.server.port", "0");
        GatewayConfig config = GatewayConfig.from(ConfigLoader.withOverrides(all));
        return new TestGateway(
                Main.start(
                        config,
                        () -> {
                            throw new AssertionError(
                                    "the gateway's listener was lost (Main would exit with 70)");
                        }));
    }

    public Gateway gateway() {
        return running.gateway();
    }

    public Main.Running running() {
        return running;
    }

    public int port() {
        return running.port();
    }

    public URI ws() {
        return URI.create("ws://127.0.0.1:" + port() + "/ws");
    }

    public URI http(String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    public byte[] publicKey() {
        return gateway().publicKey();
    }

    public boolean isRunning() {
        return running.isRunning();
    }

    public HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(http(path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** A metric's value from GET /metrics ({@code name} with labels, e.g. hybridge_limit_hits_total{limit="x"}); 0 if absent. */
    public long metric(String nameWithLabels) throws Exception {
        String body = get("/metrics").body();
        Matcher m =
                Pattern.compile("^" + Pattern.quote(nameWithLabels) + " (\\d+)$", Pattern.MULTILINE)
                        .matcher(body);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    /** Graceful stop: close 1001 to every connection, then the server. */
    public void stop() {
        running.stop();
    }

    @Override
    public void close() {
        if (running.isRunning()) {
            stop();
        }
    }
}
