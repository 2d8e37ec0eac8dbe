package dev.hybridge.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hybridge.crypto.handshake.HopClient;
import dev.hybridge.crypto.record.Channel;
import dev.hybridge.gateway.testing.HealthyRoom;
import dev.hybridge.gateway.testing.Peers;
import dev.hybridge.gateway.testing.RawWebSocket;
import dev.hybridge.gateway.testing.TestClient;
import dev.hybridge.gateway.testing.TestGateway;
import dev.hybridge.protocol.RoomCodec;
import dev.hybridge.protocol.RoomMessage;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A peer that stops reading must not hold up the peers relaying to it, nor grow the gateway's
 * memory: its outbox is capped and it is closed with SLOW_CONSUMER (4112) and leaves its room.
 */
class SlowConsumerTest {
    @TempDir Path dir;

    @Test
    void aPeerThatNeverReadsIsCutAndTheSenderIsNotBlocked() throws Exception {
        try (TestGateway gw =
                TestGateway.start(
                        dir.resolve("gateway.key"),
                        Map.of(
                                "hybridge.limits.send-queue-max-bytes", "131122",
                                "hybridge.limits.messages-per-second", "100000",
                                "hybridge.limits.message-burst", "100000"))) {
            HealthyRoom healthy = HealthyRoom.start(gw.ws(), gw.publicKey(), 20);
            byte[] roomId = Peers.roomId();
            try (TestClient sender = TestClient.established(gw.ws(), gw.publicKey());
                    RawWebSocket stalled = RawWebSocket.connect(gw.port())) {
                sender.send(new RoomMessage.Join(roomId, Peers.key()));
                sender.receive();
                // the stalled peer: handshake and JOIN by hand, then it never reads again
                HopClient.Started started = HopClient.start(gw.publicKey(), new SecureRandom());
                stalled.sendBinary(started.clientHello());
                HopClient.Established est = started.next().receive(stalled.readFrame().payload());
                stalled.sendBinary(est.clientFinished());
                Channel ch = est.channel();
                stalled.sendBinary(
                        ch.seal(RoomCodec.encode(new RoomMessage.Join(roomId, Peers.key()))));
                RoomMessage.PeerJoined pj =
                        assertInstanceOf(RoomMessage.PeerJoined.class, sender.receive());

                long before = gw.metric("hybridge_limit_hits_total{limit=\"send_queue\"}");
                byte[] envelope = new byte[32_000];
                RoomMessage.PeerLeft left = null;
                // far more than socket buffers and the 128 KiB outbox cap can hold
                for (int i = 0; i < 4000 && left == null; i++) {
                    sender.send(new RoomMessage.Relay(pj.peerId(), envelope));
                    byte[] in = sender.nextRaw(java.time.Duration.ZERO);
                    if (in != null) {
                        RoomMessage m = RoomCodec.decodeFromGateway(sender.channel().open(in));
                        left =
                                assertInstanceOf(
                                        RoomMessage.PeerLeft.class,
                                        m,
                                        "only PEER_LEFT (or UNKNOWN_PEER after it) may come");
                    }
                }
                if (left == null) {
                    left = assertInstanceOf(RoomMessage.PeerLeft.class, sender.receive());
                }
                assertArrayEquals(pj.peerId(), left.peerId());
                assertTrue(gw.metric("hybridge_limit_hits_total{limit=\"send_queue\"}") > before);
                assertTrue(
                        gw.metric("hybridge_inputs_rejected_total{reason=\"SLOW_CONSUMER\"}") >= 1);
            }
            // the stalled connection is released, not kept half-open
            GatewayFlowTest.waitFor(() -> gw.gateway().connectionLimiter().open() == 2);
            healthy.stopAndVerify();
            healthy.close();
            assertEquals(200, gw.get("/health").statusCode());
        }
    }
}
