package io.strait.netty.apps;

import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;

import javax.net.ssl.KeyManagerFactory;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;

/** The TLS context of netty-https: JDK provider, ALPN h2 then http/1.1; PEM files given, or a key pair made now. */
final class Tls {
    private Tls() {
    }

    static SslContext serverContext(String certPem, String keyPem) throws IOException, GeneralSecurityException {
        final SslContextBuilder b;
        if (certPem != null && keyPem != null) {
            b = SslContextBuilder.forServer(new File(certPem), new File(keyPem));
        } else if (certPem != null || keyPem != null) {
            throw new IllegalArgumentException("give both --tls-cert and --tls-key (PEM), or neither");
        } else {
            b = SslContextBuilder.forServer(selfSigned());
        }
        return b.sslProvider(SslProvider.JDK)
            .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1))
            .build();
    }

    /** A self-signed EC key pair for CN=strait, made by the JDK's keytool in a temporary PKCS12 store. */
    static KeyManagerFactory selfSigned() throws IOException, GeneralSecurityException {
        final Path dir = Files.createTempDirectory("strait-tls");
        final Path store = dir.resolve("key.p12");
        final char[] pass = "strait".toCharArray();
        try {
            final Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-keyalg", "EC", "-groupname", "secp256r1", "-alias", "strait",
                "-dname", "CN=strait", "-ext", "SAN=IP:198.18.0.2,DNS:strait", "-validity", "30",
                "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", "strait")
                .redirectErrorStream(true).start();
            final String out = new String(p.getInputStream().readAllBytes());
            if (p.waitFor() != 0) {
                throw new IOException("keytool could not make a key pair: " + out.strip());
            }
            final KeyStore ks = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(store)) {
                ks.load(in, pass);
            }
            final KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, pass);
            return kmf;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while making the key pair", e);
        } finally {
            Files.deleteIfExists(store);
            Files.deleteIfExists(dir);
        }
    }
}
