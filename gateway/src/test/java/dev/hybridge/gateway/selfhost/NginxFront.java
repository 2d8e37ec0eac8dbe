package dev.hybridge.gateway.selfhost;

import dev.hybridge.gateway.testing.TrustOnly;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * Debian's nginx on loopback running deploy/nginx-hybridge.conf as it is, except for what a test
 * host must change: the listen addresses (free loopback ports), the certificate (self-signed,
 * made with openssl, for IP 127.0.0.1) and the gateway's port. The http {} around it is what
 * Debian's /etc/nginx/nginx.conf sets (worker_connections 768), without its access log.
 * {@code ./hybridge test} installs nginx and openssl when they are missing.
 */
final class NginxFront implements AutoCloseable {
    static final Path NGINX = Path.of("/usr/sbin/nginx");
    static final Path EXAMPLE =
            Path.of(System.getProperty("hybridge.deploy.dir", "../deploy"), "nginx-hybridge.conf");

    private final Path dir;
    private final Process process;
    private final String site;
    final int httpsPort;
    final int httpPort;
    final SSLContext trust;

    private NginxFront(
            Path dir, Process process, String site, int httpsPort, int httpPort, SSLContext trust) {
        this.dir = dir;
        this.process = process;
        this.site = site;
        this.httpsPort = httpsPort;
        this.httpPort = httpPort;
        this.trust = trust;
    }

    /** Starts nginx in front of the gateway on 127.0.0.1:{@code gatewayPort}; returns once /health answers 200 through it. */
    static NginxFront start(Path dir, int gatewayPort) throws Exception {
        if (!Files.isExecutable(NGINX)) {
            throw new IllegalStateException(
                    NGINX + " is missing: apt-get install nginx (./hybridge test installs it)");
        }
        // a self-signed certificate for 127.0.0.1, as an operator would get one from certbot
        Path cert = dir.resolve("fullchain.pem");
        Path key = dir.resolve("privkey.pem");
        run(
                List.of(
                        "openssl",
                        "req",
                        "-x509",
                        "-newkey",
                        "ec",
                        "-pkeyopt",
                        "ec_paramgen_curve:prime256v1",
                        "-nodes",
                        "-keyout",
                        key.toString(),
                        "-out",
                        cert.toString(),
                        "-days",
                        "2",
                        "-subj",
                        "/CN=127.0.0.1",
                        "-addext",
                        "subjectAltName=IP:127.0.0.1"));
        SSLContext trust = TrustOnly.pem(cert);

        int httpsPort = freePort();
        int httpPort = freePort();
        String site = Files.readString(EXAMPLE);
        site = replace(site, "listen 443 ssl;", "listen 127.0.0.1:" + httpsPort + " ssl;");
        site = replace(site, "listen [::]:443 ssl;", "");
        site = replace(site, "listen 80;", "listen 127.0.0.1:" + httpPort + ";");
        site = replace(site, "listen [::]:80;", "");
        site =
                replace(
                        site,
                        "/etc/letsencrypt/live/call.example.org/fullchain.pem",
                        cert.toString());
        site = replace(site, "/etc/letsencrypt/live/call.example.org/privkey.pem", key.toString());
        site = replace(site, "http://127.0.0.1:8080", "http://127.0.0.1:" + gatewayPort);
        Files.writeString(dir.resolve("site.conf"), site);
        Path temp = Files.createDirectories(dir.resolve("nginx-temp"));
        boolean root = "root".equals(System.getProperty("user.name"));
        Files.writeString(
                dir.resolve("nginx.conf"),
                """
                %s
                daemon off;
                worker_processes 1;
                pid %s/nginx.pid;
                error_log %s/error.log warn;
                events { worker_connections 768; }
                http {
                    access_log off;
                    client_body_temp_path %s/body;
                    proxy_temp_path %s/proxy;
                    fastcgi_temp_path %s/fastcgi;
                    uwsgi_temp_path %s/uwsgi;
                    scgi_temp_path %s/scgi;
                    include %s/site.conf;
                }
                """
                        .formatted(
                                root ? "user root;" : "",
                                dir,
                                dir,
                                temp,
                                temp,
                                temp,
                                temp,
                                temp,
                                dir));
        Process p =
                new ProcessBuilder(
                                NGINX.toString(),
                                "-e",
                                dir.resolve("error.log").toString(),
                                "-p",
                                dir.toString(),
                                "-c",
                                dir.resolve("nginx.conf").toString())
                        .redirectErrorStream(true)
                        .redirectOutput(dir.resolve("nginx.out").toFile())
                        .start();
        NginxFront front = new NginxFront(dir, p, site, httpsPort, httpPort, trust);
        HttpClient http = front.https();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            try {
                if (http.send(
                                        HttpRequest.newBuilder(front.https("/health")).build(),
                                        HttpResponse.BodyHandlers.discarding())
                                .statusCode()
                        == 200) {
                    return front;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            if (!p.isAlive() || System.nanoTime() > deadline) {
                front.close();
                throw new IllegalStateException("nginx did not come up: " + front.log());
            }
            Thread.sleep(100);
        }
    }

    /** The site file as nginx runs it. */
    String site() {
        return site;
    }

    /**
     * The first number of {@code regex}'s group 1 in the site file, e.g. {@code "client_header_timeout (\\d+)s;"}:
     * tests take their figures from the file, so they test what an operator installs.
     */
    int number(String regex) {
        Matcher m = Pattern.compile(regex).matcher(site);
        if (!m.find()) {
            throw new IllegalStateException(
                    EXAMPLE + " no longer matches '" + regex + "'; update the test with it");
        }
        return Integer.parseInt(m.group(1));
    }

    /** nginx's error log and console output so far. */
    String log() throws IOException {
        Path out = dir.resolve("nginx.out");
        Path err = dir.resolve("error.log");
        return (Files.exists(out) ? Files.readString(out) : "")
                + (Files.exists(err) ? Files.readString(err) : "");
    }

    boolean isAlive() {
        return process.isAlive();
    }

    URI https(String path) {
        return URI.create("https://127.0.0.1:" + httpsPort + path);
    }

    URI wss() {
        return URI.create("wss://127.0.0.1:" + httpsPort + "/ws");
    }

    HttpClient https() {
        return HttpClient.newBuilder()
                .sslContext(trust)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    /** A client whose connections come from {@code local} (any 127.x address is this host). */
    HttpClient https(InetAddress local) {
        return HttpClient.newBuilder()
                .sslContext(trust)
                .localAddress(local)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    /** A TLS connection to the https port from {@code local}, handshake done; nothing sent yet. */
    SSLSocket tls(InetAddress local) throws IOException {
        SSLSocket s = (SSLSocket) trust.getSocketFactory().createSocket();
        s.bind(new InetSocketAddress(local, 0));
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), httpsPort), 5000);
        s.setSoTimeout(10_000);
        s.startHandshake();
        return s;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy(); // SIGTERM: fast shutdown
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }

    private static String replace(String text, String what, String with) {
        if (!text.contains(what)) {
            throw new IllegalStateException(
                    EXAMPLE + " no longer contains '" + what + "'; update NginxFront with it");
        }
        return text.replace(what, with);
    }

    /** Ports handed out in this JVM: a port probed and released can be the next probe's answer too. */
    private static final java.util.Set<Integer> HANDED_OUT =
            java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** A free loopback port, never one this JVM handed out before (two of them in one config must differ). */
    static int freePort() throws IOException {
        while (true) {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                if (HANDED_OUT.add(s.getLocalPort())) {
                    return s.getLocalPort();
                }
            }
        }
    }

    static void run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(cmd + " failed: " + out);
        }
    }
}
