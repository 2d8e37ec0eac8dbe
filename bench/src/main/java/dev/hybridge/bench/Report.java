package dev.hybridge.bench;

import java.util.ArrayList;
import java.util.List;

/** The figures of one run: each printed when taken, and all again in the summary at the end. */
final class Report {
    private final List<String> results = new ArrayList<>();

    synchronized void result(String fmt, Object... a) {
        String s = String.format(fmt, a);
        results.add(s);
        System.out.println(s);
    }

    synchronized void printSummary() {
        System.out.println("\nSUMMARY");
        results.forEach(r -> System.out.println("  " + r));
    }
}
