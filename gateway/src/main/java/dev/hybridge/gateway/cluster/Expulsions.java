package dev.hybridge.gateway.cluster;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The nodes this node declared gone while they were still running, for all it knows (their
 * heartbeats stopped for node-timeout), each with the incarnation it had then (spec/cluster.md
 * §3, "A node comes back"). Until such a node heartbeats with a greater incarnation, everything
 * else it sends is stale and dropped, and each of its heartbeats is answered with EXPELLED.
 * Bounded: the oldest entries go first. Thread-safe: read by the bus's dispatcher, written under
 * the node's lock.
 */
final class Expulsions {
    /** Expelled nodes remembered at once. */
    static final int MAX = 1024;

    private final Map<String, Long> expelled =
            new LinkedHashMap<>() {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
                    return size() > MAX;
                }
            };

    synchronized void expel(String nodeHex, long incarnation) {
        expelled.put(nodeHex, incarnation);
    }

    /** The incarnation {@code nodeHex} was expelled at, or null if it is not expelled. */
    synchronized Long at(String nodeHex) {
        return expelled.get(nodeHex);
    }

    synchronized boolean contains(String nodeHex) {
        return expelled.containsKey(nodeHex);
    }

    synchronized void readmit(String nodeHex) {
        expelled.remove(nodeHex);
    }
}
