package dev.hybridge.gateway.ws;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class OriginPolicyTest {
    @Test
    void ownOriginByDefault() {
        OriginPolicy p = new OriginPolicy(List.of());
        Optional<String> host = Optional.of("call.example.org");
        assertTrue(p.accepts(Optional.empty(), host), "non-browser clients send no Origin");
        assertTrue(p.accepts(Optional.of("https://call.example.org"), host));
        assertTrue(p.accepts(Optional.of("http://CALL.example.org"), host));
        assertFalse(p.accepts(Optional.of("https://call.example.org.evil.example"), host));
        assertFalse(p.accepts(Optional.of("https://evil.example"), host));
        assertFalse(p.accepts(Optional.of("null"), host));
        assertFalse(p.accepts(Optional.of("https://call.example.org:444"), host));
        assertFalse(p.accepts(Optional.of("https://call.example.org"), Optional.empty()));
    }

    @Test
    void configuredOriginsOnly() {
        OriginPolicy p = new OriginPolicy(List.of("https://app.example.org"));
        assertTrue(
                p.accepts(Optional.of("https://app.example.org"), Optional.of("gw.example.org")));
        assertFalse(
                p.accepts(Optional.of("https://gw.example.org"), Optional.of("gw.example.org")));
    }
}
