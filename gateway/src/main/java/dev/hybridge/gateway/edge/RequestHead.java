package dev.hybridge.gateway.edge;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * One HTTP/1.x request head (RFC 9112 §2-§5), read strictly and within fixed bounds before
 * anything else looks at it: at most {@link #MAX_BYTES} bytes and {@link #MAX_FIELDS} header
 * lines, CRLF line ends only, no obsolete line folding, no control characters. Anything else is
 * a {@link HttpRefusal} with its status; nothing of a refused head is kept.
 */
record RequestHead(String method, String target, String version, List<Field> fields) {
    /** Most bytes of a request head (request line and header lines); more is 431. */
    static final int MAX_BYTES = 8 * 1024;

    /** Most header lines; more is 431. */
    static final int MAX_FIELDS = 64;

    record Field(String name, String value) {
        /** The name in lower case, as header names compare (RFC 9110 §5.1). */
        String key() {
            return name.toLowerCase(Locale.ROOT);
        }
    }

    /** The path of the target, without the query. */
    String path() {
        int q = target.indexOf('?');
        return q < 0 ? target : target.substring(0, q);
    }

    /** Every value of {@code name}, in order. */
    List<String> all(String name) {
        List<String> values = new ArrayList<>(1);
        for (Field f : fields) {
            if (f.name.equalsIgnoreCase(name)) {
                values.add(f.value);
            }
        }
        return values;
    }

    /** The value of a header that may appear at most once; two of them are a 400. */
    Optional<String> single(String name) throws HttpRefusal {
        List<String> v = all(name);
        if (v.size() > 1) {
            throw new HttpRefusal(400, "duplicate " + name + " header");
        }
        return v.isEmpty() ? Optional.empty() : Optional.of(v.get(0));
    }

    /** True when a comma-separated header (any of its lines) lists {@code token}, case-insensitively. */
    boolean hasToken(String name, String token) {
        for (String v : all(name)) {
            for (String t : v.split(",")) {
                if (t.trim().equalsIgnoreCase(token)) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Reads a head from {@code in}; returns null when the stream ends before its first byte (a
     * connection opened and closed without a request). Blocks: the caller's deadline cuts a head
     * that never completes.
     */
    static RequestHead read(InputStream in) throws IOException, HttpRefusal {
        byte[] buf = new byte[512];
        int n = 0;
        while (true) {
            int b = in.read();
            if (b < 0) {
                if (n == 0) {
                    return null;
                }
                throw new java.io.EOFException("request head cut short");
            }
            if (n == MAX_BYTES) {
                throw new HttpRefusal(431, "request head over " + MAX_BYTES + " bytes");
            }
            if (n == buf.length) {
                buf = java.util.Arrays.copyOf(buf, Math.min(MAX_BYTES, 2 * buf.length));
            }
            buf[n++] = (byte) b;
            if (b == '\n' && (n < 2 || buf[n - 2] != '\r')) {
                throw new HttpRefusal(
                        400, "bare LF in the request head"); // at once, not at the deadline
            }
            if (n >= 4
                    && b == '\n'
                    && buf[n - 2] == '\r'
                    && buf[n - 3] == '\n'
                    && buf[n - 4] == '\r') {
                return parse(buf, n - 4);
            }
            if (n == 2 && buf[0] == '\r' && buf[1] == '\n') {
                n = 0; // RFC 9112 §2.2: at least one empty line before the request line may be
                // ignored
            }
        }
    }

    /** Parses {@code head[0..end)}: the request line and header lines, CRLF-separated. */
    static RequestHead parse(byte[] head, int end) throws HttpRefusal {
        List<String> lines = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < end; i++) {
            int c = head[i] & 0xFF;
            if (c == '\r') {
                if (i + 1 >= end || head[i + 1] != '\n') {
                    throw new HttpRefusal(400, "bare CR in the request head");
                }
                lines.add(new String(head, start, i - start, StandardCharsets.ISO_8859_1));
                start = i + 2;
                i++;
            } else if (c == '\n') {
                throw new HttpRefusal(400, "bare LF in the request head");
            } else if (c == 0 || (c < 0x20 && c != '\t') || c == 0x7F) {
                throw new HttpRefusal(400, "control character in the request head");
            }
        }
        lines.add(new String(head, start, end - start, StandardCharsets.ISO_8859_1));
        String[] requestLine = lines.get(0).split(" ", -1);
        if (requestLine.length != 3 || !isToken(requestLine[0]) || requestLine[1].isEmpty()) {
            throw new HttpRefusal(400, "malformed request line");
        }
        String version = requestLine[2];
        if (!version.equals("HTTP/1.1") && !version.equals("HTTP/1.0")) {
            throw new HttpRefusal(505, "only HTTP/1.1 and HTTP/1.0 are served");
        }
        String target = requestLine[1];
        if (target.charAt(0) != '/' || !target.chars().allMatch(ch -> ch > 0x20 && ch < 0x7F)) {
            throw new HttpRefusal(400, "the request target must be an origin-form path");
        }
        if (lines.size() - 1 > MAX_FIELDS) {
            throw new HttpRefusal(431, "more than " + MAX_FIELDS + " header lines");
        }
        List<Field> fields = new ArrayList<>(lines.size() - 1);
        for (int i = 1; i < lines.size(); i++) {
            String line = lines.get(i);
            int colon = line.indexOf(':');
            if (colon <= 0 || !isToken(line.substring(0, colon))) {
                // also refuses obs-fold (a line starting with white space), RFC 9112 §5.2
                throw new HttpRefusal(400, "malformed header line");
            }
            fields.add(new Field(line.substring(0, colon), line.substring(colon + 1).strip()));
        }
        return new RequestHead(requestLine[0], target, version, List.copyOf(fields));
    }

    /** RFC 9110 §5.6.2 token characters. */
    static boolean isToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok =
                    (c >= 'a' && c <= 'z')
                            || (c >= 'A' && c <= 'Z')
                            || (c >= '0' && c <= '9')
                            || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }
}
