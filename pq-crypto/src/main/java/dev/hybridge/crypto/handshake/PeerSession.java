package dev.hybridge.crypto.handshake;

import dev.hybridge.crypto.record.Channel;
import dev.hybridge.crypto.room.Sas;

/**
 * An established peer channel, the short authentication string both people can compare, and the
 * public key the other peer used (to cross-check against the gateway's room view).
 */
public record PeerSession(Channel channel, Sas sas, byte[] remotePublicKey) {}
