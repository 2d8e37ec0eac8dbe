package dev.hybridge.gateway.edge;

import dev.hybridge.gateway.config.ClientAddress;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * The key a client address is counted under for the per-address connection cap. IPv4: the
 * address. IPv6: its /64 prefix, because one customer of an ISP (or one cloud instance) usually
 * holds a whole /64 and could otherwise open the cap once per address of it. IPv4-mapped IPv6
 * addresses count as the IPv4 address they carry.
 */
final class AddressKey {
    private AddressKey() {}

    static String of(String ipLiteral) {
        if (!ClientAddress.isIpLiteral(ipLiteral)) {
            return ipLiteral;
        }
        try {
            return of(InetAddress.getByName(ipLiteral)); // a literal: parsed, never looked up
        } catch (UnknownHostException e) {
            return ipLiteral;
        }
    }

    static String of(InetAddress a) {
        if (a instanceof Inet4Address) {
            return a.getHostAddress();
        }
        if (a instanceof Inet6Address) {
            byte[] b = a.getAddress();
            StringBuilder sb = new StringBuilder(24);
            for (int i = 0; i < 8; i += 2) {
                sb.append(Integer.toHexString(((b[i] & 0xFF) << 8) | (b[i + 1] & 0xFF)))
                        .append(':');
            }
            return sb.append(":/64").toString();
        }
        return a.getHostAddress();
    }
}
