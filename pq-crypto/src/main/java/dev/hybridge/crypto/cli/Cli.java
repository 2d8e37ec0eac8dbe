package dev.hybridge.crypto.cli;

import dev.hybridge.crypto.Fingerprint;
import dev.hybridge.crypto.KeyRotation;
import dev.hybridge.crypto.XWingKeyPair;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;

/**
 * The pq-crypto command line of the deployable jar (the gateway's Main runs these too):
 * <pre>
 *   keygen FILE            create a static X-Wing key file (owner-only), print its fingerprint
 *   fingerprint FILE       print the fingerprint of a key file
 *   rotate-key FILE        replace the key in FILE with a new one; keep the old one as retired
 * </pre>
 * The vector commands ({@code vectors generate|verify DIR}) are not here: they belong to the
 * test kit (pq-crypto's test-jar, {@code dev.hybridge.crypto.vectors.VectorsCli}), which
 * {@code ./hybridge cli vectors ...} puts on the class path.
 */
public final class Cli {
    private Cli() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        try {
            if (args.length == 2 && args[0].equals("keygen")) {
                XWingKeyPair key =
                        dev.hybridge.crypto.KeyFile.create(Path.of(args[1]), new SecureRandom());
                out.println("created " + args[1]);
                out.println("fingerprint " + Fingerprint.toDisplay(key.fingerprint()));
                return 0;
            }
            if (args.length == 2 && args[0].equals("rotate-key")) {
                return rotateKey(Path.of(args[1]), out);
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
        err.println(
                """
                usage:
                  keygen FILE            create an owner-only static X-Wing key file
                  fingerprint FILE       print the fingerprint of a key file
                  rotate-key FILE        new static key in FILE; the old one kept as FILE.retired-<fp>
                                         and listed in FILE.retired.json (restart the gateway after)""");
        return 2;
    }

    /** KeyRotation.rotate with what an operator must know next. */
    public static int rotateKey(Path keyFile, PrintStream out) throws IOException {
        KeyRotation.Result r = KeyRotation.rotate(keyFile, new SecureRandom(), Clock.systemUTC());
        out.println(
                "retired     "
                        + Fingerprint.toDisplay(r.oldFingerprint())
                        + " at "
                        + r.retiredAt());
        out.println(
                "kept as     "
                        + r.retiredKeyFile()
                        + " (mode 600; move it back over "
                        + keyFile
                        + " to undo)");
        out.println("new key     " + Fingerprint.toDisplay(r.newKey().fingerprint()));
        out.println("listed in   " + KeyRotation.retiredList(keyFile));
        out.println(
                "Restart the gateway to use the new key. Links that pin the old fingerprint stop working;");
        out.println(
                "their clients are told the key was retired on "
                        + r.retiredAt()
                        + " and to ask for a new link.");
        return 0;
    }
}
