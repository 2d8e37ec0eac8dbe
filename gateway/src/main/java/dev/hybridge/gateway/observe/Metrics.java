package dev.hybridge.gateway.observe;

import static dev.hybridge.gateway.observe.PrometheusText.counter;
import static dev.hybridge.gateway.observe.PrometheusText.gauge;
import static dev.hybridge.gateway.observe.PrometheusText.labelled;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;

/**
 * The gateway's counters and gauges, rendered as Prometheus text (exposition format 0.0.4).
 * Labels carry only fixed vocabulary (error-code names, limit names): never a room id, peer id,
 * address or anything a client sent.
 */
public final class Metrics {
    /** Names of the limits whose hits are counted ({@code hybridge_limit_hits_total{limit=...}}). */
    public static final String LIMIT_HANDSHAKE_TIMEOUT = "handshake_timeout";

    public static final String LIMIT_IDLE_TIMEOUT = "idle_timeout";
    public static final String LIMIT_FRAME_SIZE = "max_frame";
    public static final String LIMIT_RATE = "messages_per_second";
    public static final String LIMIT_CONNECTIONS = "connections";
    public static final String LIMIT_ROOMS = "max_rooms";
    public static final String LIMIT_ROOM_CAPACITY = "room_capacity";
    public static final String LIMIT_ENVELOPE = "envelope_max";
    public static final String LIMIT_SEND_QUEUE = "send_queue";

    /** The request head (and TLS handshake) did not complete within limits.header-timeout of accept. */
    public static final String LIMIT_HEADER_TIMEOUT = "header_timeout";

    /** A write made no progress for limits.write-timeout (a client that stopped reading). */
    public static final String LIMIT_WRITE_TIMEOUT = "write_timeout";

    /** A forwarded plain HTTP request took longer than limits.http-request-timeout. */
    public static final String LIMIT_HTTP_REQUEST_TIMEOUT = "http_request_timeout";

    /** A client did not answer our close frame within the 2 s grace: its TCP connection was closed. */
    public static final String LIMIT_CLOSE_GRACE = "close_grace";

    /** More plain HTTP requests in flight than the edge forwards at once. */
    public static final String LIMIT_HTTP_REQUESTS = "http_requests";

    /** Short-code slots (spec/short-codes.md §5): open or paired at max-slots. */
    public static final String LIMIT_SLOTS = "max_slots";

    /** A client address over its slot-creation bucket. */
    public static final String LIMIT_SLOT_CREATES = "slot_creates";

    /** A client address over its slot-attempt bucket. */
    public static final String LIMIT_SLOT_ATTEMPTS = "slot_attempts";

    private final ConcurrentHashMap<String, LongAdder> slots = new ConcurrentHashMap<>();
    private volatile IntSupplier openSlots = () -> 0;
    private final LongAdder connectionsTotal = new LongAdder();
    private final LongAdder handshakesCompleted = new LongAdder();
    private final LongAdder envelopesRelayed = new LongAdder();
    private final LongAdder envelopeBytesRelayed = new LongAdder();
    private final LongAdder acceptFailures = new LongAdder();
    private final ConcurrentHashMap<String, LongAdder> httpRefused = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, LongAdder> requestsAborted = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, LongAdder> handshakesFailed = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, LongAdder> inputsRejected = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, LongAdder> limitHits = new ConcurrentHashMap<>();
    private final IntSupplier openConnections;
    private final IntSupplier rooms;
    private final IntSupplier peers;
    private volatile java.util.function.Supplier<String> extra = () -> "";

    public Metrics(IntSupplier openConnections, IntSupplier rooms, IntSupplier peers) {
        this.openConnections = openConnections;
        this.rooms = rooms;
        this.peers = peers;
    }

    /** More metrics in Prometheus text, appended to these (a cluster node's, spec/cluster.md). */
    public void extra(java.util.function.Supplier<String> more) {
        this.extra = more;
    }

    public void connectionOpened() {
        connectionsTotal.increment();
    }

    public void handshakeCompleted() {
        handshakesCompleted.increment();
    }

    /** A handshake failed with the error code named {@code code}. */
    public void handshakeFailed(String code) {
        handshakesFailed.computeIfAbsent(code, k -> new LongAdder()).increment();
    }

    /** An input was refused; {@code reason} is an error-code name or a fixed reason word. */
    public void inputRejected(String reason) {
        inputsRejected.computeIfAbsent(reason, k -> new LongAdder()).increment();
    }

    /** A slot event: created, used, burned or expired ({@code hybridge_slots_total}). */
    public void slotEvent(String event) {
        slots.computeIfAbsent(event, k -> new LongAdder()).increment();
    }

    /** Where the gauge {@code hybridge_slots_open} reads from. */
    public void openSlots(IntSupplier source) {
        this.openSlots = source;
    }

    public void limitHit(String limit) {
        limitHits.computeIfAbsent(limit, k -> new LongAdder()).increment();
    }

    /** accept() failed (out of file descriptors, most often); the listener goes on. */
    public void acceptFailed() {
        acceptFailures.increment();
    }

    /** The edge answered a request itself with an error status. */
    public void httpRefused(int status) {
        httpRefused.computeIfAbsent(Integer.toString(status), k -> new LongAdder()).increment();
    }

    /** A connection ended before its request was whole or its response sent ({@code stage}: head, forward). */
    public void requestAborted(String stage) {
        requestsAborted.computeIfAbsent(stage, k -> new LongAdder()).increment();
    }

    public void envelopeRelayed(int bytes) {
        envelopesRelayed.increment();
        envelopeBytesRelayed.add(bytes);
    }

    /** The Prometheus text exposition of every metric. */
    public String prometheus() {
        StringBuilder sb = new StringBuilder(2048);
        gauge(
                sb,
                "hybridge_connections",
                "Open TCP connections, from accept to close, counted against the limits",
                openConnections.getAsInt());
        counter(
                sb,
                "hybridge_connections_total",
                "WebSocket sessions opened since start",
                connectionsTotal.sum());
        counter(
                sb,
                "hybridge_accept_failures_total",
                "Failed accept() calls (e.g. out of file descriptors)",
                acceptFailures.sum());
        labelled(
                sb,
                "hybridge_http_refused_total",
                "Requests the edge refused, by HTTP status",
                "status",
                httpRefused);
        labelled(
                sb,
                "hybridge_requests_aborted_total",
                "Connections that ended mid-request, by stage",
                "stage",
                requestsAborted);
        counter(
                sb,
                "hybridge_handshakes_completed_total",
                "Hop handshakes completed",
                handshakesCompleted.sum());
        labelled(
                sb,
                "hybridge_handshakes_failed_total",
                "Hop handshakes failed, by error code",
                "code",
                handshakesFailed);
        gauge(sb, "hybridge_rooms", "Rooms in memory", rooms.getAsInt());
        gauge(sb, "hybridge_peers", "Peers seated in rooms", peers.getAsInt());
        counter(
                sb,
                "hybridge_envelopes_relayed_total",
                "Envelopes relayed to a peer",
                envelopesRelayed.sum());
        counter(
                sb,
                "hybridge_envelope_bytes_relayed_total",
                "Envelope bytes relayed (opaque payload only)",
                envelopeBytesRelayed.sum());
        labelled(
                sb,
                "hybridge_inputs_rejected_total",
                "Inputs rejected, by reason",
                "reason",
                inputsRejected);
        labelled(sb, "hybridge_limit_hits_total", "Limit hits, by limit", "limit", limitHits);
        labelled(
                sb,
                "hybridge_slots_total",
                "Short-code slots, by event (created, used, burned, expired)",
                "event",
                slots);
        gauge(sb, "hybridge_slots_open", "Short-code slots open or paired", openSlots.getAsInt());
        sb.append(extra.get());
        gauge(
                sb,
                "hybridge_jvm_heap_used_bytes",
                "JVM heap in use",
                java.lang.management.ManagementFactory.getMemoryMXBean()
                        .getHeapMemoryUsage()
                        .getUsed());
        return sb.toString();
    }

    /** A counter's current value for tests and the health view; 0 if never touched. */
    public long value(String family, String label) {
        ConcurrentHashMap<String, LongAdder> m =
                switch (family) {
                    case "handshakes_failed" -> handshakesFailed;
                    case "inputs_rejected" -> inputsRejected;
                    case "limit_hits" -> limitHits;
                    case "http_refused" -> httpRefused;
                    case "requests_aborted" -> requestsAborted;
                    case "slots" -> slots;
                    default -> throw new IllegalArgumentException(family);
                };
        LongAdder a = m.get(label);
        return a == null ? 0 : a.sum();
    }
}
