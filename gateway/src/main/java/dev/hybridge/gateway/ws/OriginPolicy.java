package dev.hybridge.gateway.ws;

import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Which WebSocket upgrades are accepted by their Origin header. Browsers always send Origin on a
 * WebSocket upgrade, so refusing foreign ones stops other sites from driving a visitor's browser
 * against this gateway. Non-browser clients send none and are accepted.
 */
public final class OriginPolicy {
    private final List<String> allowed;

    /** @param allowed exact origins (scheme://host[:port]); empty means "the gateway's own origin" */
    public OriginPolicy(List<String> allowed) {
        this.allowed = allowed.stream().map(o -> o.toLowerCase(Locale.ROOT)).toList();
    }

    public boolean accepts(Optional<String> origin, Optional<String> host) {
        if (origin.isEmpty()) {
            return true;
        }
        String o = origin.get().trim().toLowerCase(Locale.ROOT);
        if (!allowed.isEmpty()) {
            return allowed.contains(o);
        }
        // Own origin: the Origin's authority must be the Host the browser connected to. The scheme
        // is not compared, so the default also works behind a TLS-terminating reverse proxy.
        if (host.isEmpty()) {
            return false;
        }
        try {
            URI u = URI.create(o);
            if (u.getRawAuthority() == null
                    || !(o.startsWith("http://") || o.startsWith("https://"))) {
                return false;
            }
            return u.getRawAuthority().equals(host.get().trim().toLowerCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
