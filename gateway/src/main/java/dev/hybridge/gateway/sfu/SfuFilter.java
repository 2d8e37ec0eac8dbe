package dev.hybridge.gateway.sfu;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hybridge.protocol.RoomCodec;
import dev.hybridge.protocol.RoomError;
import java.io.IOException;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The gateway's allow-list for SFU signaling (spec/sfu.md §2.1): turns the JSON of one
 * SFU_REQUEST into the Janus message to send, or names the refusal. Plain code, no I/O: every
 * rule here has a unit test. The gateway fills in {@code room} and the publisher's {@code id}
 * itself, so a client can reach only its own room's Janus room, under its own feed id.
 */
public final class SfuFilter {
    private SfuFilter() {}

    /** Deeper JSON is SFU_MALFORMED (the deepest allowed request has 4 levels). */
    static final int MAX_DEPTH = 6;

    /** Largest feed id: a JavaScript number holds it exactly (spec/sfu.md §4). */
    public static final long MAX_FEED = (1L << 53) - 1;

    private static final int MAX_STREAMS = 64;
    private static final int MAX_CANDIDATE_CHARS = 1024;
    private static final long MAX_BITRATE = 100_000_000L;
    private static final Pattern MID = Pattern.compile("[A-Za-z0-9_-]{1,16}");
    private static final Set<String> CODECS = Set.of("opus", "vp9", "vp8");

    private static final ObjectMapper JSON =
            JsonMapper.builder()
                    .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
                    .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .enable(
                            com.fasterxml.jackson.databind.DeserializationFeature
                                    .FAIL_ON_TRAILING_TOKENS)
                    .build();

    static {
        JSON.getFactory()
                .setStreamReadConstraints(
                        StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH + 1).build());
    }

    /** What to do with one request. */
    public sealed interface Result {}

    /**
     * Forward {@code message} (a Janus "message" or "trickle", without transaction, session and
     * handle ids); {@code ackEnds}: Janus answers it with an ack only (trickle).
     */
    public record Forward(ObjectNode message, boolean ackEnds) implements Result {}

    /** Refuse with {@code code} (SFU_MALFORMED or SFU_NOT_ALLOWED). */
    public record Refuse(RoomError code) implements Result {}

    private static final Refuse MALFORMED = new Refuse(RoomError.SFU_MALFORMED);
    private static final Refuse NOT_ALLOWED = new Refuse(RoomError.SFU_NOT_ALLOWED);

    /** Members a request may carry, per handle and request (besides "request"). */
    private static final Map<String, Set<String>> PUBLISHER =
            Map.of(
                    "join", Set.of("ptype"),
                    "publish", Set.of("audiocodec", "videocodec", "bitrate"),
                    "configure", Set.of("bitrate", "keyframe"),
                    "unpublish", Set.of(),
                    "leave", Set.of());

    private static final Map<String, Set<String>> SUBSCRIBER =
            Map.of(
                    "join", Set.of("ptype", "streams"),
                    "subscribe", Set.of("streams"),
                    "unsubscribe", Set.of("streams"),
                    "configure", Set.of("streams"),
                    "start", Set.of(),
                    "pause", Set.of(),
                    "leave", Set.of());

    /**
     * Checks {@code json} for {@code handle} (RoomCodec.SFU_PUBLISHER or SFU_SUBSCRIBER) and
     * builds the Janus message, with {@code janusRoom} and {@code feedId} filled in where the
     * request needs them.
     */
    public static Result check(int handle, byte[] json, long janusRoom, long feedId) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            return MALFORMED;
        } catch (IOException | RuntimeException e) {
            return MALFORMED;
        }
        if (root == null || !root.isObject() || depth(root) > MAX_DEPTH) {
            return MALFORMED;
        }
        JsonNode verb = root.get("janus");
        if (verb == null || !verb.isTextual()) {
            return MALFORMED;
        }
        return switch (verb.asText()) {
            case "message" -> message(handle, (ObjectNode) root, janusRoom, feedId);
            case "trickle" -> trickle((ObjectNode) root);
            default -> NOT_ALLOWED;
        };
    }

    private static Result trickle(ObjectNode root) {
        if (!onlyMembers(root, Set.of("janus", "candidate"))) {
            return NOT_ALLOWED;
        }
        JsonNode c = root.get("candidate");
        if (c == null || !c.isObject()) {
            return MALFORMED;
        }
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.put("janus", "trickle");
        ObjectNode cand = out.putObject("candidate");
        if (c.has("completed")) {
            if (!onlyMembers(c, Set.of("completed"))) {
                return NOT_ALLOWED;
            }
            if (!c.get("completed").isBoolean() || !c.get("completed").asBoolean()) {
                return MALFORMED;
            }
            cand.put("completed", true);
            return new Forward(out, true);
        }
        if (!onlyMembers(c, Set.of("candidate", "sdpMid", "sdpMLineIndex"))) {
            return NOT_ALLOWED;
        }
        JsonNode line = c.get("candidate");
        if (!boundedText(line, MAX_CANDIDATE_CHARS)) {
            return MALFORMED;
        }
        cand.put("candidate", line.asText());
        JsonNode mid = c.get("sdpMid");
        if (mid != null) {
            if (!boundedText(mid, MAX_CANDIDATE_CHARS)) {
                return MALFORMED;
            }
            cand.put("sdpMid", mid.asText());
        }
        JsonNode index = c.get("sdpMLineIndex");
        if (index != null) {
            if (!intIn(index, 0, 255)) {
                return MALFORMED;
            }
            cand.put("sdpMLineIndex", index.asInt());
        }
        return new Forward(out, true);
    }

    private static Result message(int handle, ObjectNode root, long janusRoom, long feedId) {
        if (!onlyMembers(root, Set.of("janus", "body", "jsep"))) {
            return NOT_ALLOWED;
        }
        JsonNode body = root.get("body");
        if (body == null || !body.isObject()) {
            return MALFORMED;
        }
        JsonNode request = body.get("request");
        if (request == null || !request.isTextual()) {
            return MALFORMED;
        }
        String name = request.asText();
        Map<String, Set<String>> table = handle == RoomCodec.SFU_PUBLISHER ? PUBLISHER : SUBSCRIBER;
        Set<String> allowed = table.get(name);
        if (allowed == null) {
            return NOT_ALLOWED; // create, destroy, listparticipants, rtp_forward, ...
        }
        Iterator<String> names = body.fieldNames();
        while (names.hasNext()) {
            String n = names.next();
            if (!n.equals("request") && !allowed.contains(n)) {
                return NOT_ALLOWED; // room, id, display, pin, secret, record, ...
            }
        }
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.put("janus", "message");
        ObjectNode b = out.putObject("body");
        b.put("request", name);
        Result r =
                handle == RoomCodec.SFU_PUBLISHER
                        ? publisherBody(name, body, b, janusRoom, feedId)
                        : subscriberBody(name, body, b, janusRoom);
        if (r != null) {
            return r;
        }
        JsonNode jsep = root.get("jsep");
        if (jsep != null) {
            Result j = jsep(jsep, out.putObject("jsep"));
            if (j != null) {
                return j;
            }
        }
        return new Forward(out, false);
    }

    /** Fills {@code b}; null when fine, else the refusal. */
    private static Result publisherBody(
            String name, JsonNode in, ObjectNode b, long janusRoom, long feedId) {
        switch (name) {
            case "join" -> {
                JsonNode ptype = in.get("ptype");
                if (ptype == null || !ptype.isTextual()) {
                    return MALFORMED;
                }
                if (!ptype.asText().equals("publisher")) {
                    return NOT_ALLOWED;
                }
                b.put("ptype", "publisher");
                b.put("room", janusRoom);
                b.put("id", feedId);
            }
            case "publish", "configure" -> {
                for (String codecKey : new String[] {"audiocodec", "videocodec"}) {
                    JsonNode c = in.get(codecKey);
                    if (c != null) {
                        if (!c.isTextual() || !CODECS.contains(c.asText())) {
                            return MALFORMED;
                        }
                        b.put(codecKey, c.asText());
                    }
                }
                JsonNode bitrate = in.get("bitrate");
                if (bitrate != null) {
                    if (!intIn(bitrate, 0, MAX_BITRATE)) {
                        return MALFORMED;
                    }
                    b.put("bitrate", bitrate.asLong());
                }
                JsonNode keyframe = in.get("keyframe");
                if (keyframe != null) {
                    if (!keyframe.isBoolean()) {
                        return MALFORMED;
                    }
                    b.put("keyframe", keyframe.asBoolean());
                }
            }
            default -> {
                // unpublish, leave: no members
            }
        }
        return null;
    }

    private static Result subscriberBody(String name, JsonNode in, ObjectNode b, long janusRoom) {
        switch (name) {
            case "join" -> {
                JsonNode ptype = in.get("ptype");
                if (ptype == null || !ptype.isTextual()) {
                    return MALFORMED;
                }
                if (!ptype.asText().equals("subscriber")) {
                    return NOT_ALLOWED;
                }
                b.put("ptype", "subscriber");
                b.put("room", janusRoom);
                return feeds(in.get("streams"), b.putArray("streams"));
            }
            case "subscribe", "unsubscribe" -> {
                return feeds(in.get("streams"), b.putArray("streams"));
            }
            case "configure" -> {
                return layers(in.get("streams"), b.putArray("streams"));
            }
            default -> {
                return null; // start, pause, leave: no members
            }
        }
    }

    /** streams of join/subscribe/unsubscribe: 1..64 of {feed, mid?}. */
    private static Result feeds(JsonNode streams, ArrayNode out) {
        if (streams == null || !streams.isArray() || streams.isEmpty()) {
            return MALFORMED;
        }
        if (streams.size() > MAX_STREAMS) {
            return MALFORMED;
        }
        for (JsonNode s : streams) {
            if (!s.isObject()) {
                return MALFORMED;
            }
            if (!onlyMembers(s, Set.of("feed", "mid"))) {
                return NOT_ALLOWED;
            }
            JsonNode feed = s.get("feed");
            if (feed == null || !intIn(feed, 1, MAX_FEED)) {
                return MALFORMED;
            }
            ObjectNode o = out.addObject();
            o.put("feed", feed.asLong());
            JsonNode mid = s.get("mid");
            if (mid != null) {
                if (!mid.isTextual() || !MID.matcher(mid.asText()).matches()) {
                    return MALFORMED;
                }
                o.put("mid", mid.asText());
            }
        }
        return null;
    }

    /** streams of the subscriber's configure: 1..64 of {mid, layer choices, send}. */
    private static Result layers(JsonNode streams, ArrayNode out) {
        if (streams == null || !streams.isArray() || streams.isEmpty()) {
            return MALFORMED;
        }
        if (streams.size() > MAX_STREAMS) {
            return MALFORMED;
        }
        Set<String> layerKeys = Set.of("substream", "temporal", "spatial_layer", "temporal_layer");
        for (JsonNode s : streams) {
            if (!s.isObject()) {
                return MALFORMED;
            }
            Iterator<String> names = s.fieldNames();
            while (names.hasNext()) {
                String n = names.next();
                if (!n.equals("mid") && !n.equals("send") && !layerKeys.contains(n)) {
                    return NOT_ALLOWED;
                }
            }
            JsonNode mid = s.get("mid");
            if (mid == null || !mid.isTextual() || !MID.matcher(mid.asText()).matches()) {
                return MALFORMED;
            }
            ObjectNode o = out.addObject();
            o.put("mid", mid.asText());
            for (String k : layerKeys) {
                JsonNode v = s.get(k);
                if (v != null) {
                    if (!intIn(v, 0, 2)) {
                        return MALFORMED;
                    }
                    o.put(k, v.asInt());
                }
            }
            JsonNode send = s.get("send");
            if (send != null) {
                if (!send.isBoolean()) {
                    return MALFORMED;
                }
                o.put("send", send.asBoolean());
            }
        }
        return null;
    }

    private static Result jsep(JsonNode jsep, ObjectNode out) {
        if (!jsep.isObject()) {
            return MALFORMED;
        }
        if (!onlyMembers(jsep, Set.of("type", "sdp", "e2ee"))) {
            return NOT_ALLOWED;
        }
        JsonNode type = jsep.get("type");
        JsonNode sdp = jsep.get("sdp");
        if (type == null
                || !type.isTextual()
                || !(type.asText().equals("offer") || type.asText().equals("answer"))
                || sdp == null
                || !sdp.isTextual()) {
            return MALFORMED;
        }
        out.put("type", type.asText());
        out.put("sdp", sdp.asText());
        JsonNode e2ee = jsep.get("e2ee");
        if (e2ee != null) {
            if (!e2ee.isBoolean()) {
                return MALFORMED;
            }
            out.put("e2ee", e2ee.asBoolean());
        }
        return null;
    }

    private static boolean onlyMembers(JsonNode o, Set<String> allowed) {
        Iterator<String> names = o.fieldNames();
        while (names.hasNext()) {
            if (!allowed.contains(names.next())) {
                return false;
            }
        }
        return true;
    }

    private static boolean boundedText(JsonNode n, int max) {
        return n != null && n.isTextual() && n.asText().length() <= max;
    }

    private static boolean intIn(JsonNode n, long min, long max) {
        return n.isIntegralNumber()
                && n.canConvertToLong()
                && n.asLong() >= min
                && n.asLong() <= max;
    }

    private static int depth(JsonNode n) {
        if (!n.isContainerNode()) {
            return 0;
        }
        int d = 0;
        for (JsonNode c : n) {
            d = Math.max(d, depth(c));
        }
        return d + 1;
    }
}
