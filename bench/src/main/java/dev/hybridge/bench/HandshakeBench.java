package dev.hybridge.bench;

import dev.hybridge.crypto.ProtocolException;
import dev.hybridge.crypto.XWingKeyPair;
import dev.hybridge.crypto.handshake.DeterministicHandshakes;
import dev.hybridge.crypto.handshake.HopClient;
import dev.hybridge.crypto.handshake.HopServer;
import dev.hybridge.crypto.handshake.Wire;
import dev.hybridge.crypto.internal.Primitives;
import dev.hybridge.crypto.kdf.Kdf;
import dev.hybridge.crypto.kdf.Labels;
import dev.hybridge.crypto.record.Channel;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The hop handshake (spec/hop-handshake.md): each side alone, and both sides together.
 *
 * <p>One side alone needs the other side's answer to its own fresh message. The side benchmarks
 * therefore draw their randomness from the SecureRandom exactly as the production entry points do
 * (same sizes, same calls), but then run the handshake through the deterministic
 * test-kit entry points ({@link DeterministicHandshakes}, pq-crypto's test-jar) with randomness fixed at setup. Those share every line
 * of code with {@link HopClient#start(byte[], SecureRandom)} and {@link
 * HopServer#receiveClientHello(byte[], SecureRandom)} after the randomness is drawn (they call the
 * same private methods), and make the peer's answer computable once, at setup:
 *
 * <ul>
 *   <li>{@code hopHandshakeGateway}: receiveClientHello + receive(ClientFinished), i.e. validate
 *       HS1, encapsulate to the client, decapsulate with the static key, the key schedule, both
 *       confirmations, and the {@link Channel} (both record directions' keys and ciphers).
 *   <li>{@code hopHandshakeClient}: start (ephemeral key pair, encapsulation to the gateway) +
 *       receive(ServerHello) up to the established channel.
 *   <li>{@code hopHandshakeFull}: the production entry points with fresh randomness on both
 *       sides, in one thread (should be about client + gateway).
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
public class HandshakeBench {
    SecureRandom rng;
    XWingKeyPair gatewayKey;
    byte[] gatewayPublicKey;
    HopServer server;

    // fixed randomness and the messages it leads to
    byte[] clientEphemeralSeed;
    byte[] clientEseed;
    byte[] serverEseed;
    byte[] clientHello;
    byte[] serverHello;
    byte[] clientFinished;
    byte[] handshakeHash;

    // inputs of gatewayPrimitives: the same sizes the gateway handles
    Primitives.XWingPrivateKey gatewayExpandedKey;
    byte[] clientEphemeralPublicKey;
    byte[] ctS;
    byte[] serverHelloBody;
    byte[] th;
    byte[] ck;
    byte[] ikm;
    byte[] aesKey;

    // where the drawn (then unused) randomness goes
    final byte[] draw32 = new byte[32];
    final byte[] draw64 = new byte[64];

    @Setup(Level.Trial)
    public void setup() throws ProtocolException {
        rng = new SecureRandom();
        gatewayKey = XWingKeyPair.generate(rng);
        gatewayPublicKey = gatewayKey.publicKey();
        server = new HopServer(List.of(gatewayKey));
        clientEphemeralSeed = PrimitivesBench.random(rng, 32);
        clientEseed = PrimitivesBench.random(rng, 64);
        serverEseed = PrimitivesBench.random(rng, 64);

        HopClient.Started started =
                DeterministicHandshakes.hopClientStart(
                        gatewayPublicKey, clientEphemeralSeed, clientEseed, null);
        clientHello = started.clientHello();
        HopServer.Accepted accepted =
                DeterministicHandshakes.hopServerReceive(server, clientHello, serverEseed, null);
        serverHello = accepted.serverHello();
        HopClient.Established established = started.next().receive(serverHello);
        clientFinished = established.clientFinished();
        Channel gatewayChannel = accepted.next().receive(clientFinished);
        handshakeHash = gatewayChannel.handshakeHash();
        if (!Arrays.equals(handshakeHash, established.channel().handshakeHash())) {
            throw new IllegalStateException("setup handshake did not agree");
        }

        gatewayExpandedKey = new Primitives.XWingPrivateKey(gatewayKey.exportSecretSeed());
        clientEphemeralPublicKey = XWingKeyPair.fromSeed(clientEphemeralSeed).publicKey();
        ctS = Arrays.copyOfRange(clientHello, clientHello.length - Wire.CT_LEN, clientHello.length);
        serverHelloBody = Arrays.copyOf(serverHello, Wire.SERVER_HELLO_LEN - Wire.CONFIRM_LEN);
        th = PrimitivesBench.random(rng, Primitives.HASH_LEN);
        ck = PrimitivesBench.random(rng, Primitives.HASH_LEN);
        ikm = PrimitivesBench.random(rng, 2 * Primitives.HASH_LEN);
        aesKey = PrimitivesBench.random(rng, Primitives.AES_KEY_LEN);
    }

    /** Gateway side of one handshake: HS1 in, HS2 out, HS3 in, channel ready. */
    @Benchmark
    public Channel hopHandshakeGateway() throws ProtocolException {
        rng.nextBytes(draw64); // receiveClientHello's eseed
        HopServer.Accepted accepted =
                DeterministicHandshakes.hopServerReceive(server, clientHello, serverEseed, null);
        return accepted.next().receive(clientFinished);
    }

    /**
     * The primitive operations HandshakeOps.GATEWAY counts, called back to back with inputs of the
     * same sizes and nothing else: a cross-check of the sum of separately measured primitives
     * (which each run alone, hot in the caches and branch predictors).
     */
    @Benchmark
    public void gatewayPrimitives(Blackhole bh) throws ProtocolException {
        rng.nextBytes(draw64);
        bh.consume(Primitives.xwingEncapsulate(clientEphemeralPublicKey, serverEseed));
        bh.consume(gatewayExpandedKey.decapsulate(ctS));
        bh.consume(Kdf.hash(Labels.HOP_PROTOCOL.bytes()));
        bh.consume(Kdf.hash(th, clientHello));
        bh.consume(Kdf.extract(ck, ikm));
        bh.consume(Kdf.hash(th, serverHelloBody));
        bh.consume(Kdf.extract(ck, ikm));
        bh.consume(Kdf.hmac(Kdf.expand(ck, Labels.HOP_SERVER_FINISHED, Primitives.HASH_LEN), th));
        bh.consume(Kdf.hash(th, th));
        bh.consume(Kdf.hmac(Kdf.expand(ck, Labels.HOP_CLIENT_FINISHED, Primitives.HASH_LEN), th));
        bh.consume(Kdf.hash(th, th));
        bh.consume(Kdf.expand(ck, Labels.HOP_C2S, Primitives.HASH_LEN));
        bh.consume(Kdf.expand(ck, Labels.HOP_S2C, Primitives.HASH_LEN));
        for (int direction = 0; direction < 2; direction++) {
            bh.consume(Kdf.expand(ck, Labels.RECORD_KEY, Primitives.AES_KEY_LEN));
            bh.consume(Kdf.expand(ck, Labels.RECORD_IV, Primitives.GCM_NONCE_LEN));
            bh.consume(new Primitives.Gcm(aesKey));
        }
    }

    /** Client side of one handshake: HS1 out, HS2 in, HS3 out, channel ready. */
    @Benchmark
    public HopClient.Established hopHandshakeClient() throws ProtocolException {
        rng.nextBytes(draw64); // start's eseed
        rng.nextBytes(draw32); // XWingKeyPair.generate's seed
        HopClient.Started started =
                DeterministicHandshakes.hopClientStart(
                        gatewayPublicKey, clientEphemeralSeed, clientEseed, null);
        return started.next().receive(serverHello);
    }

    /** Both sides with fresh randomness, through the production entry points. */
    @Benchmark
    public void hopHandshakeFull(Blackhole bh) throws ProtocolException {
        HopClient.Started started = HopClient.start(gatewayPublicKey, rng);
        HopServer.Accepted accepted = server.receiveClientHello(started.clientHello(), rng);
        HopClient.Established established = started.next().receive(accepted.serverHello());
        bh.consume(established.channel());
        bh.consume(accepted.next().receive(established.clientFinished()));
    }
}
