package dev.hybridge.gateway.sfu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One Janus session on a WebSocket of its own (subprotocol {@code janus-protocol}), with {@code
 * handles} VideoRoom handles attached (spec/sfu.md §3.1). Closing the WebSocket makes Janus
 * destroy the session, its handles and its feeds, so {@link #close} is the whole cleanup.
 *
 * <p>Answers are matched to requests by Janus transaction; an ack ends a request only where the
 * caller says so (trickle, keepalive). Everything else Janus sends on a handle goes to {@link
 * Events#event}. Nothing here is logged: the messages carry SDP and candidates.
 */
final class JanusClient {
    static final String PLUGIN = "janus.plugin.videoroom";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A bound on one Janus message held in memory (a subscriber offer for 25 feeds is ~50 KB). */
    private static final int MAX_MESSAGE_CHARS = 1 << 20;

    /** What Janus sends without being asked, and the end of the session. */
    interface Events {
        /** A message on handle {@code index} that answers no pending request. */
        void event(int index, JsonNode message);

        /** The WebSocket closed or failed, or Janus timed the session out. Called at most once. */
        void lost();
    }

    /** Raised into pending requests when the session is gone. */
    static final class LostException extends RuntimeException {
        LostException() {
            super("janus session lost", null, false, false);
        }
    }

    private record Pending(CompletableFuture<JsonNode> answer, boolean ackEnds) {}

    private final Events events;
    private final ConcurrentHashMap<String, Pending> pending = new ConcurrentHashMap<>();
    private final AtomicLong nextTxn = new AtomicLong();
    private final AtomicBoolean lost = new AtomicBoolean();
    private final Object sendLock = new Object();
    private CompletableFuture<?> sendChain = CompletableFuture.completedFuture(null);
    private volatile WebSocket ws;
    private volatile long sessionId;
    private volatile long[] handleIds = new long[0];

    private JanusClient(Events events) {
        this.events = events;
    }

    /**
     * Connects, creates the session and attaches {@code handles} VideoRoom handles; fails if any
     * step fails or takes longer than {@code timeout}.
     */
    static CompletableFuture<JanusClient> open(
            HttpClient http, URI uri, int handles, Events events, Duration timeout) {
        JanusClient c = new JanusClient(events);
        return http.newWebSocketBuilder()
                .subprotocols("janus-protocol")
                .connectTimeout(timeout)
                .buildAsync(uri, c.new Listener())
                .thenCompose(
                        w -> {
                            c.ws = w;
                            ObjectNode create = JSON.createObjectNode().put("janus", "create");
                            return c.request(create, false);
                        })
                .thenCompose(
                        created -> {
                            c.sessionId = successId(created);
                            CompletableFuture<long[]> ids =
                                    CompletableFuture.completedFuture(new long[handles]);
                            for (int i = 0; i < handles; i++) {
                                int index = i;
                                ids =
                                        ids.thenCompose(
                                                arr ->
                                                        c.request(
                                                                        JSON.createObjectNode()
                                                                                .put(
                                                                                        "janus",
                                                                                        "attach")
                                                                                .put(
                                                                                        "session_id",
                                                                                        c.sessionId)
                                                                                .put(
                                                                                        "plugin",
                                                                                        PLUGIN),
                                                                        false)
                                                                .thenApply(
                                                                        a -> {
                                                                            arr[index] =
                                                                                    successId(a);
                                                                            return arr;
                                                                        }));
                            }
                            return ids;
                        })
                .thenApply(
                        ids -> {
                            c.handleIds = ids;
                            return c;
                        })
                .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete(
                        (ok, err) -> {
                            if (err != null) {
                                c.close();
                            }
                        });
    }

    /** The id in a "success" answer's data; anything else fails the setup. */
    private static long successId(JsonNode answer) {
        JsonNode id = answer.path("data").path("id");
        if (!"success".equals(answer.path("janus").asText()) || !id.canConvertToLong()) {
            throw new IllegalStateException("janus refused the session setup");
        }
        return id.asLong();
    }

    /**
     * Sends {@code message} (a "message" or "trickle") on handle {@code index}; the future gets
     * Janus' answer: "success", "event" or "error", or the ack where {@code ackEnds}.
     */
    CompletableFuture<JsonNode> send(int index, ObjectNode message, boolean ackEnds) {
        message.put("session_id", sessionId);
        message.put("handle_id", handleIds[index]);
        return request(message, ackEnds);
    }

    /** Keeps the session alive (Janus drops a session silent for its session_timeout). */
    void keepalive() {
        if (sessionId != 0 && !lost.get()) {
            request(
                    JSON.createObjectNode().put("janus", "keepalive").put("session_id", sessionId),
                    true);
        }
    }

    /** Closes the WebSocket; Janus destroys the session with it. Pending requests fail. */
    void close() {
        WebSocket w = ws;
        if (w != null) {
            w.sendClose(WebSocket.NORMAL_CLOSURE, "")
                    .orTimeout(2, TimeUnit.SECONDS)
                    .whenComplete((x, e) -> w.abort());
        }
        failAll(false);
    }

    boolean isLost() {
        return lost.get();
    }

    private CompletableFuture<JsonNode> request(ObjectNode message, boolean ackEnds) {
        String txn = "g" + nextTxn.incrementAndGet();
        message.put("transaction", txn);
        CompletableFuture<JsonNode> answer = new CompletableFuture<>();
        if (lost.get()) {
            answer.completeExceptionally(new LostException());
            return answer;
        }
        pending.put(txn, new Pending(answer, ackEnds));
        String text = message.toString();
        synchronized (sendLock) {
            // java.net.http allows one outstanding send: chain them
            sendChain =
                    sendChain
                            .handle((x, e) -> null)
                            .thenCompose(x -> ws.sendText(text, true))
                            .whenComplete(
                                    (x, e) -> {
                                        if (e != null) {
                                            failAll(true);
                                        }
                                    });
        }
        return answer;
    }

    private void onMessage(String text) {
        JsonNode m;
        try {
            m = JSON.readTree(text);
        } catch (Exception e) {
            return; // not JSON: Janus never sends that; nothing to route it to
        }
        String kind = m.path("janus").asText();
        String txn = m.path("transaction").asText(null);
        if (txn != null) {
            Pending p = pending.get(txn);
            if (p != null) {
                if (!kind.equals("ack") || p.ackEnds()) {
                    pending.remove(txn);
                    p.answer().complete(m);
                }
                return;
            }
            if (kind.equals("ack")) {
                return;
            }
        }
        if (kind.equals("timeout")) {
            failAll(true); // Janus timed the session out
            return;
        }
        long sender = m.path("sender").asLong(0);
        long[] ids = handleIds;
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == sender) {
                events.event(i, m);
                return;
            }
        }
    }

    /** Fails every pending request; {@code notify}: tell the owner the session is lost. */
    private void failAll(boolean notify) {
        boolean first = lost.compareAndSet(false, true);
        for (String txn : pending.keySet()) {
            Pending p = pending.remove(txn);
            if (p != null) {
                p.answer().completeExceptionally(new LostException());
            }
        }
        if (first && notify) {
            events.lost();
        }
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder text = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
            text.append(data);
            if (text.length() > MAX_MESSAGE_CHARS) {
                text.setLength(0);
                w.abort(); // no Janus message is this large: treat it as a broken session
                failAll(true);
                return null;
            }
            if (last) {
                String whole = text.toString();
                text.setLength(0);
                onMessage(whole);
            }
            w.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket w, int code, String reason) {
            failAll(true);
            return null;
        }

        @Override
        public void onError(WebSocket w, Throwable error) {
            failAll(true);
        }
    }
}
