package dev.hybridge.gateway.testing;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** TLS clients for tests that trust one self-signed certificate and nothing else. */
public final class TrustOnly {
    private TrustOnly() {}

    /** An SSLContext whose only trust anchor is {@code cert}. */
    public static SSLContext certificate(Certificate cert) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("test", cert);
        TrustManagerFactory tmf =
                TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), new SecureRandom());
        return ctx;
    }

    /** The same for the (first) certificate of a PEM file. */
    public static SSLContext pem(Path pem) throws Exception {
        try (InputStream in = Files.newInputStream(pem)) {
            return certificate(CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
    }
}
