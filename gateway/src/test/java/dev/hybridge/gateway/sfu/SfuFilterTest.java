package dev.hybridge.gateway.sfu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hybridge.protocol.RoomCodec;
import dev.hybridge.protocol.RoomError;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The allow-list of spec/sfu.md §2.1, rule by rule. */
class SfuFilterTest {
    private static final int PUB = RoomCodec.SFU_PUBLISHER;
    private static final int SUB = RoomCodec.SFU_SUBSCRIBER;
    private static final long ROOM = 4242;
    private static final long FEED = 77;

    private static SfuFilter.Result check(int handle, String json) {
        return SfuFilter.check(handle, json.getBytes(StandardCharsets.UTF_8), ROOM, FEED);
    }

    private static JsonNode forwarded(int handle, String json) {
        return assertInstanceOf(SfuFilter.Forward.class, check(handle, json), json).message();
    }

    private static void refused(RoomError code, int handle, String json) {
        SfuFilter.Refuse r = assertInstanceOf(SfuFilter.Refuse.class, check(handle, json), json);
        assertEquals(code, r.code(), json);
    }

    private static String msg(String body) {
        return "{\"janus\":\"message\",\"body\":" + body + "}";
    }

    @Test
    void publisherJoinGetsTheGatewaysRoomAndFeedId() {
        JsonNode m = forwarded(PUB, msg("{\"request\":\"join\",\"ptype\":\"publisher\"}"));
        assertEquals("message", m.path("janus").asText());
        assertEquals(ROOM, m.path("body").path("room").asLong());
        assertEquals(FEED, m.path("body").path("id").asLong());
        assertFalse(m.has("transaction"), "the gateway picks its own transaction");
    }

    @Test
    void subscriberJoinGetsTheRoomAndKeepsOnlyFeedAndMid() {
        JsonNode m =
                forwarded(
                        SUB,
                        msg(
                                "{\"request\":\"join\",\"ptype\":\"subscriber\",\"streams\":[{\"feed\":5,\"mid\":\"a0\"},{\"feed\":9}]}"));
        assertEquals(ROOM, m.path("body").path("room").asLong());
        assertEquals(2, m.path("body").path("streams").size());
        assertEquals("a0", m.path("body").path("streams").get(0).path("mid").asText());
    }

    @Test
    void jsepPassesWithE2eeAndNothingElse() {
        JsonNode m =
                forwarded(
                        PUB,
                        "{\"janus\":\"message\",\"body\":{\"request\":\"publish\",\"videocodec\":\"vp9\"},"
                                + "\"jsep\":{\"type\":\"offer\",\"sdp\":\"v=0\",\"e2ee\":true}}");
        assertTrue(m.path("jsep").path("e2ee").asBoolean());
        refused(
                RoomError.SFU_NOT_ALLOWED,
                PUB,
                "{\"janus\":\"message\",\"body\":{\"request\":\"publish\"},\"jsep\":{\"type\":\"offer\",\"sdp\":\"v=0\",\"simulcast\":{}}}");
        refused(
                RoomError.SFU_MALFORMED,
                PUB,
                "{\"janus\":\"message\",\"body\":{\"request\":\"publish\"},\"jsep\":{\"type\":\"pranswer\",\"sdp\":\"v=0\"}}");
    }

    @Test
    void trickleCandidatesAndCompletion() {
        SfuFilter.Forward f =
                assertInstanceOf(
                        SfuFilter.Forward.class,
                        check(
                                PUB,
                                "{\"janus\":\"trickle\",\"candidate\":{\"candidate\":\"candidate:1 1 udp 1 127.0.0.1 5000 typ host\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0}}"));
        assertTrue(f.ackEnds(), "Janus answers a trickle with an ack only");
        forwarded(SUB, "{\"janus\":\"trickle\",\"candidate\":{\"completed\":true}}");
        refused(
                RoomError.SFU_MALFORMED,
                SUB,
                "{\"janus\":\"trickle\",\"candidate\":{\"completed\":false}}");
        refused(RoomError.SFU_NOT_ALLOWED, SUB, "{\"janus\":\"trickle\",\"candidates\":[]}");
        refused(
                RoomError.SFU_MALFORMED,
                SUB,
                "{\"janus\":\"trickle\",\"candidate\":{\"candidate\":\""
                        + "x".repeat(1025)
                        + "\"}}");
        refused(
                RoomError.SFU_MALFORMED,
                SUB,
                "{\"janus\":\"trickle\",\"candidate\":{\"candidate\":\"c\",\"sdpMLineIndex\":256}}");
    }

    @Test
    void managementRequestsAreNeverForwarded() {
        for (String r :
                new String[] {
                    "create",
                    "destroy",
                    "edit",
                    "exists",
                    "list",
                    "listparticipants",
                    "listforwarders",
                    "kick",
                    "moderate",
                    "rtp_forward",
                    "stop_rtp_forward",
                    "enable_recording",
                    "allowed",
                    "joinandconfigure",
                    "switch",
                    "update"
                }) {
            refused(RoomError.SFU_NOT_ALLOWED, PUB, msg("{\"request\":\"" + r + "\",\"room\":1}"));
            refused(RoomError.SFU_NOT_ALLOWED, SUB, msg("{\"request\":\"" + r + "\"}"));
        }
        for (String verb :
                new String[] {
                    "create", "attach", "detach", "destroy", "hangup", "keepalive", "claim", "info"
                }) {
            refused(RoomError.SFU_NOT_ALLOWED, PUB, "{\"janus\":\"" + verb + "\"}");
        }
    }

    @Test
    void membersThatPickARoomAnIdANameOrARecordingAreRefused() {
        for (String member :
                new String[] {
                    "room",
                    "id",
                    "display",
                    "pin",
                    "secret",
                    "token",
                    "record",
                    "filename",
                    "admin_key",
                    "private_id",
                    "descriptions"
                }) {
            refused(
                    RoomError.SFU_NOT_ALLOWED,
                    PUB,
                    msg("{\"request\":\"join\",\"ptype\":\"publisher\",\"" + member + "\":1}"));
            refused(
                    RoomError.SFU_NOT_ALLOWED,
                    PUB,
                    msg("{\"request\":\"publish\",\"" + member + "\":\"x\"}"));
        }
        refused(
                RoomError.SFU_NOT_ALLOWED,
                PUB,
                "{\"janus\":\"message\",\"body\":{\"request\":\"leave\"},\"session_id\":1}");
        refused(
                RoomError.SFU_NOT_ALLOWED,
                PUB,
                "{\"janus\":\"message\",\"body\":{\"request\":\"leave\"},\"handle_id\":1}");
        refused(
                RoomError.SFU_NOT_ALLOWED,
                SUB,
                msg(
                        "{\"request\":\"join\",\"ptype\":\"subscriber\",\"streams\":[{\"feed\":1,\"crossrefid\":\"x\"}]}"));
    }

    @Test
    void eachHandleTakesOnlyItsOwnRole() {
        refused(
                RoomError.SFU_NOT_ALLOWED,
                PUB,
                msg("{\"request\":\"join\",\"ptype\":\"subscriber\"}"));
        refused(
                RoomError.SFU_NOT_ALLOWED,
                SUB,
                msg("{\"request\":\"join\",\"ptype\":\"publisher\",\"streams\":[{\"feed\":1}]}"));
        refused(RoomError.SFU_NOT_ALLOWED, PUB, msg("{\"request\":\"start\"}"));
        refused(RoomError.SFU_NOT_ALLOWED, SUB, msg("{\"request\":\"publish\"}"));
    }

    @Test
    void typesAndRangesAreChecked() {
        refused(RoomError.SFU_MALFORMED, PUB, "not json");
        refused(RoomError.SFU_MALFORMED, PUB, "[1,2]");
        refused(RoomError.SFU_MALFORMED, PUB, "{\"janus\":1}");
        refused(RoomError.SFU_MALFORMED, PUB, "{\"janus\":\"message\"}");
        refused(
                RoomError.SFU_MALFORMED,
                PUB,
                msg("{\"request\":\"join\",\"ptype\":\"publisher\"}") + "{}");
        refused(
                RoomError.SFU_MALFORMED,
                PUB,
                "{\"janus\":\"message\",\"janus\":\"trickle\",\"body\":{}}");
        refused(RoomError.SFU_MALFORMED, PUB, msg("{\"request\":\"publish\",\"bitrate\":-1}"));
        refused(
                RoomError.SFU_MALFORMED,
                PUB,
                msg("{\"request\":\"publish\",\"bitrate\":100000001}"));
        refused(
                RoomError.SFU_MALFORMED,
                PUB,
                msg("{\"request\":\"publish\",\"videocodec\":\"h264\"}"));
        refused(
                RoomError.SFU_MALFORMED,
                PUB,
                msg("{\"request\":\"configure\",\"keyframe\":\"yes\"}"));
        refused(RoomError.SFU_MALFORMED, SUB, msg("{\"request\":\"subscribe\",\"streams\":[]}"));
        refused(
                RoomError.SFU_MALFORMED,
                SUB,
                msg("{\"request\":\"subscribe\",\"streams\":[{\"feed\":0}]}"));
        refused(
                RoomError.SFU_MALFORMED,
                SUB,
                msg("{\"request\":\"subscribe\",\"streams\":[{\"feed\":9007199254740992}]}"));
        refused(
                RoomError.SFU_MALFORMED,
                SUB,
                msg("{\"request\":\"subscribe\",\"streams\":[{\"feed\":1.5}]}"));
        refused(
                RoomError.SFU_MALFORMED,
                SUB,
                msg("{\"request\":\"subscribe\",\"streams\":[{\"feed\":1,\"mid\":\"a b\"}]}"));
        StringBuilder many = new StringBuilder("[");
        for (int i = 1; i <= 65; i++) {
            many.append(i > 1 ? "," : "").append("{\"feed\":").append(i).append('}');
        }
        refused(
                RoomError.SFU_MALFORMED,
                SUB,
                msg("{\"request\":\"subscribe\",\"streams\":" + many + "]}"));
        refused(
                RoomError.SFU_MALFORMED,
                SUB,
                msg("{\"request\":\"configure\",\"streams\":[{\"mid\":\"0\",\"substream\":3}]}"));
        forwarded(
                SUB,
                msg(
                        "{\"request\":\"configure\",\"streams\":[{\"mid\":\"0\",\"substream\":2,\"temporal\":1,\"send\":true}]}"));
        refused(
                RoomError.SFU_MALFORMED,
                PUB,
                "{\"janus\":\"message\",\"body\":{\"request\":\"leave\"},\"jsep\":"
                        + "[".repeat(10)
                        + "]".repeat(10)
                        + "}");
    }
}
