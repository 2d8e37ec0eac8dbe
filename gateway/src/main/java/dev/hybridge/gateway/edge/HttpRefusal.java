package dev.hybridge.gateway.edge;

/**
 * A request the edge answers itself with an error status (400, 403, 405, 413, 426, 431, 505...)
 * and then closes. The reason is fixed text of ours, never anything the client sent.
 */
final class HttpRefusal extends Exception {
    private final int status;
    private final String[] extraHeaders;

    HttpRefusal(int status, String reason, String... extraHeaders) {
        super(reason, null, false, false);
        this.status = status;
        this.extraHeaders = extraHeaders;
    }

    int status() {
        return status;
    }

    /** Header lines ("Name: value") the response carries besides the usual ones. */
    String[] extraHeaders() {
        return extraHeaders;
    }
}
