package dev.hybridge.crypto.testing;

import dev.hybridge.crypto.FailureCode;
import dev.hybridge.crypto.ProtocolException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs every vector of a file and reports all failures at once (Tink's Wycheproof style) instead
 * of stopping at the first: {@link #check} each vector, then {@link #finish}. {@code finish}
 * prints a one-line count and fails the test if
 *
 * <ul>
 *   <li>no vector was checked at all (noble's guard: a loader that silently matched nothing must
 *       not look like a pass),
 *   <li>any vector failed (the message lists every failing id), or
 *   <li>the number checked is not the number expected (a truncated or swapped file).
 * </ul>
 */
public final class VectorRun {
    /** One vector's check; may throw anything, which counts as that vector failing. */
    @FunctionalInterface
    public interface Check {
        void run() throws Exception;
    }

    private static final int MAX_LISTED = 40;

    private final String name;
    private int checked;
    private final List<String> failures = new ArrayList<>();
    private final Map<String, Integer> tally = new LinkedHashMap<>();
    private final Map<String, Integer> skipped = new LinkedHashMap<>();

    public VectorRun(String name) {
        this.name = name;
    }

    /** Checks one vector, recording (not throwing) a failure under {@code id}. */
    public void check(Object id, Check check) {
        checked++;
        try {
            check.run();
        } catch (AssertionError | Exception e) {
            String msg = e.getMessage();
            failures.add(
                    id
                            + ": "
                            + (e instanceof AssertionError ? "" : e.getClass().getName() + ": ")
                            + msg);
        }
    }

    /** Like {@link #check}, counting the vector under {@code category} in the printed summary. */
    public void check(Object id, String category, Check check) {
        tally.merge(category, 1, Integer::sum);
        check(id, check);
    }

    /** Records a vector that was deliberately not checked, with the reason. */
    public void skip(Object id, String reason) {
        skipped.merge(reason, 1, Integer::sum);
    }

    public int checked() {
        return checked;
    }

    public int skippedCount() {
        return skipped.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** Prints the count and asserts: at least one vector, no failures, exactly {@code expectedChecked}. */
    public void finish(int expectedChecked) {
        StringBuilder line = new StringBuilder(name).append(": ");
        if (checked == 0) {
            line.append("0 vectors checked — NOTHING VERIFIED");
        } else if (failures.isEmpty()) {
            line.append(checked).append(checked == 1 ? " vector verified" : " vectors verified");
        } else {
            line.append(checked)
                    .append(" vectors checked, ")
                    .append(failures.size())
                    .append(" FAILED");
        }
        if (!tally.isEmpty()) {
            line.append(' ').append(tally);
        }
        if (!skipped.isEmpty()) {
            line.append("; skipped ").append(skippedCount()).append(' ').append(skipped);
        }
        System.out.println(line);
        for (String f : failures) {
            System.err.println("  FAILED " + name + " " + f);
        }

        if (checked == 0) {
            throw new AssertionError(
                    name
                            + ": zero vectors were checked — the file was empty or the loader matched nothing");
        }
        if (!failures.isEmpty()) {
            List<String> shown =
                    failures.size() <= MAX_LISTED ? failures : failures.subList(0, MAX_LISTED);
            throw new AssertionError(
                    name
                            + ": "
                            + failures.size()
                            + " of "
                            + checked
                            + " vectors failed"
                            + (shown.size() < failures.size()
                                    ? " (first " + MAX_LISTED + " listed, all on stderr)"
                                    : "")
                            + ":\n  "
                            + String.join("\n  ", shown));
        }
        if (checked != expectedChecked) {
            throw new AssertionError(
                    name + ": checked " + checked + " vectors, expected " + expectedChecked);
        }
    }

    // ---------------------------------------------------------------- rejection expectations

    /**
     * Asserts that {@code action} throws a {@link ProtocolException} with {@code expected} as its
     * code (any code if {@code expected} is null). Returning normally, or throwing anything
     * unchecked, is a failure.
     */
    public static ProtocolException expectProtocolException(FailureCode expected, Check action) {
        try {
            action.run();
        } catch (ProtocolException e) {
            if (expected != null && e.code() != expected) {
                throw new AssertionError("rejected with " + e.code() + ", expected " + expected);
            }
            return e;
        } catch (Exception e) {
            throw new AssertionError(
                    "threw "
                            + e.getClass().getName()
                            + " ("
                            + e.getMessage()
                            + ") instead of ProtocolException("
                            + (expected == null ? "any" : expected)
                            + ")",
                    e);
        }
        throw new AssertionError(
                "accepted; expected ProtocolException("
                        + (expected == null ? "any" : expected)
                        + ")");
    }

    /** Asserts that {@code action} throws exactly an instance of {@code type}. */
    public static <T extends Exception> T expectThrown(Class<T> type, Check action) {
        try {
            action.run();
        } catch (Exception e) {
            if (type.isInstance(e)) {
                return type.cast(e);
            }
            throw new AssertionError(
                    "threw "
                            + e.getClass().getName()
                            + " ("
                            + e.getMessage()
                            + "), expected "
                            + type.getName(),
                    e);
        }
        throw new AssertionError("accepted; expected " + type.getName());
    }
}
