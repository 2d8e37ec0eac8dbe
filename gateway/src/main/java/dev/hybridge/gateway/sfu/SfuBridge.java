package dev.hybridge.gateway.sfu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hybridge.gateway.config.GatewayConfig;
import dev.hybridge.gateway.room.Member;
import java.net.http.HttpClient;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The gateway's side of the SFU (spec/sfu.md §3): the per-start {@code sfu_secret}, the members'
 * Janus sessions, and one control session that creates each Janus room (require_e2ee) before its
 * first member uses it and destroys it after its last. Off by default; a disabled bridge holds
 * nothing and starts no thread.
 */
public final class SfuBridge implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(SfuBridge.class.getName());
    private final GatewayConfig.Sfu config;
    private final int roomCapacity;
    private final byte[] sfuSecret = new byte[32];
    private final HttpClient http;
    private final ScheduledExecutorService timer;
    private final Set<SfuMember> members = ConcurrentHashMap.newKeySet();

    /** Member sessions per Janus room, and the room's creation; under {@code this}. */
    private final Map<Long, Integer> roomUsers = new HashMap<>();

    private final Map<Long, CompletableFuture<Void>> roomReady = new HashMap<>();

    /** Control requests run one after another (a create must not overtake a destroy). */
    private CompletableFuture<?> controlChain = CompletableFuture.completedFuture(null);

    private JanusClient control;

    public SfuBridge(Optional<GatewayConfig.Sfu> config, int roomCapacity, SecureRandom rng) {
        this.config = config.orElse(null);
        this.roomCapacity = roomCapacity;
        if (this.config == null) {
            http = null;
            timer = null;
            return;
        }
        rng.nextBytes(sfuSecret);
        http = HttpClient.newBuilder().connectTimeout(this.config.requestTimeout()).build();
        timer =
                Executors.newSingleThreadScheduledExecutor(
                        r -> Thread.ofPlatform().daemon().name("hybridge-sfu-timer").unstarted(r));
        timer.scheduleWithFixedDelay(this::tick, 250, 250, TimeUnit.MILLISECONDS);
    }

    public boolean enabled() {
        return config != null;
    }

    GatewayConfig.Sfu config() {
        return config;
    }

    HttpClient http() {
        return http;
    }

    /**
     * A new SFU session for the member seated with {@code peerId} in {@code roomId}; call only
     * when {@link #enabled()}.
     */
    public SfuMember open(Member out, byte[] roomId, long peerId) {
        SfuMember m =
                new SfuMember(
                        this,
                        out,
                        SfuIds.janusRoom(sfuSecret, roomId),
                        SfuIds.feedId(peerId),
                        System.nanoTime());
        members.add(m);
        m.start();
        return m;
    }

    /** Live member sessions (for tests and metrics). */
    public int sessions() {
        return members.size();
    }

    /** Janus rooms the gateway holds now (for tests and metrics). */
    public synchronized int janusRooms() {
        return roomUsers.size();
    }

    private void tick() {
        try {
            tickAll(System.nanoTime());
        } catch (RuntimeException e) {
            // a bug; a scheduled task that throws is never run again, so log it and go on
            LOG.log(System.Logger.Level.ERROR, "sfu timer failed", e);
        }
    }

    private void tickAll(long now) {
        for (SfuMember m : members) {
            m.tick(now);
        }
        JanusClient c;
        synchronized (this) {
            c = control;
        }
        if (c != null) {
            keepaliveControl(c, now);
        }
    }

    private long controlKeepalive;

    private void keepaliveControl(JanusClient c, long now) {
        if (now - controlKeepalive >= config.keepaliveInterval().toNanos()) {
            controlKeepalive = now;
            c.keepalive();
        }
    }

    /** The first member session of a room creates it; the future completes once it exists. */
    synchronized CompletableFuture<Void> acquireRoom(long room) {
        int users = roomUsers.merge(room, 1, Integer::sum);
        if (users == 1) {
            ObjectNode create = body("create", room);
            create.put("require_e2ee", true);
            create.put("publishers", roomCapacity);
            create.put("audiocodec", "opus");
            create.put("videocodec", "vp8");
            create.put("audiolevel_ext", false);
            create.put("is_private", true);
            create.put("permanent", false);
            CompletableFuture<Void> ready =
                    controlRequest(create)
                            .thenApply(
                                    answer -> {
                                        JsonNode data = answer.path("plugindata").path("data");
                                        boolean created =
                                                "created".equals(data.path("videoroom").asText());
                                        if (!created && data.path("error_code").asInt() != 427) {
                                            throw new IllegalStateException("room not created");
                                        }
                                        return null;
                                    });
            roomReady.put(room, ready);
            return ready;
        }
        return roomReady.get(room);
    }

    /** A member session ended (closed or lost): the last one of its room destroys the room. */
    void ended(SfuMember m, long room) {
        members.remove(m);
        synchronized (this) {
            Integer users = roomUsers.get(room);
            if (users == null) {
                return;
            }
            if (users > 1) {
                roomUsers.put(room, users - 1);
                return;
            }
            roomUsers.remove(room);
            roomReady.remove(room);
            controlRequest(body("destroy", room).put("permanent", false));
        }
    }

    private static ObjectNode body(String request, long room) {
        return JsonNodeFactory.instance.objectNode().put("request", request).put("room", room);
    }

    /** Runs {@code body} on the control session after every earlier control request. */
    private synchronized CompletableFuture<JsonNode> controlRequest(ObjectNode body) {
        CompletableFuture<JsonNode> answer =
                controlChain
                        .handle((x, e) -> null)
                        .thenCompose(x -> control())
                        .thenCompose(
                                c -> {
                                    ObjectNode m = JsonNodeFactory.instance.objectNode();
                                    m.put("janus", "message");
                                    m.set("body", body);
                                    return c.send(0, m, false);
                                })
                        .orTimeout(config.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
        controlChain = answer;
        return answer;
    }

    /** The control session, opened on first use and again after a loss (a Janus restart). */
    private CompletableFuture<JanusClient> control() {
        synchronized (this) {
            if (control != null && !control.isLost()) {
                return CompletableFuture.completedFuture(control);
            }
        }
        return JanusClient.open(
                        http,
                        config.janusUrl(),
                        1,
                        new JanusClient.Events() {
                            @Override
                            public void event(int index, JsonNode message) {}

                            @Override
                            public void lost() {}
                        },
                        config.requestTimeout())
                .thenApply(
                        c -> {
                            synchronized (this) {
                                control = c;
                            }
                            return c;
                        });
    }

    /** Ends every member session and the control session (gateway shutdown). */
    @Override
    public void close() {
        if (config == null) {
            return;
        }
        timer.shutdownNow();
        for (SfuMember m : members) {
            m.close();
        }
        JanusClient c;
        synchronized (this) {
            c = control;
            control = null;
        }
        if (c != null) {
            c.close();
        }
    }
}
