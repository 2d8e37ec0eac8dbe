package dev.hybridge.crypto.properties;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hybridge.crypto.ProtocolException;
import dev.hybridge.crypto.XWingKeyPair;
import dev.hybridge.crypto.handshake.HopClient;
import dev.hybridge.crypto.handshake.HopServer;
import dev.hybridge.crypto.handshake.PeerContext;
import dev.hybridge.crypto.handshake.PeerInitiator;
import dev.hybridge.crypto.handshake.PeerResponder;
import dev.hybridge.crypto.handshake.PeerSession;
import dev.hybridge.crypto.record.Channel;
import dev.hybridge.crypto.room.RoomSecret;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * Arbitrary sequences of messages fed to either state machine never raise an unchecked exception,
 * and a machine reaches the established state only through both confirmations of one genuine
 * handshake (then its channel interoperates with that peer's).
 */
class HandshakeSequenceProperties {
    private static final SecureRandom RNG = new SecureRandom();
    private static final XWingKeyPair GATEWAY = XWingKeyPair.generate(RNG);
    private static final HopServer SERVER = new HopServer(List.of(GATEWAY));

    /** Messages of a finished handshake with the same gateway: stale, well-formed, wrong session. */
    private static final byte[][] STALE = staleSession();

    private static byte[][] staleSession() {
        try {
            HopClient.Started s = HopClient.start(GATEWAY.publicKey(), RNG);
            HopServer.Accepted a = SERVER.receiveClientHello(s.clientHello(), RNG);
            HopClient.Established e = s.next().receive(a.serverHello());
            a.next().receive(e.clientFinished());
            return new byte[][] {
                s.clientHello(),
                a.serverHello(),
                e.clientFinished(),
                e.channel().seal(new byte[] {1})
            };
        } catch (ProtocolException e) {
            throw new AssertionError(e);
        }
    }

    /** One step of an adversarial schedule. */
    sealed interface Step permits Hello, Finished, Stale, Noise, Flipped {}

    record Hello(int client) implements Step {}

    record Finished(int client) implements Step {}

    record Stale(int which) implements Step {}

    record Noise(byte[] bytes) implements Step {}

    record Flipped(int client, boolean hello, int bit) implements Step {}

    @Provide
    Arbitrary<List<Step>> schedules() {
        // Genuine messages are weighted up so that complete handshakes occur often enough to check.
        Arbitrary<Step> step =
                Arbitraries.frequencyOf(
                        net.jqwik.api.Tuple.of(
                                10, Arbitraries.integers().between(0, 2).map(Hello::new)),
                        net.jqwik.api.Tuple.of(
                                10, Arbitraries.integers().between(0, 2).map(Finished::new)),
                        net.jqwik.api.Tuple.of(
                                1,
                                Arbitraries.integers()
                                        .between(0, STALE.length - 1)
                                        .map(Stale::new)),
                        net.jqwik.api.Tuple.of(
                                1,
                                Arbitraries.bytes()
                                        .array(byte[].class)
                                        .ofMaxSize(2400)
                                        .map(Noise::new)),
                        net.jqwik.api.Tuple.of(
                                1,
                                Arbitraries.bytes()
                                        .array(byte[].class)
                                        .ofMaxSize(2)
                                        .map(Noise::new)),
                        net.jqwik.api.Tuple.of(
                                1,
                                net.jqwik.api.Combinators.combine(
                                                Arbitraries.integers().between(0, 2),
                                                Arbitraries.of(true, false),
                                                Arbitraries.integers().between(0, 2372 * 8 - 1))
                                        .as(Flipped::new)));
        return step.list().ofMinSize(1).ofMaxSize(8);
    }

    /** Records the outcome and insists that both outcomes occur, so no property passes vacuously. */
    private static void outcome(boolean established) {
        Statistics.label("outcome").collect(established ? "established" : "refused");
        Statistics.label("outcome")
                .coverage(
                        c -> {
                            c.check("established").count(n -> n > 0);
                            c.check("refused").count(n -> n > 0);
                        });
    }

    @Property(tries = 200)
    void gatewayEstablishesOnlyThroughBothConfirmations(
            @ForAll("schedules") List<Step> arbitrary, @ForAll boolean genuineStart)
            throws Exception {
        // Half the schedules open with one genuine handshake, so what follows it is exercised too.
        List<Step> schedule = new ArrayList<>();
        if (genuineStart) {
            schedule.add(new Hello(1));
            schedule.add(new Finished(1));
        }
        schedule.addAll(arbitrary);
        // Three genuine clients; the gateway connection under test is one state machine.
        List<HopClient.Started> clients = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            clients.add(HopClient.start(GATEWAY.publicKey(), RNG));
        }
        HopClient.Established[] established = new HopClient.Established[3];

        Object state = "awaiting hello";
        int helloFrom = -1; // which genuine client's hello the gateway accepted, -1 for none
        int finishedFrom = -1;
        for (Step step : schedule) {
            byte[] msg;
            int genuineHello = -1;
            int genuineFinished = -1;
            switch (step) {
                case Hello h -> {
                    msg = clients.get(h.client()).clientHello();
                    genuineHello = h.client();
                }
                case Finished f -> {
                    msg =
                            established[f.client()] != null
                                    ? established[f.client()].clientFinished()
                                    : new byte[] {3};
                    genuineFinished = established[f.client()] != null ? f.client() : -1;
                }
                case Stale s -> msg = STALE[s.which()];
                case Noise n -> msg = n.bytes();
                case Flipped fl -> {
                    byte[] base =
                            fl.hello()
                                    ? clients.get(fl.client()).clientHello()
                                    : established[fl.client()] != null
                                            ? established[fl.client()].clientFinished()
                                            : STALE[2];
                    msg = base.clone();
                    int bit = fl.bit() % (msg.length * 8);
                    msg[bit / 8] ^= (byte) (1 << (bit % 8));
                }
            }
            try {
                if (state instanceof String) {
                    HopServer.Accepted a = SERVER.receiveClientHello(msg, RNG);
                    helloFrom = genuineHello;
                    if (genuineHello >= 0 && established[genuineHello] == null) {
                        try {
                            established[genuineHello] =
                                    clients.get(genuineHello).next().receive(a.serverHello());
                        } catch (ProtocolException alreadyUsed) {
                            // the client already took another ServerHello: it stays without a
                            // finished
                        }
                    }
                    state = a.next();
                } else if (state instanceof HopServer.AwaitingClientFinished f) {
                    state = f.receive(msg);
                    finishedFrom = genuineFinished;
                } else if (state instanceof Channel c) {
                    c.open(msg);
                }
            } catch (ProtocolException e) {
                break; // terminal: the connection is closed with the code
            }
        }
        outcome(state instanceof Channel);
        if (state instanceof Channel gatewayChannel) {
            assertTrue(
                    helloFrom >= 0 && helloFrom == finishedFrom,
                    "established without both confirmations of one genuine handshake: " + schedule);
            Channel clientChannel = established[helloFrom].channel();
            assertArrayEquals(clientChannel.handshakeHash(), gatewayChannel.handshakeHash());
            if (!gatewayChannel.opener().isFailed()) { // noise after the handshake ends the channel
                byte[] ping = "ping".getBytes(StandardCharsets.UTF_8);
                assertArrayEquals(ping, clientChannel.open(gatewayChannel.seal(ping)));
            }
        }
    }

    @Property(tries = 150)
    void clientEstablishesOnlyWithTheGenuineServerHello(@ForAll("schedules") List<Step> schedule)
            throws Exception {
        HopClient.Started client = HopClient.start(GATEWAY.publicKey(), RNG);
        HopServer.Accepted genuine = SERVER.receiveClientHello(client.clientHello(), RNG);
        HopClient.Established done = null;
        boolean usedGenuine = false;
        for (Step step : schedule) {
            byte[] msg =
                    switch (step) {
                        case Hello h -> genuine.serverHello();
                        case Finished f -> STALE[1];
                        case Stale s -> STALE[s.which()];
                        case Noise n -> n.bytes();
                        case Flipped fl -> {
                            byte[] m = genuine.serverHello().clone();
                            int bit = fl.bit() % (m.length * 8);
                            m[bit / 8] ^= (byte) (1 << (bit % 8));
                            yield m;
                        }
                    };
            try {
                done = client.next().receive(msg);
                usedGenuine = step instanceof Hello;
                break;
            } catch (ProtocolException e) {
                break; // terminal
            }
        }
        outcome(done != null);
        if (done != null) {
            assertTrue(
                    usedGenuine,
                    "client established on a message that was not the gateway's ServerHello");
            Channel g = genuine.next().receive(done.clientFinished());
            byte[] ping = {42};
            assertArrayEquals(ping, g.open(done.channel().seal(ping)));
        }
    }

    @Property(tries = 100)
    void peerResponderEstablishesOnlyThroughTheInitiatorsConfirmation(
            @ForAll("schedules") List<Step> schedule) throws Exception {
        RoomSecret room = RoomSecret.of(RoomSecret.generate(RNG));
        byte[] idI = {9, 9, 9, 9, 9, 9, 9, 9};
        byte[] idR = {7, 7, 7, 7, 7, 7, 7, 7};
        XWingKeyPair kI = XWingKeyPair.generate(RNG);
        XWingKeyPair kR = XWingKeyPair.generate(RNG);
        PeerInitiator.Started init =
                PeerInitiator.start(
                        new PeerContext(room.roomId(), room.psk(), idI, idR),
                        kI,
                        kR.publicKey(),
                        RNG);
        PeerResponder.Accepted acc =
                PeerResponder.receive(
                        new PeerContext(room.roomId(), room.psk(), idI, idR),
                        kR,
                        init.peerInit(),
                        RNG);
        PeerInitiator.Established genuine = init.next().receive(acc.peerAccept());
        PeerSession session = null;
        boolean usedGenuine = false;
        for (Step step : schedule) {
            byte[] msg =
                    switch (step) {
                        case Hello h -> genuine.peerFinish();
                        case Finished f -> STALE[2];
                        case Stale s -> STALE[s.which()];
                        case Noise n -> n.bytes();
                        case Flipped fl -> {
                            byte[] m = genuine.peerFinish().clone();
                            int bit = fl.bit() % (m.length * 8);
                            m[bit / 8] ^= (byte) (1 << (bit % 8));
                            yield m;
                        }
                    };
            try {
                session = acc.next().receive(msg);
                usedGenuine = step instanceof Hello;
                break;
            } catch (ProtocolException e) {
                break;
            }
        }
        outcome(session != null);
        if (session != null) {
            assertTrue(usedGenuine);
            assertNotNull(session.sas());
            assertArrayEquals(
                    new byte[] {5},
                    session.channel().open(genuine.session().channel().seal(new byte[] {5})));
        }
    }
}
