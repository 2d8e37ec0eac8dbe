package dev.hybridge.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.hybridge.crypto.handshake.HopClient;
import dev.hybridge.gateway.config.ConfigLoader;
import dev.hybridge.gateway.config.GatewayConfig;
import dev.hybridge.gateway.testing.TrustOnly;
import dev.hybridge.protocol.RoomCodec;
import dev.hybridge.protocol.RoomMessage;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TLS from PEM files (hybridge.server.tls): HTTPS and wss:// with the hop handshake on top. */
class TlsTest {
    @TempDir Path dir;

    @Test
    void servesHttpsAndWssFromPemFiles() throws Exception {
        // a self-signed certificate for 127.0.0.1, made with the JDK's keytool, exported to PEM
        Path p12 = dir.resolve("tls.p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process kt =
                new ProcessBuilder(
                                keytool,
                                "-genkeypair",
                                "-alias",
                                "gw",
                                "-keyalg",
                                "EC",
                                "-groupname",
                                "secp256r1",
                                "-dname",
                                "CN=127.0.0.1",
                                "-ext",
                                "san=ip:127.0.0.1",
                                "-validity",
                                "2",
                                "-storetype",
                                "PKCS12",
                                "-keystore",
                                p12.toString(),
                                "-storepass",
                                "changeit")
                        .redirectErrorStream(true)
                        .start();
        kt.getInputStream().readAllBytes();
        assertEquals(0, kt.waitFor());
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(p12)) {
            ks.load(in, "changeit".toCharArray());
        }
        PrivateKey key = (PrivateKey) ks.getKey("gw", "changeit".toCharArray());
        Certificate cert = ks.getCertificate("gw");
        Path certPem = dir.resolve("cert.pem");
        Path keyPem = dir.resolve("key.pem");
        Files.writeString(certPem, pem("CERTIFICATE", cert.getEncoded()));
        Files.writeString(keyPem, pem("PRIVATE KEY", key.getEncoded()));

        GatewayConfig config =
                GatewayConfig.from(
                        ConfigLoader.withOverrides(
                                Map.of(
                                        "hybridge.server.port", "0",
                                        "hybridge.server.tls.enabled", "true",
                                        "hybridge.server.tls.certificate", certPem.toString(),
                                        "hybridge.server.tls.private-key", keyPem.toString(),
                                        "hybridge.key-file",
                                                dir.resolve("gateway.key").toString())));
        Main.Running running = Main.start(config);
        try {
            HttpClient http =
                    HttpClient.newBuilder().sslContext(TrustOnly.certificate(cert)).build();
            int port = running.port();

            HttpResponse<String> r =
                    http.send(
                            HttpRequest.newBuilder(
                                            URI.create("https://127.0.0.1:" + port + "/health"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            // the gateway terminates TLS itself: HSTS on its routes and on the edge's own answers
            assertEquals(
                    dev.hybridge.gateway.web.SecurityHeaders.HSTS,
                    r.headers().firstValue("Strict-Transport-Security").orElseThrow());
            HttpResponse<String> plainWs =
                    http.send(
                            HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/ws"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertEquals(426, plainWs.statusCode());
            assertEquals(
                    dev.hybridge.gateway.web.SecurityHeaders.HSTS,
                    plainWs.headers().firstValue("Strict-Transport-Security").orElseThrow());

            java.util.concurrent.BlockingQueue<byte[]> inbound =
                    new java.util.concurrent.LinkedBlockingQueue<>();
            WebSocket ws =
                    http.newWebSocketBuilder()
                            .buildAsync(
                                    URI.create("wss://127.0.0.1:" + port + "/ws"),
                                    new WebSocket.Listener() {
                                        private final java.io.ByteArrayOutputStream buf =
                                                new java.io.ByteArrayOutputStream();

                                        @Override
                                        public CompletionStage<?> onBinary(
                                                WebSocket w, ByteBuffer data, boolean last) {
                                            byte[] b = new byte[data.remaining()];
                                            data.get(b);
                                            buf.writeBytes(b);
                                            if (last) {
                                                inbound.add(buf.toByteArray());
                                                buf.reset();
                                            }
                                            w.request(1);
                                            return null;
                                        }
                                    })
                            .get(10, TimeUnit.SECONDS);
            HopClient.Started started =
                    HopClient.start(running.gateway().publicKey(), new SecureRandom());
            ws.sendBinary(ByteBuffer.wrap(started.clientHello()), true).get(10, TimeUnit.SECONDS);
            HopClient.Established est = started.next().receive(inbound.poll(10, TimeUnit.SECONDS));
            ws.sendBinary(ByteBuffer.wrap(est.clientFinished()), true).get(10, TimeUnit.SECONDS);
            ws.sendBinary(
                            ByteBuffer.wrap(
                                    est.channel().seal(RoomCodec.encode(new RoomMessage.Leave()))),
                            true)
                    .get(10, TimeUnit.SECONDS);
            RoomMessage reply =
                    RoomCodec.decodeFromGateway(
                            est.channel().open(inbound.poll(10, TimeUnit.SECONDS)));
            assertEquals(
                    dev.hybridge.protocol.RoomError.NOT_IN_ROOM.code(),
                    assertInstanceOf(RoomMessage.Error.class, reply).code());
            ws.abort();
        } finally {
            running.stop();
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN "
                + type
                + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
                + "\n-----END "
                + type
                + "-----\n";
    }
}
