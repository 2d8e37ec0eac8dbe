package dev.hybridge.crypto.vectors;

import java.nio.file.Path;

/** Lets tests in other packages find test-vectors/ the same way. */
public final class VectorFilesTestAccess {
    private VectorFilesTestAccess() {}

    public static Path dir() {
        return VectorFilesTest.vectorsDir();
    }
}
