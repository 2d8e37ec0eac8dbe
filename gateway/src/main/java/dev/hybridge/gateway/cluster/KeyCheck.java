package dev.hybridge.gateway.cluster;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;

/**
 * Detection of nodes on the bus that seal under another cluster key (spec/cluster.md §4, "Key
 * check"). Every heartbeat carries, outside its seal, the key check value {@code kcv =
 * HMAC(ck, "hybridge/v1/cluster key check")[0..8]}: a fingerprint of the cluster key, never the
 * key. A heartbeat that fails to open and carries a kcv other than this node's comes from a node
 * with another cluster key; those nodes are grouped by their kcv over a window of node-timeout.
 *
 * <p>Verdict: this node is <b>misconfigured</b> (not ready) when some other key is held by more
 * live nodes than its own key (itself included), or by as many while this node is not serving
 * yet: the minority goes DOWN, and on a tie the node that was already serving stays ready and a
 * node that was not never becomes ready. Thread-safe (synchronized); the node's timer judges.
 */
final class KeyCheck {
    private static final System.Logger LOG = System.getLogger(KeyCheck.class.getName());

    /** The NATS header of a heartbeat that carries the kcv (16 hex digits). */
    static final String HEADER = "Hybridge-Key-Check";

    /** Foreign nodes remembered at once; more are not counted (bounds what the bus can cost). */
    static final int MAX_FOREIGN = 1024;

    /** How often a lasting mismatch is logged again. */
    static final long LOG_EVERY_NANOS = 10_000_000_000L;

    private record Seen(String kcv, long at) {}

    private final String own;
    private final long windowNanos;
    private final Map<String, Seen> foreign = new HashMap<>();
    private volatile boolean misconfigured;
    private volatile int foreignNodes;
    private long lastLog;

    KeyCheck(String ownKcv, long windowNanos) {
        this.own = ownKcv;
        this.windowNanos = windowNanos;
    }

    /** The key check value of {@code clusterKey}: 8 bytes of an HMAC under it, in hex. */
    static String value(byte[] clusterKey) {
        byte[] mac =
                BusSeal.hmac(
                        clusterKey,
                        "hybridge/v1/cluster key check".getBytes(StandardCharsets.US_ASCII));
        return HexFormat.of().formatHex(Arrays.copyOf(mac, 8));
    }

    String own() {
        return own;
    }

    /**
     * A heartbeat that failed to open, from {@code nodeHex} (the sender in its clear header) with
     * {@code kcv} (null if absent). Counted only when the kcv is well formed and not this node's:
     * a heartbeat with this node's kcv that fails to open is damaged or forged, not another key.
     */
    synchronized void unopened(String nodeHex, String kcv, long now) {
        if (kcv == null || !kcv.matches("[0-9a-f]{16}") || kcv.equals(own)) {
            return;
        }
        if (foreign.size() >= MAX_FOREIGN && !foreign.containsKey(nodeHex)) {
            return;
        }
        foreign.put(nodeHex, new Seen(kcv, now));
    }

    /**
     * Judges at {@code now}: {@code ownGroup} nodes hold this node's key (live others + itself),
     * {@code serving} whether this node counted as ready until now. Returns the verdict (also kept
     * for {@link #misconfigured()}) and logs a change, or a lasting mismatch every 10 s.
     */
    synchronized boolean judge(int ownGroup, boolean serving, long now) {
        Map<String, Integer> groups = new HashMap<>();
        for (Iterator<Seen> it = foreign.values().iterator(); it.hasNext(); ) {
            Seen s = it.next();
            if (now - s.at() > windowNanos) {
                it.remove();
            } else {
                groups.merge(s.kcv(), 1, Integer::sum);
            }
        }
        String biggest = null;
        int largest = 0;
        for (Map.Entry<String, Integer> e : groups.entrySet()) {
            if (e.getValue() > largest) {
                largest = e.getValue();
                biggest = e.getKey();
            }
        }
        boolean was = misconfigured;
        boolean mis =
                largest > 0 && (largest > ownGroup || (largest == ownGroup && (was || !serving)));
        misconfigured = mis;
        foreignNodes = foreign.size();
        boolean logDue = now - lastLog >= LOG_EVERY_NANOS;
        if (mis != was || (foreign.size() > 0 && logDue)) {
            lastLog = now;
            if (mis) {
                LOG.log(
                        System.Logger.Level.ERROR,
                        "cluster: "
                                + largest
                                + " node(s) on this bus seal with another cluster key (key check"
                                + " value "
                                + biggest
                                + ") and only "
                                + ownGroup
                                + " with this node's ("
                                + own
                                + "): this node reports not ready; give every node the same"
                                + " cluster key file");
            } else if (!foreign.isEmpty()) {
                LOG.log(
                        System.Logger.Level.WARNING,
                        "cluster: "
                                + foreign.size()
                                + " node(s) on this bus seal with another cluster key (key check"
                                + " value "
                                + biggest
                                + ", this node's "
                                + own
                                + "); they are not part of this cluster and these "
                                + ownGroup
                                + " node(s) outnumber them: give every node the same cluster key"
                                + " file");
            } else {
                LOG.log(
                        System.Logger.Level.INFO,
                        "cluster: no node with another cluster key on the bus any more");
            }
        }
        return mis;
    }

    /** Not ready: outnumbered (or tied before serving) by nodes with another cluster key. */
    boolean misconfigured() {
        return misconfigured;
    }

    /** Nodes with another cluster key heard within the window, at the last judgement. */
    int foreignNodes() {
        return foreignNodes;
    }
}
