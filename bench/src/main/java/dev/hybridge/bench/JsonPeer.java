package dev.hybridge.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** The client of the Node relay (bench/node-relay): the seed design's JSON room protocol, no encryption. */
final class JsonPeer implements Peer {
    static final ObjectMapper JSON = new ObjectMapper();

    final Conn conn;
    final BlockingQueue<JsonNode> control = new LinkedBlockingQueue<>();
    String[] ids;
    Counters counters;

    private JsonPeer(Conn conn) {
        this.conn = conn;
    }

    static JsonPeer connect(Child node) {
        JsonPeer p = new JsonPeer(Conn.open(node.ws()));
        p.conn.onText = p::onText;
        return p;
    }

    private void onText(String s) {
        try {
            JsonNode n = JSON.readTree(s);
            if (n.path("type").asText().equals("offer") && counters != null) {
                counters.got(Base64.getDecoder().decode(n.path("data").asText()));
            } else {
                control.add(n);
            }
        } catch (Exception e) {
            System.err.println("json client: " + e);
        }
    }

    String join(String room) throws Exception {
        conn.sendText("{\"type\":\"join\",\"room\":\"" + room + "\"}");
        JsonNode n;
        do {
            n = control.poll(30, TimeUnit.SECONDS);
        } while (n != null && !n.path("type").asText().equals("joined"));
        return n == null ? null : n.path("id").asText();
    }

    static List<Peer> room(Child node, int size, Counters counters, String room) throws Exception {
        List<JsonPeer> ps = new ArrayList<>();
        String[] ids = new String[size];
        for (int i = 0; i < size; i++) {
            JsonPeer p = connect(node);
            p.counters = counters;
            ids[i] = p.join(room);
            ps.add(p);
        }
        for (JsonPeer p : ps) {
            p.ids = ids;
        }
        return new ArrayList<>(ps);
    }

    @Override
    public void relay(int to, byte[] envelope) {
        // the seed relays SDP/ICE as JSON; a binary envelope travels as base64 text (1 KiB -> 1368
        // chars)
        conn.sendText(
                "{\"type\":\"offer\",\"to\":\""
                        + ids[to]
                        + "\",\"data\":\""
                        + Base64.getEncoder().encodeToString(envelope)
                        + "\"}");
    }

    @Override
    public void close() {
        conn.abort();
    }
}
