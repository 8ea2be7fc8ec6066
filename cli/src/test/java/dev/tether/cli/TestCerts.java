package dev.tether.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import dev.tether.proxy.Cli;

/**
 * A CA with a server and a client certificate, made at test time by the {@code openssl} CLI: EC P-256 keys in PKCS#8
 * PEM, as {@code openssl req -newkey -nodes} writes them, which both Go's TLS and the JDK read.
 */
record TestCerts(Path ca, Path serverCert, Path serverKey, Path clientCert, Path clientKey) {

    /** @param serverIps the addresses clients dial, for the server certificate's subjectAltName */
    static TestCerts make(Path dir, String caName, List<String> serverIps) {
        try {
            Files.createDirectories(dir);
            Path ca = dir.resolve("ca.pem");
            Path caKey = dir.resolve("ca-key.pem");
            openssl(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", caKey.toString(), "-out", ca.toString(), "-days", "2", "-subj", "/CN=" + caName,
                    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
            Path serverExt = dir.resolve("server.ext");
            Files.writeString(serverExt, "subjectAltName=" + String.join(",", serverIps.stream().map(ip -> "IP:" + ip).toList())
                    + "\nextendedKeyUsage=serverAuth\n");
            Path clientExt = dir.resolve("client.ext");
            Files.writeString(clientExt, "extendedKeyUsage=clientAuth\n");
            Path[] server = signed(dir, "server", ca, caKey, serverExt);
            Path[] client = signed(dir, "client", ca, caKey, clientExt);
            return new TestCerts(ca, server[0], server[1], client[0], client[1]);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A server certificate from this CA whose key is RSA in PKCS#1 ({@code BEGIN RSA PRIVATE KEY}), as older guides,
     * Docker's own among them, make them.
     *
     * @return the certificate and the key
     */
    Path[] rsaPkcs1Server(List<String> serverIps) {
        Path dir = ca.getParent();
        Path key = dir.resolve("rsa-server-key.pem");
        Path csr = dir.resolve("rsa-server.csr");
        Path cert = dir.resolve("rsa-server.pem");
        openssl(dir, "genrsa", "-traditional", "-out", key.toString(), "2048");
        openssl(dir, "req", "-new", "-key", key.toString(), "-out", csr.toString(), "-subj", "/CN=tether-test-rsa-server");
        openssl(dir, "x509", "-req", "-in", csr.toString(), "-CA", ca.toString(), "-CAkey", dir.resolve("ca-key.pem").toString(),
                "-CAcreateserial", "-out", cert.toString(), "-days", "2", "-extfile", dir.resolve("server.ext").toString());
        return new Path[] {cert, key};
    }

    private static Path[] signed(Path dir, String name, Path ca, Path caKey, Path ext) {
        Path key = dir.resolve(name + "-key.pem");
        Path csr = dir.resolve(name + ".csr");
        Path cert = dir.resolve(name + ".pem");
        openssl(dir, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key.toString(),
                "-out", csr.toString(), "-subj", "/CN=tether-test-" + name);
        openssl(dir, "x509", "-req", "-in", csr.toString(), "-CA", ca.toString(), "-CAkey", caKey.toString(),
                "-CAcreateserial", "-out", cert.toString(), "-days", "2", "-extfile", ext.toString());
        return new Path[] {cert, key};
    }

    private static void openssl(Path dir, String... args) {
        var pb = new ProcessBuilder(java.util.stream.Stream.concat(java.util.stream.Stream.of("openssl"),
                java.util.Arrays.stream(args)).toList()).directory(dir.toFile());
        try (Cli.Running run = new Cli.Running("openssl " + String.join(" ", args), pb.start())) {
            run.closeStdin();
            Cli.Result result = run.await(Duration.ofSeconds(60));
            if (result.exitCode() != 0) {
                throw new AssertionError("openssl failed: " + result);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run openssl", e);
        }
    }
}
