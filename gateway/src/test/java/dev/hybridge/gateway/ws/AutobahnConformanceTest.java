package dev.hybridge.gateway.ws;

import static dev.hybridge.gateway.ws.WsCodec.OP_BINARY;
import static dev.hybridge.gateway.ws.WsCodec.OP_CLOSE;
import static dev.hybridge.gateway.ws.WsCodec.OP_CONTINUATION;
import static dev.hybridge.gateway.ws.WsCodec.OP_PING;
import static dev.hybridge.gateway.ws.WsCodec.OP_PONG;
import static dev.hybridge.gateway.ws.WsCodec.OP_TEXT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.hybridge.gateway.config.GatewayConfig;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Autobahn|Testsuite's fuzzingclient case groups 1-7, 9 and 12-13, ported (the suite itself
 * cannot be installed here) and run against the real WebSocket layer: {@link WsSocket} and
 * {@link WsCodec} behind the edge's own handshake check, with an echo listener, on a loopback
 * socket ({@link EchoServer}). The client is a raw socket with hand-made frames.
 *
 * <p>Each case is one row of the table in {@link #cases()}: an id (Autobahn's where the case is
 * Autobahn's; {@code N.x.M} for additions of ours), what is sent, and the RFC 6455 outcome,
 * checked exactly: the frames the server sends back, in order, ending with its close frame and
 * the TCP close (end of stream). After the frames of a case, the client sends a close frame
 * 1000 unless it already sent one (Autobahn's closing handshake after every case, which for a
 * failed connection is the client's answer to the server's close). Where Autobahn accepts two
 * behaviours ("non-strict"), the case lists both and says so in its name.
 *
 * <p>Sizes are scaled to the gateway's frame limit ({@link GatewayConfig#MAX_FRAME}, 65,561
 * bytes, the largest hop record): Autobahn's 1-16 MiB messages of group 9 become 256 B - 64 KiB,
 * and "larger than the limit" is checked to close 1009. Nothing is timed: group 9 checks only
 * that every byte comes back.
 */
class AutobahnConformanceTest {
    static final int MAX = GatewayConfig.MAX_FRAME;
    static final SecureRandom RNG = new SecureRandom();
    static final long WAIT_SECONDS = 10;

    /** The echo server on the blocking transport (the TLS path) and on the event loop (the plain path). */
    static EchoServer blocking;

    static EchoServer loop;

    /** The server the running case talks to (dynamic tests run one after another). */
    static EchoServer server;

    static final AtomicInteger PASSED = new AtomicInteger();
    static final AtomicInteger FAILED = new AtomicInteger();

    @BeforeAll
    static void start() throws IOException {
        blocking = new EchoServer(MAX, false);
        loop = new EchoServer(MAX, true);
    }

    @AfterAll
    static void stop() throws IOException {
        blocking.close();
        loop.close();
        System.out.println(
                "Autobahn-style conformance: "
                        + PASSED.get()
                        + " passed, "
                        + FAILED.get()
                        + " failed");
    }

    @TestFactory
    Stream<org.junit.jupiter.api.DynamicContainer> autobahnCases() {
        return Stream.of(
                transport(
                        "blocking transport (TLS path, a virtual thread per connection)",
                        () -> blocking),
                transport("event loop (plain TCP path)", () -> loop));
    }

    private org.junit.jupiter.api.DynamicContainer transport(
            String name, java.util.function.Supplier<EchoServer> target) {
        return org.junit.jupiter.api.DynamicContainer.dynamicContainer(
                name,
                cases().stream()
                        .map(
                                c ->
                                        DynamicTest.dynamicTest(
                                                c.displayName(),
                                                () -> {
                                                    server = target.get();
                                                    try {
                                                        run(c);
                                                        PASSED.incrementAndGet();
                                                    } catch (AssertionError e) {
                                                        FAILED.incrementAndGet();
                                                        throw new AssertionError(
                                                                name
                                                                        + ": "
                                                                        + c.id()
                                                                        + " ("
                                                                        + c.description()
                                                                        + "): "
                                                                        + e.getMessage(),
                                                                e);
                                                    } catch (Throwable t) {
                                                        FAILED.incrementAndGet();
                                                        throw t;
                                                    }
                                                })));
    }

    // ================================================================ the case table

    static List<Case> cases() {
        List<Case> t = new ArrayList<>();

        // ---- 1 framing: text and binary messages of lengths 0..65536, and the limit
        int[] sizes = {0, 125, 126, 127, 128, 65535, 65536};
        for (int i = 0; i < sizes.length; i++) {
            int n = sizes[i];
            add(
                    t,
                    "1.1." + (i + 1),
                    "text message of " + n + " octets",
                    s -> s.send(text(stars(n))).expect(echoText(stars(n)), closed(1000)));
        }
        add(
                t,
                "1.1.8",
                "text message of 65536 octets sent in chops of 997",
                s ->
                        s.sendChopped(997, text(stars(65536)))
                                .expect(echoText(stars(65536)), closed(1000)));
        for (int i = 0; i < sizes.length; i++) {
            int n = sizes[i];
            add(
                    t,
                    "1.2." + (i + 1),
                    "binary message of " + n + " octets",
                    s -> s.send(bin(fill(n, 0xFE))).expect(echoBin(fill(n, 0xFE)), closed(1000)));
        }
        add(
                t,
                "1.2.8",
                "binary message of 65536 octets sent in chops of 997",
                s ->
                        s.sendChopped(997, bin(fill(65536, 0xFE)))
                                .expect(echoBin(fill(65536, 0xFE)), closed(1000)));
        add(
                t,
                "1.x.1",
                "text message of exactly the limit (" + MAX + " octets)",
                s -> s.send(text(stars(MAX))).expect(echoText(stars(MAX)), closed(1000)));
        add(
                t,
                "1.x.2",
                "binary message of exactly the limit",
                s -> s.send(bin(fill(MAX, 0x5A))).expect(echoBin(fill(MAX, 0x5A)), closed(1000)));
        add(
                t,
                "1.x.3",
                "text message one octet over the limit",
                s -> s.send(text(stars(MAX + 1))).expect(closed(1009)));
        add(
                t,
                "1.x.4",
                "binary message one octet over the limit",
                s -> s.send(bin(fill(MAX + 1, 1))).expect(closed(1009)));
        add(
                t,
                "1.x.5",
                "binary message of exactly the limit in 2 fragments",
                s ->
                        s.send(
                                        masked(false, OP_BINARY, fill(MAX - 1000, 7)),
                                        masked(true, OP_CONTINUATION, fill(1000, 7)))
                                .expect(echoBin(fill(MAX, 7)), closed(1000)));
        add(
                t,
                "1.x.6",
                "fragmented binary message whose 2nd fragment passes the limit by one octet",
                s ->
                        s.send(
                                        masked(false, OP_BINARY, fill(MAX - 1000, 7)),
                                        masked(true, OP_CONTINUATION, fill(1001, 7)))
                                .expect(closed(1009)));
        add(
                t,
                "1.x.7",
                "fragmented text passing the limit with its 3rd fragment, a ping after: no pong",
                s ->
                        s.send(
                                        masked(false, OP_TEXT, utf8(stars(30000))),
                                                masked(false, OP_CONTINUATION, utf8(stars(30000))),
                                        masked(true, OP_CONTINUATION, utf8(stars(10000))),
                                                ping(utf8("after")))
                                .expect(closed(1009)));
        add(
                t,
                "1.x.8",
                "binary frame header announcing 2^62 octets (refused from the header; TCP cut by the close grace)",
                s ->
                        s.send(header(0x82, 0xFF, 0x40, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4))
                                .noTrailingClose()
                                .expect(closed(1009)));
        add(
                t,
                "1.x.9",
                "frame header with a 64-bit length whose top bit is set (§5.2)",
                s ->
                        s.send(header(0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4))
                                .noTrailingClose()
                                .expect(closed(1002)));
        add(
                t,
                "1.x.10",
                "unmasked client text frame (§5.1)",
                s -> s.send(unmasked(0x81, utf8("Hello"))).expect(closed(1002)));
        add(
                t,
                "1.x.11",
                "valid text, then an unmasked binary frame, then a ping",
                s ->
                        s.send(text("Hello"), unmasked(0x82, fill(4, 1)), ping(utf8("p")))
                                .expect(echoText("Hello"), closed(1002)));

        // ---- 2 pings and pongs
        add(
                t,
                "2.1",
                "ping without payload",
                s -> s.send(ping(new byte[0])).expect(pong(new byte[0]), closed(1000)));
        add(
                t,
                "2.2",
                "ping with a small text payload",
                s ->
                        s.send(ping(utf8("Hello, world!")))
                                .expect(pong(utf8("Hello, world!")), closed(1000)));
        byte[] small = {
            0x00, (byte) 0xFF, (byte) 0xFE, (byte) 0xFD, (byte) 0xFC, (byte) 0xFB, 0x00, (byte) 0xFF
        };
        add(
                t,
                "2.3",
                "ping with a small binary payload",
                s -> s.send(ping(small)).expect(pong(small), closed(1000)));
        add(
                t,
                "2.4",
                "ping with a binary payload of 125 octets",
                s -> s.send(ping(fill(125, 0xFE))).expect(pong(fill(125, 0xFE)), closed(1000)));
        add(
                t,
                "2.5",
                "ping with a payload of 126 octets (> 125, §5.5)",
                s -> s.send(frame(true, 0, OP_PING, fill(126, 0xFE))).expect(closed(1002)));
        add(
                t,
                "2.6",
                "ping with 125 octets, sent in chops of 1",
                s ->
                        s.sendChopped(1, ping(fill(125, 0xFE)))
                                .expect(pong(fill(125, 0xFE)), closed(1000)));
        add(
                t,
                "2.7",
                "unsolicited pong without payload is ignored",
                s -> s.send(pong0(new byte[0])).expect(closed(1000)));
        add(
                t,
                "2.8",
                "unsolicited pong with payload is ignored",
                s -> s.send(pong0(utf8("unsolicited pong payload"))).expect(closed(1000)));
        add(
                t,
                "2.9",
                "unsolicited pong, then ping",
                s ->
                        s.send(pong0(utf8("unsolicited pong payload")), ping(utf8("ping payload")))
                                .expect(pong(utf8("ping payload")), closed(1000)));
        for (int chop : new int[] {0, 1}) {
            add(
                    t,
                    chop == 0 ? "2.10" : "2.11",
                    "10 pings"
                            + (chop == 0 ? "" : " in chops of 1")
                            + " (non-strict: a pong for each, or for the last at least)",
                    s -> {
                        List<byte[]> pings = new ArrayList<>();
                        List<Reply> pongs = new ArrayList<>();
                        for (int i = 0; i < 10; i++) {
                            pings.add(ping(utf8("payload-" + i)));
                            pongs.add(pong(utf8("payload-" + i)));
                        }
                        pongs.add(closed(1000));
                        s.sendChopped(chop, pings.toArray(byte[][]::new))
                                .expect(pongs.toArray(Reply[]::new))
                                .or(pong(utf8("payload-9")), closed(1000));
                    });
        }
        add(
                t,
                "2.x.1",
                "1000 pings, each answered in order",
                s -> {
                    byte[][] pings = new byte[1000][];
                    Reply[] pongs = new Reply[1001];
                    for (int i = 0; i < 1000; i++) {
                        pings[i] = ping(utf8("ping " + i));
                        pongs[i] = pong(utf8("ping " + i));
                    }
                    pongs[1000] = closed(1000);
                    s.send(pings).expect(pongs);
                });
        add(
                t,
                "2.x.2",
                "ping of 200 octets with a 16-bit length",
                s -> s.send(frame(true, 0, OP_PING, fill(200, 1))).expect(closed(1002)));

        // ---- 3 reserved bits: no extension is negotiated, so any RSV bit fails the connection
        add(
                t,
                "3.1",
                "text with RSV = 1",
                s -> s.send(frame(true, 1, OP_TEXT, utf8("Hello, world!"))).expect(closed(1002)));
        add(
                t,
                "3.2",
                "text, then text with RSV = 2, then ping: echo, fail, no pong",
                s ->
                        s.send(
                                        text("Hello, world!"),
                                        frame(true, 2, OP_TEXT, utf8("Hello, world!")),
                                        ping(utf8("Hello, world!")))
                                .expect(echoText("Hello, world!"), closed(1002)));
        add(
                t,
                "3.3",
                "as 3.2 with RSV = 3, each frame written alone",
                s ->
                        s.send(text("Hello, world!"))
                                .send(frame(true, 3, OP_TEXT, utf8("Hello, world!")))
                                .send(ping(utf8("Hello, world!")))
                                .expect(echoText("Hello, world!"), closed(1002)));
        add(
                t,
                "3.4",
                "as 3.2 with RSV = 4, in chops of 1",
                s ->
                        s.sendChopped(
                                        1,
                                        text("Hello, world!"),
                                        frame(true, 4, OP_TEXT, utf8("Hello, world!")),
                                        ping(utf8("Hello, world!")))
                                .expect(echoText("Hello, world!"), closed(1002)));
        add(
                t,
                "3.5",
                "binary with RSV = 5",
                s -> s.send(frame(true, 5, OP_BINARY, small)).expect(closed(1002)));
        add(
                t,
                "3.6",
                "ping with RSV = 6",
                s -> s.send(frame(true, 6, OP_PING, utf8("Hello, world!"))).expect(closed(1002)));
        add(
                t,
                "3.7",
                "close with RSV = 7",
                s ->
                        s.send(frame(true, 7, OP_CLOSE, WsCodec.closePayload(1000, "")))
                                .expect(closed(1002)));
        add(
                t,
                "3.x.1",
                "continuation with RSV = 1 inside a fragmented text",
                s ->
                        s.send(
                                        masked(false, OP_TEXT, utf8("frag1")),
                                        frame(true, 1, OP_CONTINUATION, utf8("frag2")))
                                .expect(closed(1002)));
        add(
                t,
                "3.x.2",
                "pong with RSV = 4",
                s -> s.send(frame(true, 4, OP_PONG, utf8("x"))).expect(closed(1002)));

        // ---- 4 reserved opcodes
        int[][] reserved = {{3, 4, 5, 6, 7}, {11, 12, 13, 14, 15}};
        for (int g = 0; g < 2; g++) {
            String p = "4." + (g + 1) + ".";
            int[] ops = reserved[g];
            add(
                    t,
                    p + 1,
                    "reserved opcode " + ops[0] + " without payload",
                    s -> s.send(frame(true, 0, ops[0], new byte[0])).expect(closed(1002)));
            add(
                    t,
                    p + 2,
                    "reserved opcode " + ops[1] + " with payload",
                    s ->
                            s.send(frame(true, 0, ops[1], utf8("reserved opcode payload")))
                                    .expect(closed(1002)));
            add(
                    t,
                    p + 3,
                    "text, reserved opcode " + ops[2] + ", ping: echo, fail, no pong",
                    s ->
                            s.send(
                                            text("Hello, world!"),
                                            frame(true, 0, ops[2], new byte[0]),
                                            ping(utf8("Hello, world!")))
                                    .expect(echoText("Hello, world!"), closed(1002)));
            add(
                    t,
                    p + 4,
                    "text, reserved opcode " + ops[3] + " with payload, ping",
                    s ->
                            s.send(
                                            text("Hello, world!"),
                                            frame(true, 0, ops[3], utf8("reserved opcode payload")),
                                            ping(utf8("Hello, world!")))
                                    .expect(echoText("Hello, world!"), closed(1002)));
            add(
                    t,
                    p + 5,
                    "as " + p + "4 with opcode " + ops[4] + ", in chops of 1",
                    s ->
                            s.sendChopped(
                                            1,
                                            text("Hello, world!"),
                                            frame(true, 0, ops[4], utf8("reserved opcode payload")),
                                            ping(utf8("Hello, world!")))
                                    .expect(echoText("Hello, world!"), closed(1002)));
        }

        // ---- 5 fragmentation
        add(
                t,
                "5.1",
                "ping in 2 fragments",
                s ->
                        s.send(
                                        frame(false, 0, OP_PING, utf8("fragment1")),
                                        frame(true, 0, OP_CONTINUATION, utf8("fragment2")))
                                .expect(closed(1002)));
        add(
                t,
                "5.2",
                "pong in 2 fragments",
                s ->
                        s.send(
                                        frame(false, 0, OP_PONG, utf8("fragment1")),
                                        frame(true, 0, OP_CONTINUATION, utf8("fragment2")))
                                .expect(closed(1002)));
        String[] modes = {"in one write", "each frame written alone", "in chops of 1"};
        for (int m = 0; m < 3; m++) {
            int mode = m;
            add(
                    t,
                    "5." + (3 + m),
                    "text in 2 fragments, " + modes[m],
                    s ->
                            s.sendMode(
                                            mode,
                                            masked(false, OP_TEXT, utf8("fragment1")),
                                            masked(true, OP_CONTINUATION, utf8("fragment2")))
                                    .expect(echoText("fragment1fragment2"), closed(1000)));
        }
        for (int m = 0; m < 3; m++) {
            int mode = m;
            add(
                    t,
                    "5." + (6 + m),
                    "text in 2 fragments with a ping between, " + modes[m],
                    s ->
                            s.sendMode(
                                            mode,
                                            masked(false, OP_TEXT, utf8("fragment1")),
                                            ping(utf8("ping payload")),
                                            masked(true, OP_CONTINUATION, utf8("fragment2")))
                                    .expect(
                                            pong(utf8("ping payload")),
                                            echoText("fragment1fragment2"),
                                            closed(1000)));
        }
        for (int m = 0; m < 3; m++) {
            int mode = m;
            add(
                    t,
                    "5." + (9 + m),
                    "final continuation with nothing to continue, then text, " + modes[m],
                    s ->
                            s.sendMode(
                                            mode,
                                            masked(
                                                    true,
                                                    OP_CONTINUATION,
                                                    utf8("non-continuation payload")),
                                            text("Hello, world!"))
                                    .expect(closed(1002)));
        }
        for (int m = 0; m < 3; m++) {
            int mode = m;
            add(
                    t,
                    "5." + (12 + m),
                    "non-final continuation with nothing to continue, then text, " + modes[m],
                    s ->
                            s.sendMode(
                                            mode,
                                            masked(
                                                    false,
                                                    OP_CONTINUATION,
                                                    utf8("non-continuation payload")),
                                            text("Hello, world!"))
                                    .expect(closed(1002)));
        }
        add(
                t,
                "5.15",
                "text in 2 fragments, then a non-final continuation with nothing to continue, then text",
                s ->
                        s.send(
                                        masked(false, OP_TEXT, utf8("fragment1")),
                                        masked(true, OP_CONTINUATION, utf8("fragment2")),
                                        masked(false, OP_CONTINUATION, utf8("fragment3")),
                                        masked(true, OP_TEXT, utf8("fragment4")))
                                .expect(echoText("fragment1fragment2"), closed(1002)));
        add(
                t,
                "5.16",
                "twice: non-final continuation with nothing to continue, then text in 2 fragments",
                s ->
                        s.send(
                                        masked(false, OP_CONTINUATION, utf8("fragment1")),
                                        masked(false, OP_TEXT, utf8("fragment2")),
                                        masked(true, OP_CONTINUATION, utf8("fragment3")),
                                        masked(false, OP_CONTINUATION, utf8("fragment1")),
                                        masked(false, OP_TEXT, utf8("fragment2")),
                                        masked(true, OP_CONTINUATION, utf8("fragment3")))
                                .expect(closed(1002)));
        add(
                t,
                "5.17",
                "twice: final continuation with nothing to continue, then text in 2 fragments",
                s ->
                        s.send(
                                        masked(true, OP_CONTINUATION, utf8("fragment1")),
                                        masked(false, OP_TEXT, utf8("fragment2")),
                                        masked(true, OP_CONTINUATION, utf8("fragment3")),
                                        masked(true, OP_CONTINUATION, utf8("fragment1")),
                                        masked(false, OP_TEXT, utf8("fragment2")),
                                        masked(true, OP_CONTINUATION, utf8("fragment3")))
                                .expect(closed(1002)));
        add(
                t,
                "5.18",
                "text fragment, then a new text message instead of a continuation",
                s ->
                        s.send(
                                        masked(false, OP_TEXT, utf8("fragment1")),
                                        masked(true, OP_TEXT, utf8("fragment2")))
                                .expect(closed(1002)));
        for (int m = 0; m < 2; m++) {
            boolean alone = m == 1;
            add(
                    t,
                    "5." + (19 + m),
                    "text in 5 fragments with 2 pings between, the 1st pong awaited mid-message"
                            + (alone ? ", each frame written alone" : ""),
                    s -> {
                        s.sendMode(
                                alone ? 1 : 0,
                                masked(false, OP_TEXT, utf8("fragment1")),
                                masked(false, OP_CONTINUATION, utf8("fragment2")),
                                ping(utf8("pongme 1!")));
                        s.await(pong(utf8("pongme 1!")));
                        s.sendMode(
                                alone ? 1 : 0,
                                masked(false, OP_CONTINUATION, utf8("fragment3")),
                                masked(false, OP_CONTINUATION, utf8("fragment4")),
                                ping(utf8("pongme 2!")),
                                masked(true, OP_CONTINUATION, utf8("fragment5")));
                        s.expect(
                                pong(utf8("pongme 1!")),
                                pong(utf8("pongme 2!")),
                                echoText("fragment1fragment2fragment3fragment4fragment5"),
                                closed(1000));
                    });
        }
        add(
                t,
                "5.x.1",
                "binary in 2 fragments",
                s ->
                        s.send(
                                        masked(false, OP_BINARY, fill(10, 1)),
                                        masked(true, OP_CONTINUATION, fill(5, 2)))
                                .expect(echoBin(concat(fill(10, 1), fill(5, 2))), closed(1000)));
        add(
                t,
                "5.x.2",
                "binary in 3 fragments, the first and last empty",
                s ->
                        s.send(
                                        masked(false, OP_BINARY, new byte[0]),
                                        masked(false, OP_CONTINUATION, fill(300, 3)),
                                        masked(true, OP_CONTINUATION, new byte[0]))
                                .expect(echoBin(fill(300, 3)), closed(1000)));
        add(
                t,
                "5.x.3",
                "text in 100 fragments of one character",
                s -> {
                    byte[][] f = new byte[100][];
                    for (int i = 0; i < 100; i++) {
                        f[i] =
                                masked(
                                        i == 99,
                                        i == 0 ? OP_TEXT : OP_CONTINUATION,
                                        utf8(String.valueOf((char) ('a' + i % 26))));
                    }
                    StringBuilder b = new StringBuilder();
                    for (int i = 0; i < 100; i++) {
                        b.append((char) ('a' + i % 26));
                    }
                    s.send(f).expect(echoText(b.toString()), closed(1000));
                });
        add(
                t,
                "5.x.4",
                "text fragment, then close: the closing handshake, no echo",
                s ->
                        s.send(masked(false, OP_TEXT, utf8("fragment1")), close(1000, ""))
                                .expect(closed(1000)));
        add(
                t,
                "5.x.5",
                "close in 2 fragments",
                s ->
                        s.send(
                                        frame(false, 0, OP_CLOSE, WsCodec.closePayload(1000, "")),
                                        frame(true, 0, OP_CONTINUATION, utf8("x")))
                                .expect(closed(1002)));
        add(
                t,
                "5.x.6",
                "reserved opcode 3 in place of a continuation",
                s ->
                        s.send(
                                        masked(false, OP_TEXT, utf8("fragment1")),
                                        frame(true, 0, 3, utf8("fragment2")))
                                .expect(closed(1002)));
        add(
                t,
                "5.x.7",
                "binary message inside a fragmented text",
                s ->
                        s.send(masked(false, OP_TEXT, utf8("fragment1")), bin(fill(3, 1)))
                                .expect(closed(1002)));
        add(
                t,
                "5.x.8",
                "binary in 2 fragments with an unsolicited pong between",
                s ->
                        s.send(
                                        masked(false, OP_BINARY, fill(4, 9)),
                                        pong0(utf8("unsolicited")),
                                        masked(true, OP_CONTINUATION, fill(4, 8)))
                                .expect(echoBin(concat(fill(4, 9), fill(4, 8))), closed(1000)));
        add(
                t,
                "5.x.9",
                "binary in 2 fragments with a 125-octet ping between",
                s ->
                        s.send(
                                        masked(false, OP_BINARY, fill(4, 9)),
                                        ping(fill(125, 6)),
                                        masked(true, OP_CONTINUATION, fill(4, 8)))
                                .expect(
                                        pong(fill(125, 6)),
                                        echoBin(concat(fill(4, 9), fill(4, 8))),
                                        closed(1000)));
        add(
                t,
                "5.x.10",
                "a fragmented message, then an unfragmented one: both echoed",
                s ->
                        s.send(
                                        masked(false, OP_TEXT, utf8("a")),
                                        masked(true, OP_CONTINUATION, utf8("b")),
                                        text("c"))
                                .expect(echoText("ab"), echoText("c"), closed(1000)));

        // ---- 6 UTF-8
        add(
                t,
                "6.1.1",
                "empty text message",
                s -> s.send(text("")).expect(echoText(""), closed(1000)));
        add(
                t,
                "6.1.2",
                "text in 3 empty fragments",
                s ->
                        s.send(
                                        masked(false, OP_TEXT, new byte[0]),
                                        masked(false, OP_CONTINUATION, new byte[0]),
                                        masked(true, OP_CONTINUATION, new byte[0]))
                                .expect(echoText(""), closed(1000)));
        add(
                t,
                "6.1.3",
                "text in 3 fragments, the first and last empty",
                s ->
                        s.send(
                                        masked(false, OP_TEXT, new byte[0]),
                                        masked(
                                                false,
                                                OP_CONTINUATION,
                                                utf8("middle frame payload")),
                                        masked(true, OP_CONTINUATION, new byte[0]))
                                .expect(echoText("middle frame payload"), closed(1000)));
        String hello = "Hello-\u00b5@\u00df\u00f6\u00e4\u00fc\u00e0\u00e1-UTF-8!!";
        add(
                t,
                "6.2.1",
                "valid UTF-8 text in one fragment",
                s -> s.send(text(hello)).expect(echoText(hello), closed(1000)));
        add(
                t,
                "6.2.2",
                "valid UTF-8 text in 2 fragments split at a code point",
                s ->
                        s.send(
                                        masked(false, OP_TEXT, utf8(hello.substring(0, 7))),
                                        masked(true, OP_CONTINUATION, utf8(hello.substring(7))))
                                .expect(echoText(hello), closed(1000)));
        add(
                t,
                "6.2.3",
                "valid UTF-8 text in fragments of one octet",
                s -> s.send(octetFragments(utf8(hello))).expect(echoText(hello), closed(1000)));
        byte[] kosme = hex("cebae1bdb9cf83cebcceb5");
        add(
                t,
                "6.2.4",
                "valid UTF-8 text 'kosme' in fragments of one octet",
                s -> s.send(octetFragments(kosme)).expect(echoText(kosme), closed(1000)));
        byte[] kosmeEdited = hex("cebae1bdb9cf83cebcceb5eda080656469746564");
        add(
                t,
                "6.3.1",
                "invalid UTF-8 (a surrogate) in one frame",
                s -> s.send(text(kosmeEdited)).expect(closed(1007)));
        add(
                t,
                "6.3.2",
                "invalid UTF-8 (a surrogate) in fragments of one octet",
                s -> s.send(octetFragments(kosmeEdited)).expect(closed(1007)));
        // fail fast: the close must come before the rest of the message is sent
        add(
                t,
                "6.4.1",
                "3 fragments, the 2nd one invalid (U+110000); checked strictly: failed at the 2nd fragment",
                s -> {
                    s.send(
                            masked(false, OP_TEXT, kosme),
                            masked(false, OP_CONTINUATION, hex("f4908080")));
                    s.await(closed(1007));
                    s.send(masked(true, OP_CONTINUATION, hex("656469746564"))).expect(closed(1007));
                });
        add(
                t,
                "6.4.2",
                "3 fragments, F4 at the end of the 1st, 0x90 as the 2nd; checked strictly: failed at the 2nd fragment",
                s -> {
                    s.send(
                            masked(false, OP_TEXT, hex("cebae1bdb9cf83cebcceb5f4")),
                            masked(false, OP_CONTINUATION, hex("90")));
                    s.await(closed(1007));
                    s.send(masked(true, OP_CONTINUATION, hex("8080656469746564")))
                            .expect(closed(1007));
                });
        add(
                t,
                "6.4.3",
                "one frame written in 3 chops, the 2nd invalid (non-strict: failed at the 2nd chop or at the frame's end)",
                s -> {
                    byte[] f = text(concat(kosme, hex("f4908080"), hex("656469746564")));
                    s.sendPiece(Arrays.copyOfRange(f, 0, 6 + 11))
                            .sendPiece(Arrays.copyOfRange(f, 17, 21))
                            .sendPiece(Arrays.copyOfRange(f, 21, f.length))
                            .expect(closed(1007));
                });
        add(
                t,
                "6.4.4",
                "one frame written in 3 chops, F4 | 90 | 80 80 ... (non-strict: failed at the 2nd chop or at the frame's end)",
                s -> {
                    byte[] f =
                            text(
                                    concat(
                                            hex("cebae1bdb9cf83cebcceb5f4"),
                                            hex("90"),
                                            hex("8080656469746564")));
                    s.sendPiece(Arrays.copyOfRange(f, 0, 6 + 12))
                            .sendPiece(Arrays.copyOfRange(f, 18, 19))
                            .sendPiece(Arrays.copyOfRange(f, 19, f.length))
                            .expect(closed(1007));
                });
        add(
                t,
                "6.5.1",
                "valid 'kosme' in one frame",
                s -> s.send(text(kosme)).expect(echoText(kosme), closed(1000)));
        add(
                t,
                "6.5.2",
                "valid 'kosme' in fragments split at code points",
                s ->
                        s.send(
                                        masked(false, OP_TEXT, hex("ceba")),
                                        masked(false, OP_CONTINUATION, hex("e1bdb9")),
                                        masked(false, OP_CONTINUATION, hex("cf83")),
                                        masked(false, OP_CONTINUATION, hex("cebc")),
                                        masked(true, OP_CONTINUATION, hex("ceb5")))
                                .expect(echoText(kosme), closed(1000)));
        add(
                t,
                "6.5.3",
                "valid 'kosme' in one frame written in chops of 1",
                s -> s.sendChopped(1, text(kosme)).expect(echoText(kosme), closed(1000)));
        add(
                t,
                "6.5.4",
                "valid U+1D11E in 4 fragments of one octet",
                s ->
                        s.send(octetFragments(hex("f09d849e")))
                                .expect(echoText(hex("f09d849e")), closed(1000)));
        add(
                t,
                "6.5.5",
                "valid 'kosme' split mid-character across 2 fragments",
                s ->
                        s.send(
                                        masked(false, OP_TEXT, hex("cebae1")),
                                        masked(true, OP_CONTINUATION, hex("bdb9cf83cebcceb5")))
                                .expect(echoText(kosme), closed(1000)));
        for (int i = 1; i <= kosme.length; i++) {
            byte[] prefix = Arrays.copyOf(kosme, i);
            boolean valid =
                    i == 2 || i == 5 || i == 7 || i == 9 || i == 11; // ends at a character boundary
            utf8Case(t, "6.6." + i, "'kosme' cut to " + i + " octets", prefix, valid);
        }
        String[][] sequences = {
            // id, hex, valid
            {"6.7.1", "00", "y"},
            {"6.7.2", "c280", "y"},
            {"6.7.3", "e0a080", "y"},
            {"6.7.4", "f0908080", "y"},
            {"6.8.1", "f888808080", "n"},
            {"6.8.2", "fc8480808080", "n"},
            {"6.9.1", "7f", "y"},
            {"6.9.2", "dfbf", "y"},
            {"6.9.3", "efbfbf", "y"},
            {"6.9.4", "f48fbfbf", "y"},
            {"6.10.1", "f7bfbfbf", "n"},
            {"6.10.2", "fbbfbfbfbf", "n"},
            {"6.10.3", "fdbfbfbfbfbf", "n"},
            {"6.11.1", "ed9fbf", "y"},
            {"6.11.2", "ee8080", "y"},
            {"6.11.3", "efbfbd", "y"},
            {"6.11.4", "f48fbfbf", "y"},
            {"6.11.5", "f4908080", "n"},
            {"6.12.1", "80", "n"},
            {"6.12.2", "bf", "n"},
            {"6.12.3", "80bf", "n"},
            {"6.12.4", "80bf80", "n"},
            {"6.12.5", "80bf80bf", "n"},
            {"6.12.6", "80bf80bf80", "n"},
            {"6.12.7", "80bf80bf80bf", "n"},
            {"6.12.8", range(0x80, 0xBF, ""), "n"},
            {"6.13.1", range(0xC0, 0xDF, "20"), "n"},
            {"6.13.2", range(0xE0, 0xEF, "20"), "n"},
            {"6.13.3", range(0xF0, 0xF7, "20"), "n"},
            {"6.13.4", range(0xF8, 0xFB, "20"), "n"},
            {"6.13.5", range(0xFC, 0xFD, "20"), "n"},
            {"6.14.1", "c0", "n"},
            {"6.14.2", "e080", "n"},
            {"6.14.3", "f08080", "n"},
            {"6.14.4", "f8808080", "n"},
            {"6.14.5", "fc80808080", "n"},
            {"6.14.6", "df", "n"},
            {"6.14.7", "efbf", "n"},
            {"6.14.8", "f7bfbf", "n"},
            {"6.14.9", "fbbfbfbf", "n"},
            {"6.14.10", "fdbfbfbfbf", "n"},
            {"6.15.1", "c0e080f08080f8808080fc80808080dfefbff7bfbffbbfbfbffdbfbfbfbf", "n"},
            {"6.16.1", "fe", "n"},
            {"6.16.2", "ff", "n"},
            {"6.16.3", "fefeffff", "n"},
            {"6.17.1", "c0af", "n"},
            {"6.17.2", "e080af", "n"},
            {"6.17.3", "f08080af", "n"},
            {"6.17.4", "f8808080af", "n"},
            {"6.17.5", "fc80808080af", "n"},
            {"6.18.1", "c1bf", "n"},
            {"6.18.2", "e09fbf", "n"},
            {"6.18.3", "f08fbfbf", "n"},
            {"6.18.4", "f887bfbfbf", "n"},
            {"6.18.5", "fc83bfbfbfbf", "n"},
            {"6.19.1", "c080", "n"},
            {"6.19.2", "e08080", "n"},
            {"6.19.3", "f0808080", "n"},
            {"6.19.4", "f880808080", "n"},
            {"6.19.5", "fc8080808080", "n"},
            {"6.20.1", "eda080", "n"},
            {"6.20.2", "edadbf", "n"},
            {"6.20.3", "edae80", "n"},
            {"6.20.4", "edafbf", "n"},
            {"6.20.5", "edb080", "n"},
            {"6.20.6", "edbe80", "n"},
            {"6.20.7", "edbfbf", "n"},
            {"6.21.1", "eda080edb080", "n"},
            {"6.21.2", "eda080edbfbf", "n"},
            {"6.21.3", "edadbfedb080", "n"},
            {"6.21.4", "edadbfedbfbf", "n"},
            {"6.21.5", "edae80edb080", "n"},
            {"6.21.6", "edae80edbfbf", "n"},
            {"6.21.7", "edafbfedb080", "n"},
            {"6.21.8", "edafbfedbfbf", "n"},
            {"6.23.1", "efbfb9", "y"},
            {"6.23.2", "efbfba", "y"},
            {"6.23.3", "efbfbb", "y"},
            {"6.23.4", "efbfbc", "y"},
            {"6.23.5", "efbfbd", "y"},
            {"6.x.1", "efb790", "y"},
            {"6.x.2", "efb7af", "y"},
            {"6.x.3", "f5808080", "n"},
            {"6.x.4", "41c2", "n"},
            {"6.x.5", "e0a0", "n"},
            {"6.x.6", "c2c2", "n"},
            {"6.x.7", "e080", "n"},
            {"6.x.8", "ed9fbfeda080", "n"},
        };
        for (String[] q : sequences) {
            byte[] b = hex(q[1]);
            utf8Case(
                    t,
                    q[0],
                    (q[2].equals("y") ? "valid " : "invalid ")
                            + q[1].substring(0, Math.min(q[1].length(), 24))
                            + (q[1].length() > 24 ? "..." : ""),
                    b,
                    q[2].equals("y"));
        }
        // 6.22: noncharacters U+FFFE, U+FFFF and the last two of each supplementary plane are valid
        // UTF-8
        int nc = 1;
        for (int plane = 0; plane <= 16; plane++) {
            for (int last : new int[] {0xFFFE, 0xFFFF}) {
                int cp = plane * 0x10000 + last;
                byte[] b = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
                utf8Case(
                        t,
                        "6.22." + nc++,
                        "noncharacter U+"
                                + Integer.toHexString(cp).toUpperCase(Locale.ROOT)
                                + " (valid)",
                        b,
                        true);
            }
        }
        // UTF-8 across fragment boundaries
        add(
                t,
                "6.x.20",
                "U+20AC split 1|2 across fragments",
                s ->
                        s.send(
                                        masked(false, OP_TEXT, hex("e2")),
                                        masked(true, OP_CONTINUATION, hex("82ac")))
                                .expect(echoText("\u20ac"), closed(1000)));
        add(
                t,
                "6.x.21",
                "U+1D11E split 2|2 across fragments",
                s ->
                        s.send(
                                        masked(false, OP_TEXT, hex("f09d")),
                                        masked(true, OP_CONTINUATION, hex("849e")))
                                .expect(echoText(hex("f09d849e")), closed(1000)));
        add(
                t,
                "6.x.22",
                "U+03BA split by a ping between its 2 fragments",
                s ->
                        s.send(
                                        masked(false, OP_TEXT, hex("ce")),
                                        ping(utf8("p")),
                                        masked(true, OP_CONTINUATION, hex("ba")))
                                .expect(pong(utf8("p")), echoText(hex("ceba")), closed(1000)));
        add(
                t,
                "6.x.23",
                "surrogate split ED | A0 80 across fragments: failed at the 2nd fragment",
                s -> {
                    s.send(
                            masked(false, OP_TEXT, hex("ed")),
                            masked(false, OP_CONTINUATION, hex("a080")));
                    s.await(closed(1007));
                    s.send(masked(true, OP_CONTINUATION, utf8("x"))).expect(closed(1007));
                });
        add(
                t,
                "6.x.24",
                "invalid start octet C0 in the 1st of 2 fragments: failed at the 1st",
                s -> {
                    s.send(masked(false, OP_TEXT, hex("41c0")));
                    s.await(closed(1007));
                    s.send(masked(true, OP_CONTINUATION, hex("af"))).expect(closed(1007));
                });
        add(
                t,
                "6.x.25",
                "message ends inside a character: CE, then an empty final fragment",
                s ->
                        s.send(
                                        masked(false, OP_TEXT, hex("ce")),
                                        masked(true, OP_CONTINUATION, new byte[0]))
                                .expect(closed(1007)));
        add(
                t,
                "6.x.26",
                "message ends inside a character: E2 82 in one final frame",
                s -> s.send(text(hex("e282"))).expect(closed(1007)));
        add(
                t,
                "6.x.27",
                "after a valid fragmented message, the next one starts with a continuation octet",
                s ->
                        s.send(
                                        masked(false, OP_TEXT, hex("ce")),
                                        masked(true, OP_CONTINUATION, hex("ba")),
                                        text(hex("ba")))
                                .expect(echoText(hex("ceba")), closed(1007)));
        add(
                t,
                "6.x.28",
                "binary messages are not UTF-8 checked",
                s ->
                        s.send(bin(hex("c0afeda080fffe")))
                                .expect(echoBin(hex("c0afeda080fffe")), closed(1000)));
        add(
                t,
                "6.x.29",
                "an invalid text, then a ping: no pong after the failure",
                s -> s.send(text(hex("ff")), ping(utf8("p"))).expect(closed(1007)));

        // ---- 7 close handling
        add(
                t,
                "7.1.1",
                "text, then close",
                s ->
                        s.send(text("Hello World!"), close(1000, ""))
                                .expect(echoText("Hello World!"), closed(1000)));
        add(
                t,
                "7.1.2",
                "two close frames: the second is ignored",
                s -> s.send(concat(close(1000, ""), close(1000, ""))).expect(closed(1000)));
        add(
                t,
                "7.1.3",
                "close, then ping: no pong after the close",
                s ->
                        s.send(concat(close(1000, ""), ping(utf8("Hello World!"))))
                                .expect(closed(1000)));
        add(
                t,
                "7.1.4",
                "close, then text: no echo after the close",
                s -> s.send(concat(close(1000, ""), text("Hello World!"))).expect(closed(1000)));
        add(
                t,
                "7.1.5",
                "text fragment, close, then the final fragment: no echo",
                s ->
                        s.send(
                                        concat(
                                                masked(false, OP_TEXT, utf8("fragment1")),
                                                close(1000, ""),
                                                masked(true, OP_CONTINUATION, utf8("fragment2"))))
                                .expect(closed(1000)));
        add(
                t,
                "7.1.6",
                "64 KiB text (scaled from 256 KiB), close, ping",
                s ->
                        s.send(
                                        concat(
                                                text(junk(65536)),
                                                close(1000, ""),
                                                ping(utf8("Hello World!"))))
                                .expect(echoText(junk(65536)), closed(1000)));
        add(
                t,
                "7.3.1",
                "close without payload (non-strict: answered with an empty close or 1000)",
                s ->
                        s.send(masked(true, OP_CLOSE, new byte[0]))
                                .expect(closed(1000))
                                .or(closed(-1)));
        add(
                t,
                "7.3.2",
                "close with a 1-octet payload",
                s -> s.send(masked(true, OP_CLOSE, new byte[] {0x03})).expect(closed(1002)));
        add(
                t,
                "7.3.3",
                "close 1000 without reason",
                s -> s.send(close(1000, "")).expect(closed(1000)));
        add(
                t,
                "7.3.4",
                "close 1000 with a reason",
                s -> s.send(close(1000, "Hello World!")).expect(closed(1000)));
        add(
                t,
                "7.3.5",
                "close 1000 with a 123-octet reason (payload 125)",
                s -> s.send(close(1000, stars(123))).expect(closed(1000)));
        add(
                t,
                "7.3.6",
                "close 1000 with a 124-octet reason (payload 126 > 125; TCP cut by the close grace)",
                s ->
                        s.send(frame(true, 0, OP_CLOSE, concat(hex("03e8"), utf8(stars(124)))))
                                .expect(closed(1002)));
        add(
                t,
                "7.5.1",
                "close with an invalid UTF-8 reason (non-strict: 1007 or 1002)",
                s ->
                        s.send(masked(true, OP_CLOSE, concat(hex("03e8"), kosmeEdited)))
                                .expect(closed(1007))
                                .or(closed(1002)));
        int[] validCodes = {
            1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999
        };
        for (int i = 0; i < validCodes.length; i++) {
            int code = validCodes[i];
            add(
                    t,
                    "7.7." + (i + 1),
                    "close with valid code " + code + " (non-strict: echoed or 1000)",
                    s -> s.send(close(code, "")).expect(closed(code)).or(closed(1000)));
        }
        int[] iana = {1012, 1013, 1014};
        for (int i = 0; i < iana.length; i++) {
            int code = iana[i];
            add(
                    t,
                    "7.7.x." + (i + 1),
                    "close with code "
                            + code
                            + " (IANA-registered after the RFC, valid; non-strict: echoed or 1000)",
                    s -> s.send(close(code, "")).expect(closed(code)).or(closed(1000)));
        }
        int[] invalidCodes = {0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999};
        for (int i = 0; i < invalidCodes.length; i++) {
            int code = invalidCodes[i];
            add(
                    t,
                    "7.9." + (i + 1),
                    "close with invalid code " + code,
                    s -> s.send(close(code, "")).expect(closed(1002)));
        }
        add(
                t,
                "7.9.x.1",
                "close with reserved code 1015 (TLS handshake, never sent)",
                s -> s.send(close(1015, "")).expect(closed(1002)));
        add(
                t,
                "7.9.x.2",
                "close with code 1017",
                s -> s.send(close(1017, "")).expect(closed(1002)));
        add(t, "7.13.1", "close with code 5000", s -> s.send(close(5000, "")).expect(closed(1002)));
        add(
                t,
                "7.13.2",
                "close with code 65535",
                s -> s.send(close(65535, "")).expect(closed(1002)));
        add(
                t,
                "7.x.1",
                "close 1000 with a valid multi-octet reason",
                s ->
                        s.send(masked(true, OP_CLOSE, concat(hex("03e8"), kosme)))
                                .expect(closed(1000)));
        String[][] badReasons = {
            {"2", "overlong C0 AF", "c0af"},
            {"3", "surrogate ED A0 80", "eda080"},
            {"4", "U+110000", "f4908080"},
            {"5", "truncated CE", "ce"},
            {"6", "lone continuation 80", "80"}
        };
        for (String[] r : badReasons) {
            add(
                    t,
                    "7.x." + r[0],
                    "close 1000 with reason " + r[1] + " (non-strict: 1007 or 1002)",
                    s ->
                            s.send(masked(true, OP_CLOSE, concat(hex("03e8"), hex(r[2]))))
                                    .expect(closed(1007))
                                    .or(closed(1002)));
        }
        add(
                t,
                "7.x.7",
                "close 4000 answered with 4000 (the echoed code)",
                s -> s.send(close(4000, "bye")).expect(closed(4000)));
        add(
                t,
                "7.x.8",
                "pings and text before the close are answered, nothing after it",
                s ->
                        s.send(
                                        concat(
                                                ping(utf8("a")),
                                                text("b"),
                                                close(1001, ""),
                                                ping(utf8("c")),
                                                text("d")))
                                .expect(pong(utf8("a")), echoText("b"), closed(1001)));

        // ---- 9 limits and volume, scaled to the frame limit; correctness only, nothing timed
        int[] big = {256, 1024, 4096, 16384, 32768, 65536};
        for (int i = 0; i < big.length; i++) {
            int n = big[i];
            add(
                    t,
                    "9.1." + (i + 1),
                    "text message of " + n + " octets",
                    s -> s.send(text(junk(n))).expect(echoText(junk(n)), closed(1000)));
        }
        for (int i = 0; i < big.length; i++) {
            int n = big[i];
            int seed = i;
            add(
                    t,
                    "9.2." + (i + 1),
                    "binary message of " + n + " octets",
                    s -> s.send(bin(rand(n, seed))).expect(echoBin(rand(n, seed)), closed(1000)));
        }
        int[] fragSizes = {1, 4, 16, 64, 256, 1024, 4096, 16384, 65536};
        for (int i = 0; i < fragSizes.length; i++) {
            int f = fragSizes[i];
            int fragSize = f;
            add(
                    t,
                    "9.3." + (i + 1),
                    "64 KiB text in fragments of " + f + " octets",
                    s ->
                            s.send(fragments(OP_TEXT, utf8(junk(65536)), fragSize))
                                    .expect(echoText(junk(65536)), closed(1000)));
        }
        for (int i = 0; i < fragSizes.length; i++) {
            int fragSize = fragSizes[i];
            int seed = 100 + i;
            add(
                    t,
                    "9.4." + (i + 1),
                    "64 KiB binary in fragments of " + fragSize + " octets",
                    s ->
                            s.send(fragments(OP_BINARY, rand(65536, seed), fragSize))
                                    .expect(echoBin(rand(65536, seed)), closed(1000)));
        }
        int[] chops = {64, 128, 256, 512, 1024, 2048};
        for (int i = 0; i < chops.length; i++) {
            int chop = chops[i];
            add(
                    t,
                    "9.5." + (i + 1),
                    "64 KiB text in one frame, written in chops of " + chop,
                    s ->
                            s.sendChopped(chop, text(junk(65536)))
                                    .expect(echoText(junk(65536)), closed(1000)));
        }
        for (int i = 0; i < chops.length; i++) {
            int chop = chops[i];
            int seed = 200 + i;
            add(
                    t,
                    "9.6." + (i + 1),
                    "64 KiB binary in one frame, written in chops of " + chop,
                    s ->
                            s.sendChopped(chop, bin(rand(65536, seed)))
                                    .expect(echoBin(rand(65536, seed)), closed(1000)));
        }
        int[] smallSizes = {0, 16, 64, 256, 1024, 4096};
        for (int i = 0; i < smallSizes.length; i++) {
            int n = smallSizes[i];
            add(
                    t,
                    "9.7." + (i + 1),
                    "1000 text messages of " + n + " octets, all echoed in order",
                    s -> many(s, 1000, n, true));
        }
        for (int i = 0; i < smallSizes.length; i++) {
            int n = smallSizes[i];
            add(
                    t,
                    "9.8." + (i + 1),
                    "1000 binary messages of " + n + " octets, all echoed in order",
                    s -> many(s, 1000, n, false));
        }

        // ---- 12-13 permessage-deflate: not negotiated (no Sec-WebSocket-Extensions in the 101,
        // checked for every case), so a frame with RSV1 (a compressed message) fails the connection
        String[][] offers = {
            {"12.1", "permessage-deflate"},
            {"13.1", "permessage-deflate; client_max_window_bits"},
            {"13.2", "permessage-deflate; client_no_context_takeover"},
            {"13.3", "permessage-deflate; server_max_window_bits=9"},
            {"13.4", "permessage-deflate; server_no_context_takeover"},
            {"13.5", "permessage-deflate; client_max_window_bits=15; server_max_window_bits=15"},
            {"13.6", "permessage-deflate; client_max_window_bits=9, permessage-deflate"},
            {"13.7", "x-webkit-deflate-frame"},
        };
        byte[] deflatedHello = hex("f248cdc9c90700"); // RFC 7692 §7.2.3.1
        for (String[] o : offers) {
            add(
                    t,
                    o[0] + ".1",
                    "offer '" + o[1] + "', declined: an uncompressed text is echoed",
                    s -> s.offer(o[1]).send(text("Hello")).expect(echoText("Hello"), closed(1000)));
            add(
                    t,
                    o[0] + ".2",
                    "offer '" + o[1] + "', declined: a compressed (RSV1) text fails",
                    s ->
                            s.offer(o[1])
                                    .send(frame(true, 4, OP_TEXT, deflatedHello))
                                    .expect(closed(1002)));
        }
        add(
                t,
                "12.2.2",
                "offer declined: a compressed (RSV1) binary fails",
                s ->
                        s.offer("permessage-deflate")
                                .send(frame(true, 4, OP_BINARY, deflatedHello))
                                .expect(closed(1002)));
        add(
                t,
                "12.3.2",
                "offer declined: a fragmented text with RSV1 on its first fragment fails",
                s ->
                        s.offer("permessage-deflate")
                                .send(
                                        frame(false, 4, OP_TEXT, hex("f248cd")),
                                        masked(true, OP_CONTINUATION, hex("c9c90700")))
                                .expect(closed(1002)));
        add(
                t,
                "12.4.2",
                "offer declined: text, then a compressed text, then ping: echo, fail, no pong",
                s ->
                        s.offer("permessage-deflate")
                                .send(
                                        text("Hello"),
                                        frame(true, 4, OP_TEXT, deflatedHello),
                                        ping(utf8("p")))
                                .expect(echoText("Hello"), closed(1002)));
        return t;
    }

    /** A text message of {@code payload}: echoed when valid UTF-8, else 1007. */
    private static void utf8Case(
            List<Case> t, String id, String description, byte[] payload, boolean valid) {
        add(
                t,
                id,
                description,
                s -> {
                    s.send(text(payload));
                    if (valid) {
                        s.expect(echoText(payload), closed(1000));
                    } else {
                        s.expect(closed(1007));
                    }
                });
    }

    private static void many(Script s, int count, int size, boolean isText) {
        byte[][] frames = new byte[count][];
        Reply[] replies = new Reply[count + 1];
        for (int i = 0; i < count; i++) {
            byte[] p = isText ? utf8(junk(size)) : rand(size, i);
            frames[i] = isText ? text(p) : bin(p);
            replies[i] = isText ? echoText(p) : echoBin(p);
        }
        replies[count] = closed(1000);
        s.send(frames).expect(replies);
    }

    // ================================================================ the model

    /** What the server sends: a data or control frame; for close frames only the code is compared (-1: empty payload). */
    record Reply(int opcode, byte[] payload) {
        int closeCode() {
            return payload.length >= 2
                    ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF)
                    : payload.length == 0 ? -1 : -2;
        }

        boolean matches(Reply got) {
            if (opcode != got.opcode) {
                return false;
            }
            return opcode == OP_CLOSE
                    ? closeCode() == got.closeCode()
                    : Arrays.equals(payload, got.payload);
        }

        @Override
        public String toString() {
            String shown =
                    payload.length > 16
                            ? ""
                            : opcode == OP_TEXT
                                    ? " \"" + new String(payload, StandardCharsets.UTF_8) + "\""
                                    : " " + HexFormat.of().formatHex(payload);
            return switch (opcode) {
                case OP_TEXT -> "text(" + payload.length + shown + ")";
                case OP_BINARY -> "binary(" + payload.length + shown + ")";
                case OP_PONG -> "pong(" + payload.length + shown + ")";
                case OP_PING -> "ping(" + payload.length + shown + ")";
                case OP_CLOSE ->
                        "close "
                                + (closeCode() == -1
                                        ? "(empty)"
                                        : closeCode() == -2 ? "(1 octet)" : closeCode());
                default -> "malformed server frame " + new String(payload, StandardCharsets.UTF_8);
            };
        }
    }

    record Send(byte[] bytes, int chop, boolean close) {}

    record Await(List<Reply> replies) {}

    /** One case's steps and its allowed outcomes (each the whole transcript, ending with the server's close). */
    static final class Script {
        final List<Object> steps = new ArrayList<>();
        final List<List<Reply>> outcomes = new ArrayList<>();
        String offer;
        boolean trailingClose = true;

        Script send(byte[]... frames) {
            return sendChopped(0, frames);
        }

        /**
         * Writes whole frames as one buffer in chops of {@code chop} octets (0: all at once),
         * flushing each. A close frame among them is the client's close.
         */
        Script sendChopped(int chop, byte[]... frames) {
            boolean close = false;
            for (byte[] f : frames) {
                close |= (f[0] & 0x0F) == OP_CLOSE;
            }
            steps.add(new Send(concat(frames), chop, close));
            return this;
        }

        /** Writes part of a frame (so its first octet says nothing about the opcode). */
        Script sendPiece(byte[] bytes) {
            steps.add(new Send(bytes, 0, false));
            return this;
        }

        /** Mode 0: one write; 1: one write per frame; 2: chops of one octet. */
        Script sendMode(int mode, byte[]... frames) {
            if (mode == 1) {
                for (byte[] f : frames) {
                    send(f);
                }
                return this;
            }
            return sendChopped(mode == 2 ? 1 : 0, frames);
        }

        /** These replies must arrive before the next step (a fail-fast check, a pong mid-message). */
        Script await(Reply... replies) {
            steps.add(new Await(List.of(replies)));
            return this;
        }

        Script expect(Reply... transcript) {
            outcomes.add(List.of(transcript));
            return this;
        }

        /** Another allowed transcript (Autobahn's non-strict cases). */
        Script or(Reply... transcript) {
            return expect(transcript);
        }

        Script offer(String extensions) {
            this.offer = extensions;
            return this;
        }

        /** The server stops reading (or never gets to our close): do not send a close after the case. */
        Script noTrailingClose() {
            this.trailingClose = false;
            return this;
        }

        String expectation() {
            return outcomes.stream()
                    .map(o -> o.stream().map(Reply::toString).collect(Collectors.joining(", ")))
                    .map(
                            o ->
                                    o.length() > 80
                                            ? o.substring(0, 60)
                                                    + "... ("
                                                    + o.split(", ").length
                                                    + " frames)"
                                            : o)
                    .collect(Collectors.joining(" | or | "));
        }
    }

    record Case(String id, String description, Consumer<Script> body) {
        Script script() {
            Script s = new Script();
            body.accept(s);
            return s;
        }

        String displayName() {
            return id + " " + description + " => " + script().expectation();
        }
    }

    private static void add(List<Case> t, String id, String description, Consumer<Script> body) {
        t.add(new Case(id, description, body));
    }

    // ================================================================ running a case

    private static final Object EOF = new Object();

    static void run(Case c) throws Exception {
        Script script = c.script();
        try (Socket s = new Socket()) {
            s.connect(
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port()), 5_000);
            s.setTcpNoDelay(true);
            s.setSoTimeout((int) TimeUnit.SECONDS.toMillis(WAIT_SECONDS + 5));
            InputStream in = new BufferedInputStream(s.getInputStream(), 64 * 1024);
            OutputStream out = s.getOutputStream();
            handshake(in, out, script.offer);

            BlockingQueue<Object> received = new LinkedBlockingQueue<>();
            Thread reader =
                    Thread.ofVirtual()
                            .name("autobahn-reader")
                            .start(() -> readFrames(in, received));
            List<Reply> got = new ArrayList<>();
            boolean closeSent = false;
            boolean writeFailed = false;
            for (Object step : script.steps) {
                if (step instanceof Send send) {
                    if (writeFailed) {
                        continue;
                    }
                    try {
                        write(out, send);
                    } catch (IOException e) {
                        writeFailed =
                                true; // the server closed first; the transcript says whether it was
                        // right to
                    }
                    closeSent |= send.close();
                } else if (step instanceof Await await) {
                    for (Reply want : await.replies()) {
                        Object o = received.poll(WAIT_SECONDS, TimeUnit.SECONDS);
                        if (!(o instanceof Reply r)) {
                            fail(
                                    "awaited "
                                            + want
                                            + " after "
                                            + got
                                            + ", got "
                                            + (o == null
                                                    ? "nothing within " + WAIT_SECONDS + " s"
                                                    : o == EOF ? "TCP close" : o));
                            return;
                        }
                        got.add(r);
                        assertTrue(
                                want.matches(r),
                                "awaited " + want + ", got " + r + " (so far " + got + ")");
                    }
                }
            }
            if (!closeSent && !writeFailed && script.trailingClose) {
                try {
                    out.write(close(1000, ""));
                    out.flush();
                } catch (IOException e) {
                    // the server closed first
                }
            }
            while (true) {
                Object o = received.poll(WAIT_SECONDS, TimeUnit.SECONDS);
                if (o == null) {
                    fail(
                            "no TCP close within "
                                    + WAIT_SECONDS
                                    + " s; expected "
                                    + script.expectation()
                                    + ", got "
                                    + got);
                }
                if (o == EOF) {
                    break;
                }
                if (o instanceof Throwable e) {
                    fail("reading the server's frames failed after " + got, e);
                }
                got.add((Reply) o);
            }
            reader.join(5_000);
            for (List<Reply> outcome : script.outcomes) {
                if (matches(outcome, got)) {
                    return;
                }
            }
            fail(
                    "expected "
                            + script.expectation()
                            + ", then the TCP close; got "
                            + summary(got)
                            + ", then the TCP close");
        }
    }

    private static boolean matches(List<Reply> want, List<Reply> got) {
        if (want.size() != got.size()) {
            return false;
        }
        for (int i = 0; i < want.size(); i++) {
            if (!want.get(i).matches(got.get(i))) {
                return false;
            }
        }
        return true;
    }

    private static String summary(List<Reply> got) {
        String all = got.stream().map(Reply::toString).collect(Collectors.joining(", "));
        return all.length() > 300
                ? all.substring(0, 300) + "... (" + got.size() + " frames)"
                : "[" + all + "]";
    }

    private static void write(OutputStream out, Send send) throws IOException {
        byte[] b = send.bytes();
        int chop = send.chop() <= 0 ? b.length : send.chop();
        for (int off = 0; off < b.length; off += chop) {
            out.write(b, off, Math.min(chop, b.length - off));
            out.flush();
        }
    }

    /**
     * Reads server frames into {@code q} until the end of the stream (or a reset, which is how
     * a server's close looks when frames of ours were left unread); frames after a close are
     * recorded too, so that a case sees them. Every server frame must be final, unmasked (§5.1)
     * and without RSV bits.
     */
    private static void readFrames(InputStream raw, BlockingQueue<Object> q) {
        DataInputStream in = new DataInputStream(raw);
        try {
            while (true) {
                int b0 = in.read();
                if (b0 < 0) {
                    break;
                }
                int b1 = in.readUnsignedByte();
                long len = b1 & 0x7F;
                if (len == 126) {
                    len = in.readUnsignedShort();
                } else if (len == 127) {
                    len = in.readLong();
                }
                if ((b1 & 0x80) != 0
                        || (b0 & 0x70) != 0
                        || (b0 & 0x80) == 0
                        || len > 16 * 1024 * 1024) {
                    q.add(
                            new Reply(
                                    -1,
                                    String.format("b0=%02x b1=%02x len=%d", b0, b1, len)
                                            .getBytes(StandardCharsets.UTF_8)));
                    break;
                }
                byte[] payload = new byte[(int) len];
                in.readFully(payload);
                q.add(new Reply(b0 & 0x0F, payload));
            }
            q.add(EOF);
        } catch (EOFException e) {
            q.add(new IOException("the stream ended inside a frame", e));
        } catch (SocketException e) {
            q.add(EOF); // reset after the server closed
        } catch (IOException e) {
            q.add(e);
        }
    }

    /** The opening handshake, checked against §4.2.2: 101, Upgrade, Connection, the accept value, and no extension. */
    private static void handshake(InputStream in, OutputStream out, String offer) throws Exception {
        byte[] k = new byte[16];
        RNG.nextBytes(k);
        String key = Base64.getEncoder().encodeToString(k);
        String req =
                "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:"
                        + server.port()
                        + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Key: "
                        + key
                        + "\r\nSec-WebSocket-Version: 13\r\n"
                        + (offer == null ? "" : "Sec-WebSocket-Extensions: " + offer + "\r\n")
                        + "\r\n";
        out.write(req.getBytes(StandardCharsets.US_ASCII));
        out.flush();
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int c = in.read();
            if (c < 0) {
                throw new EOFException(
                        "no upgrade response: " + b.toString(StandardCharsets.US_ASCII));
            }
            b.write(c);
            state =
                    (c == '\r' && (state == 0 || state == 2))
                                    || (c == '\n' && (state == 1 || state == 3))
                            ? state + 1
                            : 0;
        }
        String[] lines = b.toString(StandardCharsets.US_ASCII).split("\r\n");
        assertTrue(lines[0].startsWith("HTTP/1.1 101 "), "status line: " + lines[0]);
        Map<String, String> headers = new HashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.put(
                        lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                        lines[i].substring(colon + 1).trim());
            }
        }
        assertEquals("websocket", headers.getOrDefault("upgrade", "").toLowerCase(Locale.ROOT));
        assertEquals("upgrade", headers.getOrDefault("connection", "").toLowerCase(Locale.ROOT));
        MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
        String accept =
                Base64.getEncoder()
                        .encodeToString(
                                sha1.digest(
                                        (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")
                                                .getBytes(StandardCharsets.US_ASCII)));
        assertEquals(accept, headers.get("sec-websocket-accept"), "Sec-WebSocket-Accept (§4.2.2)");
        assertFalse(
                headers.containsKey("sec-websocket-extensions"),
                "no extension is ever negotiated: " + headers);
        assertFalse(
                headers.containsKey("sec-websocket-protocol"),
                "no subprotocol was asked for: " + headers);
    }

    // ================================================================ frames and payloads

    /** A well-formed masked client frame, framed by the codec. */
    static byte[] masked(boolean fin, int opcode, byte[] payload) {
        byte[] f = new byte[WsCodec.headerSize(payload.length, true) + payload.length];
        WsCodec.encodeMasked(f, 0, fin, opcode, payload, 0, payload.length, RNG.nextInt());
        return f;
    }

    /** A masked client frame built by hand: any RSV bits, any opcode, any payload length (shortest encoding). */
    static byte[] frame(boolean fin, int rsv, int opcode, byte[] payload) {
        ByteArrayOutputStream f = new ByteArrayOutputStream();
        f.write((fin ? 0x80 : 0) | (rsv << 4) | opcode);
        int n = payload.length;
        if (n < 126) {
            f.write(0x80 | n);
        } else if (n < 65536) {
            f.write(0x80 | 126);
            f.write(n >>> 8);
            f.write(n);
        } else {
            f.write(0x80 | 127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                f.write((int) ((long) n >>> shift));
            }
        }
        byte[] mask = new byte[4];
        RNG.nextBytes(mask);
        f.writeBytes(mask);
        for (int i = 0; i < n; i++) {
            f.write(payload[i] ^ mask[i & 3]);
        }
        return f.toByteArray();
    }

    /** A client frame without the mask bit (§5.1 forbids it), payload under 126 octets. */
    static byte[] unmasked(int b0, byte[] payload) {
        return concat(new byte[] {(byte) b0, (byte) payload.length}, payload);
    }

    /** Raw octets, for frame headers with no payload behind them. */
    static byte[] header(int... octets) {
        byte[] b = new byte[octets.length];
        for (int i = 0; i < octets.length; i++) {
            b[i] = (byte) octets[i];
        }
        return b;
    }

    static byte[] text(String s) {
        return masked(true, OP_TEXT, utf8(s));
    }

    static byte[] text(byte[] payload) {
        return masked(true, OP_TEXT, payload);
    }

    static byte[] bin(byte[] payload) {
        return masked(true, OP_BINARY, payload);
    }

    static byte[] ping(byte[] payload) {
        return masked(true, OP_PING, payload);
    }

    static byte[] pong0(byte[] payload) {
        return masked(true, OP_PONG, payload);
    }

    static byte[] close(int code, String reason) {
        byte[] r = utf8(reason);
        return masked(true, OP_CLOSE, concat(new byte[] {(byte) (code >>> 8), (byte) code}, r));
    }

    /** {@code payload} as a message in fragments of {@code size} octets. */
    static byte[][] fragments(int opcode, byte[] payload, int size) {
        int n = Math.max(1, (payload.length + size - 1) / size);
        byte[][] f = new byte[n][];
        for (int i = 0; i < n; i++) {
            byte[] part =
                    Arrays.copyOfRange(payload, i * size, Math.min(payload.length, (i + 1) * size));
            f[i] = masked(i == n - 1, i == 0 ? opcode : OP_CONTINUATION, part);
        }
        return f;
    }

    /** A text message in fragments of one octet each. */
    static byte[][] octetFragments(byte[] payload) {
        return fragments(OP_TEXT, payload, 1);
    }

    static Reply echoText(String s) {
        return new Reply(OP_TEXT, utf8(s));
    }

    static Reply echoText(byte[] b) {
        return new Reply(OP_TEXT, b);
    }

    static Reply echoBin(byte[] b) {
        return new Reply(OP_BINARY, b);
    }

    static Reply pong(byte[] b) {
        return new Reply(OP_PONG, b);
    }

    /** The server's close frame with {@code code} (-1: without payload). */
    static Reply closed(int code) {
        return new Reply(
                OP_CLOSE, code < 0 ? new byte[0] : new byte[] {(byte) (code >>> 8), (byte) code});
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String stars(int n) {
        return "*".repeat(n);
    }

    /** Autobahn's text filler for group 9. */
    static String junk(int n) {
        String base = "BAsd7&jh23";
        return base.repeat(n / base.length() + 1).substring(0, n);
    }

    static byte[] fill(int n, int value) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) value);
        return b;
    }

    /** Pseudo-random bytes, the same for the same seed (sent and expected are built apart). */
    static byte[] rand(int n, long seed) {
        byte[] b = new byte[n];
        new java.util.Random(seed).nextBytes(b);
        return b;
    }

    static byte[] hex(String h) {
        return HexFormat.of().parseHex(h);
    }

    /** Octets from..to (inclusive), each followed by {@code after}, as hex. */
    static String range(int from, int to, String after) {
        StringBuilder b = new StringBuilder();
        for (int i = from; i <= to; i++) {
            b.append(String.format("%02x", i)).append(after);
        }
        return b.toString();
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            b.writeBytes(p);
        }
        return b.toByteArray();
    }
}
