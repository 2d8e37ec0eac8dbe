package dev.hybridge.gateway.ws;

import dev.hybridge.crypto.handshake.HopServer;
import dev.hybridge.gateway.config.GatewayConfig;
import dev.hybridge.gateway.observe.Metrics;
import dev.hybridge.gateway.relay.IceServers;
import dev.hybridge.gateway.room.Rooms;
import dev.hybridge.gateway.sfu.SfuBridge;
import dev.hybridge.gateway.slot.Slots;
import java.security.SecureRandom;
import java.util.function.BooleanSupplier;

/**
 * What a {@link Connection} uses of the gateway, and nothing more: a connection gets this small
 * record instead of the whole gateway, so the ws package depends on the domain and never the
 * other way round.
 */
public record Services(
        GatewayConfig.Limits limits,
        Metrics metrics,
        HopServer hopServer,
        SecureRandom rng,
        Rooms rooms,
        IceServers ice,
        BooleanSupplier shuttingDown,
        Slots slots,
        SfuBridge sfu) {}
