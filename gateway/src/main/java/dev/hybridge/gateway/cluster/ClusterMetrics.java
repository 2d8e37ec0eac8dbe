package dev.hybridge.gateway.cluster;

import static dev.hybridge.gateway.observe.PrometheusText.counter;
import static dev.hybridge.gateway.observe.PrometheusText.counterPair;
import static dev.hybridge.gateway.observe.PrometheusText.gauge;
import static dev.hybridge.gateway.observe.PrometheusText.gaugeSeconds;
import static dev.hybridge.gateway.observe.PrometheusText.summarySeconds;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** A node's cluster counters (the node counts, any thread) and their Prometheus text. */
final class ClusterMetrics {
    final LongAdder forwardedOut = new LongAdder();
    final LongAdder forwardedIn = new LongAdder();
    final LongAdder busIn = new LongAdder();
    final LongAdder busOut = new LongAdder();
    final LongAdder busRejected = new LongAdder();
    final LongAdder busPublishFailed = new LongAdder();
    final LongAdder roomMoves = new LongAdder();
    final LongAdder staleDropped = new LongAdder();
    final LongAdder rejoins = new LongAdder();
    final LongAdder forcedReconnects = new LongAdder();
    private final AtomicLong latencyLast = new AtomicLong();
    private final LongAdder latencySum = new LongAdder();
    private final LongAdder latencyCount = new LongAdder();

    /** One round trip of the node's own heartbeat through the bus. */
    void busLatency(long nanos) {
        latencyLast.set(nanos);
        latencySum.add(nanos);
        latencyCount.increment();
    }

    /** The metrics in Prometheus text, with what the node knows at this moment. */
    String prometheus(
            boolean busUp, int nodes, int roomsOwned, int foreignKeyNodes, boolean keyMismatch) {
        StringBuilder sb = new StringBuilder(1024);
        gauge(
                sb,
                "hybridge_cluster_bus_connected",
                "1 while the node has its bus connection",
                busUp ? 1 : 0);
        gauge(sb, "hybridge_cluster_nodes", "Live nodes this node sees, itself included", nodes);
        gauge(sb, "hybridge_cluster_rooms_owned", "Rooms this node owns", roomsOwned);
        counterPair(
                sb,
                "hybridge_cluster_envelopes_forwarded_total",
                "Envelopes relayed between nodes, by direction",
                forwardedOut.sum(),
                forwardedIn.sum());
        counterPair(
                sb,
                "hybridge_cluster_bus_messages_total",
                "Sealed bus messages, by direction",
                busOut.sum(),
                busIn.sum());
        counter(
                sb,
                "hybridge_cluster_bus_rejected_total",
                "Bus messages dropped: failed to open, replayed or malformed",
                busRejected.sum());
        counter(
                sb,
                "hybridge_cluster_bus_publish_failed_total",
                "Bus messages that could not be published (no bus)",
                busPublishFailed.sum());
        counter(
                sb,
                "hybridge_cluster_stale_dropped_total",
                "Bus messages dropped because their sender had been declared gone",
                staleDropped.sum());
        counter(
                sb,
                "hybridge_cluster_rejoins_total",
                "Times this node closed its room members with 1001 and rejoined the cluster",
                rejoins.sum());
        counter(
                sb,
                "hybridge_cluster_forced_reconnects_total",
                "Times this node restarted its bus connection because its own heartbeats stopped"
                        + " coming back",
                forcedReconnects.sum());
        gauge(
                sb,
                "hybridge_cluster_foreign_key_nodes",
                "Nodes on the bus that seal with another cluster key",
                foreignKeyNodes);
        gauge(
                sb,
                "hybridge_cluster_key_mismatch",
                "1 while this node is not ready because nodes with another cluster key outnumber"
                        + " it",
                keyMismatch ? 1 : 0);
        counter(
                sb,
                "hybridge_cluster_room_moves_total",
                "Rooms taken over by or handed from this node",
                roomMoves.sum());
        summarySeconds(
                sb,
                "hybridge_cluster_bus_latency_seconds",
                "Round trip of this node's heartbeat through the bus",
                latencySum.sum(),
                latencyCount.sum());
        gaugeSeconds(
                sb,
                "hybridge_cluster_bus_latency_last_seconds",
                "The last such round trip",
                latencyLast.get());
        return sb.toString();
    }
}
