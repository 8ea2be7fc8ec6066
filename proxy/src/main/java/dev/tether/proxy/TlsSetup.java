package dev.tether.proxy;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The server side of TLS on {@code --tcp}, as dockerd's {@code --tlsverify}: tether proves itself with its certificate,
 * and every client must present a certificate signed by the CA, or the handshake fails.
 */
final class TlsSetup {

    private TlsSetup() {}

    static SslContext serverContext(TcpListen.Tls tls) throws IOException {
        readable(tls.cert(), "--tls-cert");
        readable(tls.key(), "--tls-key");
        readable(tls.ca(), "--tls-ca");
        try {
            return SslContextBuilder.forServer(tls.cert().toFile(), tls.key().toFile())
                    .trustManager(tls.ca().toFile())
                    .clientAuth(ClientAuth.REQUIRE)
                    .sslProvider(SslProvider.JDK)
                    .build();
        } catch (IOException | IllegalArgumentException e) {
            throw new IOException("cannot set up TLS from --tls-cert " + tls.cert() + ", --tls-key " + tls.key()
                    + " and --tls-ca " + tls.ca() + " (" + rootMessage(e) + "); give PEM files: a certificate chain,"
                    + " its unencrypted private key (PKCS#8, PKCS#1 RSA or SEC1 EC) and the CA that signs client certificates", e);
        }
    }

    private static void readable(Path file, String option) throws IOException {
        if (!Files.isReadable(file)) {
            throw new IOException(option + " " + file + " is not a readable file");
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() != null ? root.getMessage() : root.toString();
    }
}
