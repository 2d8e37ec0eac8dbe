package dev.hybridge.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;

/** N concurrent idle sessions: time to establish them, and the server's heap and RSS per session. */
final class IdleWorkload {
    private final Options opt;
    private final Report report;

    IdleWorkload(Options opt, Report report) {
        this.opt = opt;
        this.report = report;
    }

    void run(Child server, int n) throws Exception {
        boolean hop = server.gateway;
        long heap0 = server.heapUsedAfterGc();
        long rss0 = server.rssBytes();
        List<Object> open = new ArrayList<>(n);
        long t0 = System.nanoTime();
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Object>> fs = new ArrayList<>();
            Semaphore inFlight = new Semaphore(16);
            for (int i = 0; i < n; i++) {
                int idx = i;
                inFlight.acquire();
                fs.add(ex.submit(() -> {
                    try {
                        if (hop) {
                            return HopPeer.connect(server);
                        }
                        // Node: a joined connection (2 per room), its idle state in the seed design
                        JsonPeer p = JsonPeer.connect(server);
                        p.join("idle-" + (idx / 2));
                        return p;
                    } finally {
                        inFlight.release();
                    }
                }));
            }
            for (var f : fs) {
                open.add(f.get());
            }
        }
        long wall = System.nanoTime() - t0;
        Thread.sleep(1000);
        long heap1 = server.heapUsedAfterGc();
        long rss1 = server.rssBytes();
        if (opt.histogram && hop) {
            server.jcmd("GC.class_histogram").lines().limit(30).forEach(System.out::println);
        }
        if (hop) {
            report.result("gateway idle hop sessions: %d established in %.1f s (%.0f/s); heap %.1f KiB per session (%.1f MiB total), RSS %.1f KiB per session",
                    n, wall / 1e9, n / (wall / 1e9), (heap1 - heap0) / 1024.0 / n, (heap1 - heap0) / 1048576.0,
                    (rss1 - rss0) / 1024.0 / n);
        } else {
            report.result("node ws relay idle joined connections: %d in %.1f s; RSS %.1f KiB per connection (%.1f MiB total)", n, wall / 1e9,
                    (rss1 - rss0) / 1024.0 / n, (rss1 - rss0) / 1048576.0);
        }
        for (Object o : open) {
            ((Peer) o).close();
        }
        Thread.sleep(3000);
    }
}
