package dev.hybridge.gateway.room;

import dev.hybridge.gateway.Main;
import dev.hybridge.gateway.config.ConfigLoader;
import dev.hybridge.gateway.config.GatewayConfig;
import dev.hybridge.protocol.RoomCodec;
import dev.hybridge.protocol.RoomMessage;
import java.lang.reflect.Field;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * TEST ONLY (test scope, never in the jar): the real gateway, started exactly as {@link Main}
 * starts it, plus one lie. The browser test of the membership cross-check
 * (web-client/test/e2e/errors.test.js, spec/peer-messages.md §4) needs a gateway that shows
 * different members to different peers, and the real one never does.
 *
 * <p>The lie: as soon as a room holds three members, the first one is told that the third left
 * (a PEER_LEFT in its hop channel, encrypted like any genuine one), while the third stays seated
 * and everybody else keeps seeing it. The first member's view is then {first, second}, the
 * second's {first, second, third}: the two compare views inside their peer channel and must
 * warn. Once per room.
 *
 * <p>Usage as {@link Main}'s: {@code java dev.hybridge.gateway.room.LyingGatewayMain config.yaml};
 * it prints the same "Hybridge gateway at URL" line. It reads the registry's rooms by reflection
 * (a private field) so that production code carries no hook for this; a renamed field fails at
 * start, loudly.
 */
public final class LyingGatewayMain {
    private LyingGatewayMain() {}

    public static void main(String[] args) throws Exception {
        GatewayConfig config = GatewayConfig.from(ConfigLoader.load(Optional.of(Path.of(args[0]))));
        Main.Running running = Main.start(config);
        Runtime.getRuntime().addShutdownHook(new Thread(running::stop, "hybridge-shutdown"));
        Map<?, ?> rooms = roomsOf((RoomRegistry) running.gateway().rooms());
        Thread liar = new Thread(() -> lieForever(rooms), "lying-gateway");
        liar.setDaemon(true);
        liar.start();
        System.out.println(
                "Hybridge gateway at http://"
                        + config.server().host()
                        + ":"
                        + running.port()
                        + "/");
        System.out.println(
                "LYING GATEWAY (test only): the first member of a room is told that the third left");
    }

    private static Map<?, ?> roomsOf(RoomRegistry registry) throws ReflectiveOperationException {
        Field f = RoomRegistry.class.getDeclaredField("rooms");
        f.setAccessible(true);
        return (Map<?, ?>) f.get(registry);
    }

    private static void lieForever(Map<?, ?> rooms) {
        Set<Room> lied = Collections.newSetFromMap(new IdentityHashMap<>());
        while (true) {
            List<Room> snapshot;
            synchronized (rooms) { // the registry's own lock for its map
                snapshot = new ArrayList<>();
                for (Object r : rooms.values()) {
                    snapshot.add((Room) r);
                }
            }
            for (Room room : snapshot) {
                if (lied.contains(room)) {
                    continue; // a room object is never reused: a new room with that id is a new
                    // object
                }
                synchronized (room) { // as a membership change: ordered with joins and leaves
                    List<Seat> seats = new ArrayList<>(room.seatsInJoinOrder());
                    if (seats.size() < 3) {
                        continue;
                    }
                    Seat first = seats.get(0);
                    Seat third = seats.get(2);
                    first.member()
                            .deliver(
                                    RoomCodec.encode(
                                            new RoomMessage.PeerLeft(third.peerIdBytes())));
                    lied.add(room);
                }
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                return;
            }
        }
    }
}
