package dev.hybridge.crypto.vectors;

import dev.hybridge.crypto.cli.Cli;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The test kit's command line ({@code ./hybridge cli vectors ...}); not in the deployable jar:
 * <pre>
 *   vectors generate DIR   write every test-vector file into DIR
 *   vectors verify DIR     verify every file in DIR; exit 1 on any failure
 * </pre>
 * Any other command is the production {@link Cli} (keygen, fingerprint, rotate-key).
 */
public final class VectorsCli {
    private VectorsCli() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || !args[0].equals("vectors")) {
            return Cli.run(args, out, err);
        }
        try {
            if (args.length == 3 && args[1].equals("generate")) {
                return generate(Path.of(args[2]), out);
            }
            if (args.length == 3 && args[1].equals("verify")) {
                return verify(Path.of(args[2]), out, err);
            }
        } catch (IOException | IllegalArgumentException | IllegalStateException e) {
            err.println("error: " + e.getMessage());
            return 1;
        } catch (Exception e) {
            err.println("error: " + e);
            return 1;
        }
        err.println(
                """
                usage:
                  vectors generate DIR   write every test-vector file into DIR
                  vectors verify DIR     verify every vector file in DIR""");
        return 2;
    }

    private static int generate(Path dir, PrintStream out) throws Exception {
        Files.createDirectories(dir);
        for (VectorFile f : VectorFile.ALL) {
            Files.write(dir.resolve(f.name()), f.render());
            out.println("wrote " + dir.resolve(f.name()));
        }
        return 0;
    }

    private static int verify(Path dir, PrintStream out, PrintStream err) throws IOException {
        int failed = 0;
        int passed = 0;
        for (VectorFile f : VectorFile.ALL) {
            List<String> failures = f.verifyIn(dir);
            if (failures.isEmpty()) {
                passed++;
                out.println("ok   " + f.name());
            } else {
                failed++;
                failures.forEach(x -> err.println("FAIL " + x));
            }
        }
        out.println(passed + " passed, " + failed + " failed");
        return failed == 0 ? 0 : 1;
    }
}
