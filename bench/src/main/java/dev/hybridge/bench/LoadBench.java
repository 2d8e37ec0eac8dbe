package dev.hybridge.bench;

import java.nio.file.Files;

/**
 * The gateway load benchmark (README "Load benchmark", bench/README.md): one run, figures printed.
 * <ol>
 *   <li>handshakes per second and gateway CPU per handshake (against the JMH primitive sum):
 *       {@link HandshakeWorkload};</li>
 *   <li>N concurrent idle joined sessions on the gateway and on the Node relay: time to establish,
 *       heap and RSS per session, their ratio: {@link IdleWorkload};</li>
 *   <li>relay throughput with 1 KiB envelopes in rooms of 2 and 6, then p50/p99/p99.9 latency at
 *       half of that peak: {@link RelayWorkload};</li>
 *   <li>the same relay workload against a plain Node `ws` relay with the seed's JSON room
 *       protocol and no encryption (bench/node-relay);</li>
 *   <li>browser-shaped relay load, both relays side by side in alternating rounds:
 *       {@link ShapeWorkload};</li>
 *   <li>with {@code --phases=storm}, the reconnect storm after a gateway restart: {@link StormWorkload}.</li>
 * </ol>
 * The gateway and the Node relay run as child processes ({@link Child}) so their CPU and memory
 * are their own; this process is the load generator ({@link Conn}, {@link HopPeer},
 * {@link JsonPeer}). Loopback only. Every loop is bounded in count and time.
 */
public final class LoadBench {
    private LoadBench() {}

    public static void main(String[] args) throws Exception {
        Options opt = new Options(args);
        Report report = new Report();
        System.out.printf(
                "LoadBench: phases %s, sessions=%d, %d s per measurement, %d cores%n",
                String.join(",", opt.phases),
                opt.sessions,
                opt.seconds,
                Runtime.getRuntime().availableProcessors());
        boolean shapes = opt.phases.contains("shape");
        boolean withNode = opt.phases.contains("node") || opt.phases.contains("idle") || shapes;
        if (withNode && !Files.exists(opt.nodeRelay)) {
            if (shapes) {
                throw new IllegalStateException(
                        "phase shape needs the Node relay at "
                                + opt.nodeRelay
                                + " (and its dependencies: cd bench/node-relay && npm ci)");
            }
            System.out.println(
                    "node relay not found at "
                            + opt.nodeRelay
                            + "; its side of idle and relay skipped");
            withNode = false;
        }
        long fds = 256;
        if (opt.phases.contains("idle")) {
            fds = Math.max(fds, opt.sessions + 256L);
        }
        if (shapes) {
            fds = Math.max(fds, ShapeWorkload.openFilesNeeded(opt.shapes, opt.helidon ? 3 : 2));
        }
        if (opt.phases.contains("storm")) {
            fds = Math.max(fds, StormWorkload.openFilesNeeded(opt.stormSessions));
        }
        Child.requireOpenFiles(fds, "this run (phases " + String.join(",", opt.phases) + ")");
        if (opt.phases.contains("storm")) { // its own gateway, restarted in the middle
            new StormWorkload(opt, report).run();
            if (opt.phases.size() == 1) {
                report.printSummary();
                return;
            }
        }
        HandshakeWorkload handshakes = new HandshakeWorkload(opt, report);
        IdleWorkload idle = new IdleWorkload(opt, report);
        RelayWorkload relay = new RelayWorkload(opt, report);
        Child gw = Child.gateway(opt.gatewayJvm);
        Child helidon = null;
        Child node = null;
        try {
            if (opt.phases.contains("handshakes")) {
                handshakes.run(gw);
            }
            if (withNode) {
                node = Child.node(opt.nodeRelay);
            }
            if (opt.helidon && (opt.phases.contains("idle") || shapes)) {
                helidon = Child.helidon(opt.gatewayJvm);
            }
            if (opt.phases.contains("idle")) { // each side, one after the other, and the ratios
                idle.run(gw, opt.sessions);
                if (helidon != null) {
                    idle.run(helidon, opt.sessions);
                }
                if (node != null) {
                    idle.run(node, opt.sessions);
                }
            }
            if (opt.phases.contains("relay")) {
                for (int size : opt.rooms) {
                    relay.run(gw, size);
                }
            }
            if (opt.phases.contains("node") && node != null) {
                if (opt.phases.contains("relay")) {
                    for (int size : opt.rooms) {
                        relay.run(node, size);
                    }
                }
            }
            if (shapes) {
                new ShapeWorkload(opt, report).run(gw, helidon, node, opt.shapes);
            }
        } finally {
            gw.stop();
            if (helidon != null) {
                helidon.stop();
            }
            if (node != null) {
                node.stop();
            }
        }
        if (opt.phases.contains("handshakes") && Files.exists(opt.jmh)) {
            handshakes.primitiveSum(opt.jmh);
        }
        report.printSummary();
    }
}
