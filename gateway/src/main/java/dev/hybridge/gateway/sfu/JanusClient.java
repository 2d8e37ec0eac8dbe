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

    /** Per handle, the last thing sent on it (see {@link #send}); under {@link #handleLock}. */
    private CompletableFuture<?>[] handleChain;

    private final Object handleLock = new Object();

    /** Handles a {@code leave} was sent on: what Janus says on them is not passed on. */
    private final java.util.Set<Long> retiring = ConcurrentHashMap.newKeySet();

    private final Duration timeout;

    private JanusClient(Events events, Duration timeout) {
        this.events = events;
        this.timeout = timeout;
    }

    /**
     * Connects, creates the session and attaches {@code handles} VideoRoom handles; fails if any
     * step fails or takes longer than {@code timeout}.
     */
    static CompletableFuture<JanusClient> open(
            HttpClient http, URI uri, int handles, Events events, Duration timeout) {
        JanusClient c = new JanusClient(events, timeout);
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
     * Janus' answer: "success", "event" or "error", or the ack where {@code ackEnds}. Calls are
     * sent in order per handle, each after the handle replacement a {@code leave} before it made.
     */
    CompletableFuture<JsonNode> send(int index, ObjectNode message, boolean ackEnds) {
        CompletableFuture<JsonNode> answer = new CompletableFuture<>();
        synchronized (handleLock) {
            if (handleChain == null) {
                handleChain = new CompletableFuture<?>[handleIds.length];
                for (int i = 0; i < handleChain.length; i++) {
                    handleChain[i] = CompletableFuture.completedFuture(null);
                }
            }
            // a linear chain per handle: each message is issued once the one before it was (and,
            // after a leave, once the handle was replaced), so their order is kept
            CompletableFuture<Void> issued =
                    handleChain[index]
                            .handle((x, e) -> null)
                            .thenRun(
                                    () -> {
                                        message.put("session_id", sessionId);
                                        long id = handleIds[index];
                                        message.put("handle_id", id);
                                        if (isLeave(message)) {
                                            retiring.add(id);
                                        }
                                        request(message, ackEnds)
                                                .whenComplete(
                                                        (a, e) -> {
                                                            if (e != null) {
                                                                answer.completeExceptionally(e);
                                                            } else {
                                                                answer.complete(a);
                                                            }
                                                        });
                                    });
            if (isLeave(message)) {
                // A Janus handle joins a room once: after a leave the next join would get 425.
                // Replace it with a fresh one once Janus answered the leave (or did not in time),
                // and pass on nothing Janus says on the old one from now on: its hangup would
                // reach whatever the client starts next on this handle (spec/sfu.md §2.1).
                handleChain[index] =
                        issued.thenCompose(
                                        x ->
                                                answer.handle((a, e) -> null)
                                                        .completeOnTimeout(
                                                                null,
                                                                timeout.toMillis(),
                                                                TimeUnit.MILLISECONDS))
                                .thenCompose(
                                        x ->
                                                replaceHandle(
                                                        index, message.path("handle_id").asLong()));
            } else {
                handleChain[index] = issued;
            }
        }
        return answer;
    }

    private static boolean isLeave(ObjectNode message) {
        return "message".equals(message.path("janus").asText())
                && "leave".equals(message.path("body").path("request").asText());
    }

    /** Detaches handle {@code old} (at {@code index}) and attaches a new one in its place. */
    private CompletableFuture<Void> replaceHandle(int index, long old) {
        ObjectNode detach =
                JSON.createObjectNode()
                        .put("janus", "detach")
                        .put("session_id", sessionId)
                        .put("handle_id", old);
        ObjectNode attach =
                JSON.createObjectNode()
                        .put("janus", "attach")
                        .put("session_id", sessionId)
                        .put("plugin", PLUGIN);
        return request(detach, false)
                .handle((a, e) -> null)
                .thenCompose(x -> request(attach, false))
                .thenAccept(
                        a -> {
                            long[] ids = handleIds.clone();
                            ids[index] = successId(a);
                            handleIds = ids;
                            retiring.remove(old);
                        })
                .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete(
                        (x, e) -> {
                            if (e != null) {
                                // no handle to go on with: the session is lost, and the next
                                // request builds a new one
                                failAll(true);
                            }
                        });
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
        if (retiring.contains(sender)) {
            return; // the client left on it (a hangup, "leaving", "detached")
        }
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
