package dev.hybridge.bench;

import dev.hybridge.crypto.XWingKeyPair;
import dev.hybridge.crypto.handshake.HopClient;
import dev.hybridge.crypto.handshake.HopServer;
import dev.hybridge.crypto.internal.Primitives;
import dev.hybridge.crypto.record.Channel;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The primitive operations the gateway performs for one hop handshake (spec/hop-handshake.md,
 * HK1-HK10 and the record keys RK2), each measured alone, and the whole server side in memory.
 * LoadBench compares the gateway's measured CPU per network handshake with the sum of these.
 *
 * <p>Per handshake the gateway does: 1 X-Wing Encaps (to the client's ephemeral key), 1 X-Wing
 * Decaps (ct_s), 64 bytes from SecureRandom, H over the ClientHello (2372 B) and the ServerHello
 * body (1124 B) plus 2 short H, 2 HKDF-Extract, 8 HKDF-Expand (2 finished keys, 2 traffic
 * secrets, key + iv per direction), 2 HMAC, 2 AES-GCM key setups.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class HandshakePrimitivesBench {
    private final SecureRandom rng = new SecureRandom();
    private XWingKeyPair gatewayKey;
    private byte[] clientPk;
    private byte[] eseed;
    private byte[] ctToGateway;
    private byte[] clientHello;
    private byte[] serverHelloBody;
    private byte[] key32;
    private HopServer server;

    @Setup
    public void setup() throws Exception {
        gatewayKey = XWingKeyPair.generate(rng);
        clientPk = XWingKeyPair.generate(rng).publicKey();
        eseed = new byte[64];
        rng.nextBytes(eseed);
        ctToGateway = Primitives.xwingEncapsulate(gatewayKey.publicKey(), eseed).ciphertext();
        clientHello = HopClient.start(gatewayKey.publicKey(), rng).clientHello();
        serverHelloBody = new byte[1124];
        key32 = new byte[32];
        rng.nextBytes(key32);
        server = new HopServer(List.of(gatewayKey));
    }

    @Benchmark
    public Object xwingEncaps() throws Exception {
        return Primitives.xwingEncapsulate(clientPk, eseed);
    }

    @Benchmark
    public Object xwingDecaps() throws Exception {
        return gatewayKey.decapsulate(ctToGateway);
    }

    @Benchmark
    public Object random64() {
        byte[] b = new byte[64];
        rng.nextBytes(b);
        return b;
    }

    @Benchmark
    public Object sha256ClientHello() {
        return Primitives.sha256(key32, clientHello);
    }

    @Benchmark
    public Object sha256ServerHello() {
        return Primitives.sha256(key32, serverHelloBody);
    }

    @Benchmark
    public Object sha256Short() {
        return Primitives.sha256(key32, key32);
    }

    @Benchmark
    public Object hkdfExtract() {
        return Primitives.hkdfExtract(key32, key32);
    }

    @Benchmark
    public Object hkdfExpand() {
        return Primitives.hkdfExpand(key32, "hybridge/v1/hop/c2s".getBytes(), 32);
    }

    @Benchmark
    public Object hmac() {
        return Primitives.hmacSha256(key32, key32);
    }

    @Benchmark
    public Object gcmKeySetup() {
        return new Primitives.Gcm(key32);
    }

    /** Both sides of a whole hop handshake in memory, for orientation (it includes the client's work). */
    @Benchmark
    public Object serverHandshakeInMemory() throws Exception {
        HopClient.Started started = HopClient.start(gatewayKey.publicKey(), rng);
        HopServer.Accepted accepted = server.receiveClientHello(started.clientHello(), rng);
        HopClient.Established est = started.next().receive(accepted.serverHello());
        Channel ch = accepted.next().receive(est.clientFinished());
        return ch;
    }
}
