package dev.hybridge.crypto.vectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hybridge.crypto.testing.SharedVectors;
import org.junit.jupiter.api.Test;

/**
 * The test kit's own SFrame (SFrameVp8Vectors, which writes test-vectors/sframe-vp8.json) against
 * RFC 9605 Appendix C: every header vector, and the SFrame vector of suite 0x0005 with its
 * metadata. So the file the JavaScript client is checked against comes from an SFrame checked
 * against the RFC on its own.
 */
class SFrameVp8VectorsTest {
    private static final String RFC = "sframe-rfc9605/cisco/test-vectors.json";

    @Test
    void headersAreThoseOfRfc9605AppendixC() throws Exception {
        JsonNode headers = SharedVectors.json(RFC).get("header");
        int checked = 0;
        for (JsonNode h : headers) {
            long kid = Long.parseUnsignedLong(h.get("kid").asText());
            long ctr = Long.parseUnsignedLong(h.get("ctr").asText());
            if (kid < 0 || ctr < 0) continue; // above 2^63: beyond Hybridge's KIDs and CTRs
            byte[] encoded = SharedVectors.hex(h.get("encoded").asText());
            assertArrayEquals(
                    encoded, SFrameVp8Vectors.header(kid, ctr), "kid " + kid + " ctr " + ctr);
            SFrameVp8Vectors.Header parsed = SFrameVp8Vectors.parseHeader(encoded);
            assertEquals(kid, parsed.kid());
            assertEquals(ctr, parsed.ctr());
            assertEquals(encoded.length, parsed.length());
            checked++;
        }
        assertTrue(checked > 200, "checked " + checked + " header vectors");
    }

    @Test
    void suite5SealsAndOpensAsRfc9605AppendixC() throws Exception {
        JsonNode v = null;
        for (JsonNode s : SharedVectors.json(RFC).get("sframe")) {
            if (s.get("cipher_suite").asInt() == SFrameVp8Vectors.SUITE) v = s;
        }
        assertTrue(v != null, "the RFC's suite 0x0005 vector");
        long kid = v.get("kid").asLong();
        long ctr = v.get("ctr").asLong();
        byte[] baseKey = SharedVectors.hex(v, "base_key");
        byte[][] ks = SFrameVp8Vectors.keyAndSalt(baseKey, kid);
        assertArrayEquals(SharedVectors.hex(v, "sframe_key"), ks[0]);
        assertArrayEquals(SharedVectors.hex(v, "sframe_salt"), ks[1]);
        byte[] metadata = SharedVectors.hex(v, "metadata");
        byte[] ct = SharedVectors.hex(v, "ct");
        assertArrayEquals(
                ct, SFrameVp8Vectors.seal(baseKey, kid, ctr, metadata, SharedVectors.hex(v, "pt")));
        assertArrayEquals(
                SharedVectors.hex(v, "pt"), SFrameVp8Vectors.open(baseKey, kid, metadata, ct));
        // the metadata is authenticated
        SFrameVp8Vectors.Refusal r =
                assertThrows(
                        SFrameVp8Vectors.Refusal.class,
                        () -> SFrameVp8Vectors.open(baseKey, kid, new byte[0], ct));
        assertEquals("SFRAME_AUTH_FAILED", r.getMessage());
    }
}
