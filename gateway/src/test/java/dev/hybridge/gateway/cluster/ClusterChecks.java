package dev.hybridge.gateway.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hybridge.gateway.testing.JarGateway;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What the cluster tests wait for and check: statuses, metrics, who knows whom, deliveries. */
final class ClusterChecks {
    private ClusterChecks() {}

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    static int status(JarGateway n, String path) throws Exception {
        return HTTP.send(
                        HttpRequest.newBuilder(n.http(path)).build(),
                        HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }

    static void awaitStatus(JarGateway n, String path, int want, Duration wait) throws Exception {
        long deadline = System.nanoTime() + wait.toNanos();
        while (status(n, path) != want) {
            assertTrue(System.nanoTime() < deadline, path + " never answered " + want);
            Thread.sleep(50);
        }
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** Every member sends to every other it knows, one envelope every 40 ms (25/s, under the bucket). */
    static final class Sending {
        private final java.util.Set<ClusterPeer> stopped =
                java.util.concurrent.ConcurrentHashMap.newKeySet();
        private volatile boolean all;

        void loop(ClusterPeer p, List<ClusterPeer> room) {
            int i = 0;
            while (!all && !stopped.contains(p)) {
                ClusterPeer q = room.get(i++ % room.size());
                if (q != p && q.id != 0 && p.known.contains(q.id) && !stopped.contains(q)) {
                    try {
                        p.relay(q.id);
                    } catch (Exception e) {
                        return; // its node died
                    }
                    try {
                        Thread.sleep(40);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        }

        void stop(ClusterPeer p) {
            stopped.add(p);
        }

        void stopAll() {
            all = true;
        }
    }

    static void awaitEveryoneKnowsEveryone(List<ClusterPeer> peers, Duration wait)
            throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        for (ClusterPeer p : peers) {
            for (ClusterPeer q : peers) {
                if (q == p) {
                    continue;
                }
                while (!p.known.contains(q.id)) {
                    assertTrue(
                            System.nanoTime() < deadline,
                            p.name + " was not told of " + q.name + "; violations " + p.violations);
                    Thread.sleep(20);
                }
            }
        }
    }

    /** Waits until every receiver got every envelope each sender sent it ({@code perPair}, or what was sent). */
    static void awaitAllDelivered(
            List<ClusterPeer> receivers, List<ClusterPeer> senders, int perPair, Duration wait)
            throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        for (ClusterPeer r : receivers) {
            for (ClusterPeer s : senders) {
                if (s == r) {
                    continue;
                }
                long expected = perPair >= 0 ? perPair : s.sentSeq.getOrDefault(r.id, 0L);
                while (r.lastSeq.getOrDefault(s.id, 0L) < expected) {
                    assertTrue(
                            System.nanoTime() < deadline,
                            r.name
                                    + " got "
                                    + r.lastSeq.getOrDefault(s.id, 0L)
                                    + " of "
                                    + expected
                                    + " from "
                                    + s.name
                                    + "; violations "
                                    + r.violations);
                    Thread.sleep(20);
                }
                assertEquals(expected, (long) r.lastSeq.getOrDefault(s.id, 0L));
            }
        }
    }

    static void awaitNoRooms(List<JarGateway> nodes) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        for (JarGateway n : nodes) {
            while (metric(n, "hybridge_cluster_rooms_owned") != 0) {
                assertTrue(System.nanoTime() < deadline, "rooms of earlier tests remain");
                Thread.sleep(100);
            }
        }
    }

    static void closeAll(List<ClusterPeer> peers) throws InterruptedException {
        for (ClusterPeer p : peers) {
            p.close();
        }
    }

    static long metric(JarGateway n, String name) throws Exception {
        String body =
                HTTP.send(
                                HttpRequest.newBuilder(n.http("/metrics")).build(),
                                HttpResponse.BodyHandlers.ofString())
                        .body();
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + " (\\d+)").matcher(body);
        if (!m.find()) {
            throw new AssertionError(name + " not in /metrics:\n" + body);
        }
        return Long.parseLong(m.group(1));
    }

    /** Waits until {@code o} was told that {@code gone} left (PEER_LEFT). */
    static void awaitForgotten(ClusterPeer o, ClusterPeer gone, Duration wait)
            throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (o.known.contains(gone.id)) {
            assertTrue(
                    System.nanoTime() < deadline,
                    o.name + " was not told that " + gone.name + " left");
            Thread.sleep(20);
        }
    }

    static void awaitMetric(JarGateway n, String name, long want, Duration wait) throws Exception {
        long deadline = System.nanoTime() + wait.toNanos();
        long v;
        while ((v = metric(n, name)) != want) {
            assertTrue(System.nanoTime() < deadline, name + " is " + v + ", not " + want);
            Thread.sleep(50);
        }
    }
}
