package dev.hybridge.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    private static Map<Integer, String> errorRows(String doc) throws IOException {
        Map<Integer, String> rows = new java.util.TreeMap<>();
        Matcher m = ERROR_ROW.matcher(spec(doc));
        while (m.find()) {
            assertEquals(null, rows.put(Integer.parseInt(m.group(1)), m.group(2)), doc + ": twice");
        }
        assertFalse(rows.isEmpty(), "no error rows parsed from spec/" + doc);
        return rows;
    }

    private static Map<Integer, String> codes(FailureCode[] values) {
        Map<Integer, String> m = new java.util.TreeMap<>();
        for (FailureCode c : values) {
            m.put(c.code(), c.name());
        }
        return m;
    }

    /** The channels' codes (handshakes, records) are the table of spec/errors.md, 1-29. */
    @Test
    void errorsTableEqualsErrorCodeEnum() throws IOException {
        assertEquals(errorRows("errors.md"), codes(ErrorCode.values()));
        for (ErrorCode c : ErrorCode.values()) {
            assertTrue(c.code() >= 1 && c.code() <= 29, c + " is outside the channels' range");
        }
    }

    /** The room layer's codes are the table of spec/room-protocol.md, 100-199. */
    @Test
    void roomErrorsTableEqualsRoomErrorEnum() throws IOException {
        assertEquals(
                errorRows("room-protocol.md"), codes(dev.hybridge.protocol.RoomError.values()));
        for (var c : dev.hybridge.protocol.RoomError.values()) {
            assertTrue(c.code() >= 100 && c.code() <= 199, c + " is outside the room range");
        }
    }

    /** SFrame's codes (30-39) are the browser's alone: no Java code, and no number taken twice. */
    @Test
    void sframeCodesAreLocalAndDistinct() throws IOException {
        Map<Integer, String> sframe = errorRows("media-sframe.md");
        for (int code : sframe.keySet()) {
            assertTrue(code >= 30 && code <= 39, code + " is outside SFrame's range");
        }
        Map<Integer, String> all = new java.util.TreeMap<>(errorRows("errors.md"));
        all.putAll(errorRows("room-protocol.md"));
        for (int code : sframe.keySet()) {
            assertFalse(all.containsKey(code), code + " is used by two layers");
        }
    }
}
