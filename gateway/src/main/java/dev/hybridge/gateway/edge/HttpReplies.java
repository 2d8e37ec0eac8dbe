package dev.hybridge.gateway.edge;

import dev.hybridge.gateway.web.SecurityHeaders;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** The edge's own HTTP responses: a status, a short plain-text reason, the security headers, close. */
final class HttpReplies {
    private HttpReplies() {}

    /** Written at accept, before any byte is read, to a plain-HTTP connection over a cap. */
    static final byte[] OVER_CAPACITY = error(503, "too many connections", new String[] {"Retry-After: 5"}, false);

    static byte[] error(int status, String reason, String[] extraHeaders, boolean tls) {
        byte[] body = (reason + "\n").getBytes(StandardCharsets.UTF_8);
        StringBuilder sb = new StringBuilder(768);
        sb.append("HTTP/1.1 ").append(status).append(' ').append(phrase(status)).append("\r\n");
        sb.append("Content-Type: text/plain; charset=utf-8\r\n");
        sb.append("Content-Length: ").append(body.length).append("\r\n");
        sb.append("Cache-Control: no-store\r\n");
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
