package dev.hybridge.crypto;

/**
 * A protocol failure with its stable {@link FailureCode} (a channel's {@link ErrorCode} or the
 * room layer's code). The message is the code's name and
 * nothing else: no key, plaintext or peer input ever goes into it.
 */
public final class ProtocolException extends Exception {
    private final FailureCode code;

    public ProtocolException(FailureCode code) {
        super(
                code.name(),
                null,
                false,
                false); // no stack trace: failures are expected input, not bugs
        this.code = code;
    }

    public FailureCode code() {
        return code;
    }
}
