package dev.hybridge.bench;

import java.nio.file.Files;

/**
 * The gateway load benchmark (README "Load benchmark", bench/README.md): one run, figures printed.
 * <ol>
 *   <li>handshakes per second and gateway CPU per handshake (against the JMH primitive sum):
 *       {@link HandshakeWorkload};</li>
 *   <li>N concurrent idle hop sessions: time to establish, gateway heap and RSS per session:
 *       {@link IdleWorkload};</li>
 *   <li>relay throughput with 1 KiB envelopes in rooms of 2 and 6, then p50/p99/p99.9 latency at
 *       half of that peak: {@link RelayWorkload};</li>
 *   <li>the same relay workload and idle footprint against a plain Node `ws` relay with the seed's
 *       JSON room protocol and no encryption (bench/node-relay).</li>
 * </ol>
 * The gateway and the Node relay run as child processes ({@link Child}) so their CPU and memory
 * are their own; this process is the load generator ({@link Conn}, {@link HopPeer},
 * {@link JsonPeer}). Loopback only. Every loop is bounded in count and time.
 */
public final class LoadBench {
    private LoadBench() {
    }

    public static void main(String[] args) throws Exception {
        Options opt = new Options(args);
        Report report = new Report();
        System.out.printf("LoadBench: sessions=%d, %d s per measurement, %d cores%n", opt.sessions, opt.seconds,
                Runtime.getRuntime().availableProcessors());
        HandshakeWorkload handshakes = new HandshakeWorkload(opt, report);
        IdleWorkload idle = new IdleWorkload(opt, report);
        RelayWorkload relay = new RelayWorkload(opt, report);
        Child gw = Child.gateway(opt.gatewayJvm);
        try {
            if (opt.phases.contains("handshakes")) {
                handshakes.run(gw);
            }
            if (opt.phases.contains("idle")) {
                idle.run(gw, opt.sessions);
            }
            if (opt.phases.contains("relay")) {
                for (int size : opt.rooms) {
                    relay.run(gw, size);
                }
            }
        } finally {
            gw.stop();
        }
        if (opt.phases.contains("node") && Files.exists(opt.nodeRelay)) {
            Child node = Child.node(opt.nodeRelay);
            try {
                if (opt.phases.contains("idle")) {
                    idle.run(node, opt.sessions);
                }
                for (int size : opt.rooms) {
                    relay.run(node, size);
                }
            } finally {
                node.stop();
            }
        } else {
            System.out.println("node relay not found at " + opt.nodeRelay + "; skipped");
        }
        if (Files.exists(opt.jmh)) {
            handshakes.primitiveSum(opt.jmh);
        }
        report.printSummary();
    }
}
