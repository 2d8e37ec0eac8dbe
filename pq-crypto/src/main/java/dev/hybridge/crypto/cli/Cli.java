package dev.hybridge.crypto.cli;

import dev.hybridge.crypto.Fingerprint;
import dev.hybridge.crypto.XWingKeyPair;
import dev.hybridge.crypto.vectors.VectorFile;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;

/**
 * The pq-crypto command line:
 * <pre>
 *   vectors generate DIR   write every test-vector file into DIR
 *   vectors verify DIR     verify every file in DIR; exit 1 on any failure
 *   keygen FILE            create a static X-Wing key file (owner-only), print its fingerprint
 *   fingerprint FILE       print the fingerprint of a key file
 * </pre>
 */
public final class Cli {
    private Cli() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        try {
            if (args.length == 3 && args[0].equals("vectors") && args[1].equals("generate")) {
                return generate(Path.of(args[2]), out);
            }
            if (args.length == 3 && args[0].equals("vectors") && args[1].equals("verify")) {
                return verify(Path.of(args[2]), out, err);
            }
            if (args.length == 2 && args[0].equals("keygen")) {
                XWingKeyPair key = dev.hybridge.crypto.KeyFile.create(Path.of(args[1]), new SecureRandom());
                out.println("created " + args[1]);
                out.println("fingerprint " + Fingerprint.toDisplay(key.fingerprint()));
                return 0;
            }
            if (args.length == 2 && args[0].equals("fingerprint")) {
                XWingKeyPair key = dev.hybridge.crypto.KeyFile.load(Path.of(args[1]));
                out.println(Fingerprint.toDisplay(key.fingerprint()));
                out.println(Fingerprint.toBase64Url(key.fingerprint()));
                return 0;
            }
        } catch (IOException | IllegalArgumentException | IllegalStateException e) {
            err.println("error: " + e.getMessage());
            return 1;
        } catch (Exception e) {
            err.println("error: " + e);
            return 1;
        }
        err.println("""
                usage:
                  vectors generate DIR   write every test-vector file into DIR
                  vectors verify DIR     verify every vector file in DIR
                  keygen FILE            create an owner-only static X-Wing key file
                  fingerprint FILE       print the fingerprint of a key file""");
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
