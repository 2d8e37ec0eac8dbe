package dev.hybridge.gateway.edge;

import dev.hybridge.gateway.web.SecurityHeaders;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** The edge's own HTTP responses: a status, a short plain-text reason, the security headers, close. */
final class HttpReplies {
    private HttpReplies() {}

    /** Written at accept, before any byte is read, to a plain-HTTP connection over a cap. */
    static final byte[] OVER_CAPACITY =
            error(503, "too many connections", new String[] {"Retry-After: 5"}, false);

    /** The path of the gateway's key document (spec/hop-handshake.md §3), answered by the edge itself. */
    static final String WELL_KNOWN_PATH = "/.well-known/hybridge.json";

    /**
     * The well-known document's response: JSON, revalidated on every use (a key rotation must be
     * seen), readable from any origin (public data; a client checks its pin against it).
     */
    static byte[] wellKnown(byte[] json, boolean tls) {
        return response(
                200,
                "OK",
                "application/json",
                "no-cache",
                new String[] {"Access-Control-Allow-Origin: *"},
                json,
                tls);
    }

    static byte[] error(int status, String reason, String[] extraHeaders, boolean tls) {
        byte[] body = (reason + "\n").getBytes(StandardCharsets.UTF_8);
        return response(
                status,
                phrase(status),
                "text/plain; charset=utf-8",
                "no-store",
                extraHeaders,
                body,
                tls);
    }

    private static byte[] response(
            int status,
            String phrase,
            String type,
            String cache,
            String[] extraHeaders,
            byte[] body,
            boolean tls) {
        StringBuilder sb = new StringBuilder(768);
        sb.append("HTTP/1.1 ").append(status).append(' ').append(phrase).append("\r\n");
        sb.append("Content-Type: ").append(type).append("\r\n");
        sb.append("Content-Length: ").append(body.length).append("\r\n");
        sb.append("Cache-Control: ").append(cache).append("\r\n");
        sb.append("Connection: close\r\n");
        for (String h : extraHeaders) {
            sb.append(h).append("\r\n");
        }
        for (Map.Entry<String, String> h : SecurityHeaders.all(tls)) {
            sb.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
        }
        sb.append("\r\n");
        byte[] head = sb.toString().getBytes(StandardCharsets.ISO_8859_1);
        byte[] all = new byte[head.length + body.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(body, 0, all, head.length, body.length);
        return all;
    }

    static String phrase(int status) {
        return switch (status) {
            case 400 -> "Bad Request";
            case 403 -> "Forbidden";
            case 405 -> "Method Not Allowed";
            case 413 -> "Content Too Large";
            case 426 -> "Upgrade Required";
            case 431 -> "Request Header Fields Too Large";
            case 502 -> "Bad Gateway";
            case 503 -> "Service Unavailable";
            case 505 -> "HTTP Version Not Supported";
            default -> "Error";
        };
    }
}
