package dev.hybridge.gateway.sfu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hybridge.gateway.room.PeerIds;
import dev.hybridge.gateway.testing.Peers;
import dev.hybridge.gateway.testing.TestClient;
import dev.hybridge.gateway.testing.TestGateway;
import dev.hybridge.protocol.RoomError;
import dev.hybridge.protocol.RoomMessage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway against a real Janus on loopback (spec/sfu.md): members' SFU requests go through
 * their hop channels to Janus and back, refusals come with their codes, the Janus room is made
 * with require_e2ee, sessions end with the seat, and a Janus restart is survived.
 */
class JanusSfuIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicLong TXN = new AtomicLong(1);

    @TempDir Path dir;
    private JanusServer janus;
    private TestGateway gw;

    @BeforeEach
    void start() throws Exception {
        if (!JanusServer.installed()) {
            System.err.println(
                    "\n*** SKIPPED JanusSfuIT: /usr/bin/janus with the VideoRoom plugin and the"
                            + " WebSockets transport is missing (apt-get install janus;"
                            + " ./hybridge test installs it) ***\n");
        }
        Assumptions.assumeTrue(JanusServer.installed(), "janus is not installed");
        janus = JanusServer.start(dir.resolve("janus"));
        gw =
                TestGateway.start(
                        dir.resolve("gw.key"),
                        Map.of(
                                "hybridge.sfu.enabled", "true",
                                "hybridge.sfu.janus-url", janus.url(),
                                "hybridge.sfu.request-timeout", "PT5S",
                                "hybridge.limits.room-capacity", "25"));
    }

    @AfterEach
    void stop() throws Exception {
        if (gw != null) {
            gw.close();
        }
        if (janus != null) {
            janus.close();
        }
    }

    @Test
    void publishAndSubscribeThroughTheHopChannel() throws Exception {
        byte[] room = Peers.roomId();
        long[] peerA = new long[1];
        try (TestClient a = joined(room, peerA);
                TestClient b = joined(room, new long[1])) {

            JsonNode joined =
                    answer(
                            a,
                            1,
                            "{\"janus\":\"message\",\"body\":{\"request\":\"join\",\"ptype\":\"publisher\"}}");
            assertEquals(
                    "joined", joined.path("plugindata").path("data").path("videoroom").asText());
            // the gateway chose the feed id from the peer id (spec/sfu.md §4)
            assertEquals(
                    SfuIds.feedId(peerA[0]),
                    joined.path("plugindata").path("data").path("id").asLong());
            assertTrue(
                    joined.path("session_id").isMissingNode(), "session ids stay in the gateway");

            // require_e2ee: a jsep that does not say its frames are sealed is refused by Janus
            // (433; on b's handle: a refused offer leaves that handle's ICE agent unusable)
            answer(
                    b,
                    1,
                    "{\"janus\":\"message\",\"body\":{\"request\":\"join\",\"ptype\":\"publisher\"}}");
            JsonNode clear = answer(b, 1, publish(false));
            assertEquals(
                    433,
                    clear.path("plugindata").path("data").path("error_code").asInt(),
                    clear.toString());
            JsonNode sealed = answer(a, 1, publish(true));
            assertEquals("answer", sealed.path("jsep").path("type").asText(), sealed.toString());
            assertTrue(sealed.path("jsep").path("sdp").asText().contains("m=audio"));

            // b subscribes to a's feed by the id it computes from a's peer id. Janus lists a
            // feed only once its WebRTC is up, which needs a real browser (the browser tests):
            // here Janus answers that this very feed has not started
            JsonNode early =
                    answer(
                            b,
                            2,
                            "{\"janus\":\"message\",\"body\":{\"request\":\"join\",\"ptype\":\"subscriber\",\"streams\":[{\"feed\":"
                                    + SfuIds.feedId(peerA[0])
                                    + "}]}}");
            JsonNode data = early.path("plugindata").path("data");
            assertEquals(428, data.path("error_code").asInt(), early.toString());
            assertTrue(
                    data.path("error").asText().contains(Long.toString(SfuIds.feedId(peerA[0]))));
            assertEquals(2, gw.gateway().services().sfu().sessions());
            assertEquals(1, gw.gateway().services().sfu().janusRooms());

            // a leaves: its session ends; b's remains
            a.send(new RoomMessage.Leave());
            await(() -> gw.gateway().services().sfu().sessions() == 1);
        }
        await(() -> gw.gateway().services().sfu().sessions() == 0);
        await(() -> gw.gateway().services().sfu().janusRooms() == 0);
    }

    @Test
    void forbiddenRequestsAreRefusedWithTheirCodes() throws Exception {
        try (TestClient a = joined(Peers.roomId())) {
            refused(
                    a,
                    1,
                    "{\"janus\":\"message\",\"body\":{\"request\":\"listparticipants\"}}",
                    RoomError.SFU_NOT_ALLOWED);
            refused(
                    a,
                    1,
                    "{\"janus\":\"message\",\"body\":{\"request\":\"create\",\"room\":1}}",
                    RoomError.SFU_NOT_ALLOWED);
            refused(
                    a,
                    1,
                    "{\"janus\":\"message\",\"body\":{\"request\":\"join\",\"ptype\":\"publisher\",\"room\":1234}}",
                    RoomError.SFU_NOT_ALLOWED);
            refused(
                    a,
                    1,
                    "{\"janus\":\"message\",\"body\":{\"request\":\"join\",\"ptype\":\"publisher\",\"display\":\"Alice\"}}",
                    RoomError.SFU_NOT_ALLOWED);
            refused(a, 1, "{\"janus\":\"destroy\"}", RoomError.SFU_NOT_ALLOWED);
            refused(a, 1, "{\"janus\":\"message\",\"body\":", RoomError.SFU_MALFORMED);
            // after all that, the same member's allowed request still works
            JsonNode joined =
                    answer(
                            a,
                            1,
                            "{\"janus\":\"message\",\"body\":{\"request\":\"join\",\"ptype\":\"publisher\"}}");
            assertEquals(
                    "joined", joined.path("plugindata").path("data").path("videoroom").asText());
        }
        try (TestClient stranger = TestClient.established(gw.ws(), gw.publicKey())) {
            refused(
                    stranger,
                    1,
                    "{\"janus\":\"message\",\"body\":{\"request\":\"leave\"}}",
                    RoomError.NOT_IN_ROOM);
        }
    }

    @Test
    void aJanusRestartIsReportedAndTheNextRequestRecovers() throws Exception {
        try (TestClient a = joined(Peers.roomId())) {
            String join =
                    "{\"janus\":\"message\",\"body\":{\"request\":\"join\",\"ptype\":\"publisher\"}}";
            assertEquals(
                    "joined",
                    answer(a, 1, join).path("plugindata").path("data").path("videoroom").asText());
            janus.stop();
            RoomMessage.Error lost = assertInstanceOf(RoomMessage.Error.class, a.receive());
            assertEquals(RoomError.SFU_UNAVAILABLE.code(), lost.code());
            assertEquals(null, lost.ref(), "a lost session is reported without a txn");
            // while Janus is down, a request is answered with SFU_UNAVAILABLE, never dropped
            refused(a, 1, join, RoomError.SFU_UNAVAILABLE);
            janus.launch();
            assertEquals(
                    "joined",
                    answer(a, 1, join).path("plugindata").path("data").path("videoroom").asText());
        }
    }

    // ---------------------------------------------------------------- helpers

    /** A member seated in {@code room}; its peer id goes to {@code peerId[0]}. */
    private TestClient joined(byte[] room, long[] peerId) throws Exception {
        TestClient c = TestClient.established(gw.ws(), gw.publicKey());
        c.send(new RoomMessage.Join(room, Peers.key()));
        peerId[0] =
                PeerIds.fromBytes(assertInstanceOf(RoomMessage.Joined.class, c.receive()).peerId());
        return c;
    }

    private TestClient joined(byte[] room) throws Exception {
        return joined(room, new long[1]);
    }

    private static byte[] send(TestClient c, int handle, String json) throws Exception {
        byte[] txn = PeerIds.toBytes(TXN.getAndIncrement());
        c.send(new RoomMessage.SfuRequest(handle, txn, json.getBytes(StandardCharsets.UTF_8)));
        return txn;
    }

    /** The SFU_EVENT answering a request (other events on the way are skipped). */
    private static JsonNode answer(TestClient c, int handle, String json) throws Exception {
        byte[] txn = send(c, handle, json);
        while (true) {
            RoomMessage m = c.receive();
            if (m instanceof RoomMessage.Error e) {
                throw new AssertionError("refused with " + RoomError.nameOf(e.code()));
            }
            if (m instanceof RoomMessage.SfuEvent ev && java.util.Arrays.equals(ev.txn(), txn)) {
                assertEquals(handle, ev.handle());
                return JSON.readTree(ev.json());
            }
        }
    }

    private static void refused(TestClient c, int handle, String json, RoomError code)
            throws Exception {
        byte[] txn = send(c, handle, json);
        while (true) {
            RoomMessage m = c.receive();
            if (m instanceof RoomMessage.Error e) {
                assertEquals(code.name(), RoomError.nameOf(e.code()), json);
                assertArrayEquals(txn, e.ref());
                return;
            }
            assertInstanceOf(RoomMessage.SfuEvent.class, m, "only SFU events may come first");
        }
    }

    private static String publish(boolean e2ee) {
        String sdp =
                String.join(
                        "\\r\\n",
                        "v=0",
                        "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
                        "s=-",
                        "t=0 0",
                        "a=group:BUNDLE 0",
                        "a=msid-semantic: WMS s",
                        "m=audio 9 UDP/TLS/RTP/SAVPF 111",
                        "c=IN IP4 0.0.0.0",
                        "a=rtcp:9 IN IP4 0.0.0.0",
                        "a=ice-ufrag:Hb7q",
                        "a=ice-pwd:hybridgehybridgehybridge",
                        "a=ice-options:trickle",
                        "a=fingerprint:sha-256 "
                                + "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:"
                                + "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89",
                        "a=setup:actpass",
                        "a=mid:0",
                        "a=sendonly",
                        "a=msid:s t",
                        "a=rtcp-mux",
                        "a=rtpmap:111 opus/48000/2",
                        "a=fmtp:111 minptime=10;useinbandfec=1",
                        "a=ssrc:1111 cname:hybridge",
                        "");
        return "{\"janus\":\"message\",\"body\":{\"request\":\"publish\",\"audiocodec\":\"opus\"},"
                + "\"jsep\":{\"type\":\"offer\",\"sdp\":\""
                + sdp
                + "\""
                + (e2ee ? ",\"e2ee\":true" : "")
                + "}}";
    }

    /** Waits for a condition of the gateway's own state (bounded; no fixed sleep decides). */
    private static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not reached in 10 s");
            }
            Thread.sleep(20);
        }
    }
}
