package dev.hybridge.gateway.observe;

import dev.hybridge.gateway.Gateway;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerResponse;

/**
 * Liveness (the process serves requests) and readiness (it accepts new connections: not shutting
 * down, below the connection cap, in a cluster on the bus), as small JSON documents.
 */
public final class Health {
    private final Gateway gw;

    public Health(Gateway gw) {
        this.gw = gw;
    }

    private boolean ready() {
        return !gw.shuttingDown()
                && gw.clusterReady()
                && gw.connectionLimiter().open() < gw.connectionLimiter().total();
    }

    public void live(ServerResponse res) {
        send(res, true, "{\"status\":\"UP\"}");
    }

    public void ready(ServerResponse res) {
        boolean ok = ready();
        send(res, ok, "{\"status\":\"" + (ok ? "UP" : "DOWN") + "\"}");
    }

    public void all(ServerResponse res) {
        boolean ok = ready();
        send(
                res,
                ok,
                "{\"status\":\""
                        + (ok ? "UP" : "DOWN")
                        + "\",\"checks\":{\"live\":\"UP\",\"ready\":\""
                        + (ok ? "UP" : "DOWN")
                        + "\"}}");
    }

    private static void send(ServerResponse res, boolean ok, String body) {
        res.status(ok ? Status.OK_200 : Status.SERVICE_UNAVAILABLE_503);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        res.send(body);
    }
}
