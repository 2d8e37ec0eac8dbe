package dev.hybridge.crypto;

/**
 * A protocol failure with its stable {@link ErrorCode}. The message is the code's name and
 * nothing else: no key, plaintext or peer input ever goes into it.
 */
public final class ProtocolException extends Exception {
    private final ErrorCode code;

    public ProtocolException(ErrorCode code) {
        super(
                code.name(),
                null,
                false,
                false); // no stack trace: failures are expected input, not bugs
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }
}
