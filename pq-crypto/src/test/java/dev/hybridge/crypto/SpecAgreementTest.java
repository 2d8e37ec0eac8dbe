package dev.hybridge.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.hybridge.crypto.kdf.Labels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The spec's label table and error table are the same lists the code uses (STYLE: labels defined once). */
class SpecAgreementTest {
    private static final Pattern LABEL_ROW =
            Pattern.compile("^\\| ([A-Z0-9_]+) \\| `([^`]+)` \\|", Pattern.MULTILINE);
    private static final Pattern ERROR_ROW =
            Pattern.compile("^\\| (\\d+) \\| ([A-Z0-9_]+) \\|", Pattern.MULTILINE);

    private static String spec(String file) throws IOException {
        String dir = System.getProperty("hybridge.spec.dir", "../spec");
        return Files.readString(Path.of(dir, file));
    }

    @Test
    void labelsTableEqualsLabelsEnum() throws IOException {
        Map<String, String> inSpec = new LinkedHashMap<>();
        Matcher m = LABEL_ROW.matcher(spec("labels.md"));
        while (m.find()) {
            inSpec.put(m.group(1), m.group(2));
        }
        assertFalse(inSpec.isEmpty(), "no label rows parsed from spec/labels.md");
        Map<String, String> inCode =
                Arrays.stream(Labels.values())
                        .collect(
                                Collectors.toMap(
                                        Enum::name,
                                        Labels::label,
                                        (a, b) -> a,
                                        LinkedHashMap::new));
        assertEquals(inCode, inSpec);
    }

    @Test
    void errorsTableEqualsErrorCodeEnum() throws IOException {
        Map<Integer, String> inSpec = new LinkedHashMap<>();
        Matcher m = ERROR_ROW.matcher(spec("errors.md"));
        while (m.find()) {
            inSpec.put(Integer.parseInt(m.group(1)), m.group(2));
        }
        // The room protocol's and SFrame's codes are tabled in their own documents.
        for (String doc : new String[] {"room-protocol.md", "media-sframe.md"}) {
            Matcher r = ERROR_ROW.matcher(spec(doc));
            while (r.find()) {
                inSpec.put(Integer.parseInt(r.group(1)), r.group(2));
            }
        }
        assertFalse(inSpec.isEmpty(), "no error rows parsed from spec/errors.md");
        Map<Integer, String> inCode =
                Arrays.stream(ErrorCode.values())
                        .collect(
                                Collectors.toMap(
                                        ErrorCode::code,
                                        Enum::name,
                                        (a, b) -> a,
                                        LinkedHashMap::new));
        assertEquals(new java.util.TreeMap<>(inCode), new java.util.TreeMap<>(inSpec));
    }
}
