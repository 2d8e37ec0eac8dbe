package dev.hybridge.crypto.handshake;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.hybridge.crypto.ErrorCode;
import dev.hybridge.crypto.ProtocolException;
import dev.hybridge.crypto.XWingKeyPair;
import dev.hybridge.crypto.record.Channel;
import dev.hybridge.crypto.room.RoomSecret;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.List;
import org.junit.jupiter.api.Test;

class HandshakeRoundTripTest {
    private static final SecureRandom RNG = new SecureRandom();

    @Test
    void hopHandshakeEstablishesMatchingChannels() throws Exception {
        XWingKeyPair gatewayKey = XWingKeyPair.generate(RNG);
        HopServer server = new HopServer(List.of(gatewayKey));

        HopClient.Started started = HopClient.start(gatewayKey.publicKey(), RNG);
        assertEquals(Wire.CLIENT_HELLO_LEN, started.clientHello().length);
        HopServer.Accepted accepted = server.receiveClientHello(started.clientHello(), RNG);
        assertEquals(Wire.SERVER_HELLO_LEN, accepted.serverHello().length);
        HopClient.Established client = started.next().receive(accepted.serverHello());
        Channel serverChannel = accepted.next().receive(client.clientFinished());

        assertArrayEquals(client.channel().handshakeHash(), serverChannel.handshakeHash());
        byte[] msg = "join".getBytes(StandardCharsets.UTF_8);
        assertArrayEquals(msg, serverChannel.open(client.channel().seal(msg)));
        assertArrayEquals(msg, client.channel().open(serverChannel.seal(msg)));
    }

    @Test
    void statesAreSingleUse() throws Exception {
        XWingKeyPair gatewayKey = XWingKeyPair.generate(RNG);
        HopServer server = new HopServer(List.of(gatewayKey));
        HopClient.Started started = HopClient.start(gatewayKey.publicKey(), RNG);
        HopServer.Accepted accepted = server.receiveClientHello(started.clientHello(), RNG);
        HopClient.Established client = started.next().receive(accepted.serverHello());
        ProtocolException again =
                assertThrows(
                        ProtocolException.class,
                        () -> started.next().receive(accepted.serverHello()));
        assertEquals(ErrorCode.UNEXPECTED_MESSAGE, again.code());
        accepted.next().receive(client.clientFinished());
        assertEquals(
                ErrorCode.UNEXPECTED_MESSAGE,
                assertThrows(
                                ProtocolException.class,
                                () -> accepted.next().receive(client.clientFinished()))
                        .code());
    }

    @Test
    void unknownGatewayKeyIsRefused() throws Exception {
        HopServer server = new HopServer(List.of(XWingKeyPair.generate(RNG)));
        HopClient.Started started = HopClient.start(XWingKeyPair.generate(RNG).publicKey(), RNG);
        assertEquals(
                ErrorCode.UNKNOWN_GATEWAY_KEY,
                assertThrows(
                                ProtocolException.class,
                                () -> server.receiveClientHello(started.clientHello(), RNG))
                        .code());
    }

    @Test
    void peerHandshakeAgreesOnKeysAndSas() throws Exception {
        RoomSecret room = RoomSecret.of(RoomSecret.generate(RNG));
        byte[] idI = {1, 2, 3, 4, 5, 6, 7, 8};
        byte[] idR = {8, 7, 6, 5, 4, 3, 2, 1};
        XWingKeyPair keyI = XWingKeyPair.generate(RNG);
        XWingKeyPair keyR = XWingKeyPair.generate(RNG);

        PeerInitiator.Started init =
                PeerInitiator.start(
                        new PeerContext(room.roomId(), room.psk(), idI, idR),
                        keyI,
                        keyR.publicKey(),
                        RNG);
        PeerResponder.Accepted acc =
                PeerResponder.receive(
                        new PeerContext(room.roomId(), room.psk(), idI, idR),
                        keyR,
                        init.peerInit(),
                        RNG);
        PeerInitiator.Established i = init.next().receive(acc.peerAccept());
        PeerSession r = acc.next().receive(i.peerFinish());

        assertEquals(i.session().sas(), r.sas());
        assertArrayEquals(keyI.publicKey(), r.remotePublicKey());
        byte[] sdp = "v=0".getBytes(StandardCharsets.UTF_8);
        assertArrayEquals(sdp, r.channel().open(i.session().channel().seal(sdp)));
        assertArrayEquals(sdp, i.session().channel().open(r.channel().seal(sdp)));
    }

    @Test
    void wrongRoomSecretFailsConfirmationAtInitiator() throws Exception {
        RoomSecret roomI = RoomSecret.of(RoomSecret.generate(RNG));
        RoomSecret roomR = RoomSecret.of(RoomSecret.generate(RNG));
        byte[] idI = new byte[8];
        byte[] idR = {1, 1, 1, 1, 1, 1, 1, 1};
        XWingKeyPair keyI = XWingKeyPair.generate(RNG);
        XWingKeyPair keyR = XWingKeyPair.generate(RNG);
        PeerInitiator.Started init =
                PeerInitiator.start(
                        new PeerContext(roomI.roomId(), roomI.psk(), idI, idR),
                        keyI,
                        keyR.publicKey(),
                        RNG);
        PeerResponder.Accepted acc =
                PeerResponder.receive(
                        new PeerContext(roomI.roomId(), roomR.psk(), idI, idR),
                        keyR,
                        init.peerInit(),
                        RNG);
        assertEquals(
                ErrorCode.CONFIRMATION_FAILED,
                assertThrows(ProtocolException.class, () -> init.next().receive(acc.peerAccept()))
                        .code());
    }
}
