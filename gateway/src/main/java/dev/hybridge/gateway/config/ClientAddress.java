package dev.hybridge.gateway.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Optional;

/**
 * The address a connection is counted under (limits.connections-per-address). Behind a reverse
 * proxy every connection comes from the proxy, so one address would share one cap among all
 * users. When the socket's peer is a configured trusted proxy, the client is the last entry of
 * X-Forwarded-For: the one that proxy itself appended. Entries before it are whatever the client
 * sent and are never believed. Only IP literals count; nothing is resolved by DNS.
 */
public final class ClientAddress {
    private final List<String> trustedProxies;

    /** @param trustedProxies normalized IP literals ({@link #normalize}) */
    public ClientAddress(List<String> trustedProxies) {
        this.trustedProxies = List.copyOf(trustedProxies);
    }

    /** {@code peer} (the socket's remote IP), or the forwarded client when {@code peer} is a trusted proxy. */
    public String of(String peer, Optional<String> xForwardedFor) {
        if (trustedProxies.isEmpty()
                || xForwardedFor.isEmpty()
                || !trustedProxies.contains(normalize(peer))) {
            return peer;
        }
        String header = xForwardedFor.get();
        int comma = header.lastIndexOf(',');
        String last = header.substring(comma + 1).trim();
        return isIpLiteral(last) ? normalize(last) : peer;
    }

    /** True when {@code peer} (a socket's remote IP) is a configured trusted proxy. */
    public boolean isTrustedProxy(String peer) {
        return !trustedProxies.isEmpty() && trustedProxies.contains(normalize(peer));
    }

    /** True for a dotted IPv4 or a colon IPv6 literal (no host names, no zone ids, no brackets). */
    public static boolean isIpLiteral(String s) {
        if (s == null || s.isEmpty() || s.length() > 45) {
            return false;
        }
        if (s.matches("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})")) {
            for (String part : s.split("\\.")) {
                if (Integer.parseInt(part) > 255) {
                    return false;
                }
            }
            return true;
        }
        if (!s.contains(":") || !s.matches("[0-9A-Fa-f:.]+")) {
            return false;
        }
        try {
            InetAddress.getByName(s); // an IPv6 literal: parsed, never looked up
            return true;
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** The canonical text of an IP literal (so "::1" and "0:0:0:0:0:0:0:1" compare equal). */
    public static String normalize(String ip) {
        if (!isIpLiteral(ip)) {
            return ip;
        }
        try {
            return InetAddress.getByName(ip).getHostAddress(); // a literal: parsed, never looked up
        } catch (UnknownHostException e) {
            return ip;
        }
    }
}
