package dev.tether.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The key and certificate files a user has, in every form the docker CLI reads, made by the real {@code openssl}: each
 * loads, and each wrong one is refused naming the file and what to do.
 */
class EngineTlsTest {

    @TempDir
    static Path dir;

    @BeforeAll
    static void keys() {
        // EC P-256, in PKCS#8 (openssl's default), and the same key in SEC1 (BEGIN EC PRIVATE KEY)
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ec-key.pem",
                "-out", "ec-cert.pem", "-days", "1", "-subj", "/CN=tether-test-client");
        openssl("pkey", "-in", "ec-key.pem", "-traditional", "-out", "ec-sec1.pem");
        // RSA in PKCS#1 (BEGIN RSA PRIVATE KEY), as Docker's own guide makes them
        openssl("genrsa", "-traditional", "-out", "rsa-key.pem", "2048");
        openssl("req", "-x509", "-key", "rsa-key.pem", "-out", "rsa-cert.pem", "-days", "1", "-subj", "/CN=tether-test-rsa");
        openssl("pkey", "-in", "ec-key.pem", "-aes256", "-passout", "pass:secret", "-out", "ec-encrypted.pem");
    }

    @Test
    void pkcs8Sec1AndPkcs1KeysAllLoad() throws IOException {
        assertThat(Files.readString(dir.resolve("ec-key.pem"))).startsWith("-----BEGIN PRIVATE KEY-----");
        assertThat(Files.readString(dir.resolve("ec-sec1.pem"))).startsWith("-----BEGIN EC PRIVATE KEY-----");
        assertThat(Files.readString(dir.resolve("rsa-key.pem"))).startsWith("-----BEGIN RSA PRIVATE KEY-----");
        for (String[] pair : List.of(new String[] {"ec-cert.pem", "ec-key.pem"}, new String[] {"ec-cert.pem", "ec-sec1.pem"},
                new String[] {"rsa-cert.pem", "rsa-key.pem"})) {
            SSLContext context = tls(pair[0], pair[1]).sslContext();
            SSLEngine engine = tls(pair[0], pair[1]).clientEngine(context, "127.0.0.1", 2376);
            assertThat(engine.getSSLParameters().getEndpointIdentificationAlgorithm()).as("the name is checked").isEqualTo("HTTPS");
            assertThat(engine.getEnabledProtocols()).containsOnly("TLSv1.2", "TLSv1.3");
        }
    }

    @Test
    void anEncryptedKeyAMismatchedKeyAndAMissingFileAreRefusedNamingTheFile() {
        assertThatThrownBy(() -> tls("ec-cert.pem", "ec-encrypted.pem").sslContext())
                .isInstanceOfSatisfying(EngineTls.Invalid.class, e -> {
                    assertThat(e.problem()).isEqualTo("the client key " + dir.resolve("ec-encrypted.pem") + " is encrypted, and the"
                            + " docker CLI does not read encrypted keys either (from test)");
                    assertThat(e.fix()).startsWith("decrypt it: openssl pkey -in " + dir.resolve("ec-encrypted.pem"));
                });
        assertThatThrownBy(() -> tls("ec-cert.pem", "rsa-key.pem").sslContext()).isInstanceOf(EngineTls.Invalid.class)
                .hasMessage(dir.resolve("rsa-key.pem") + " is not the key of the certificate " + dir.resolve("ec-cert.pem")
                        + " (from test): give the key.pem made with that cert.pem");
        assertThatThrownBy(() -> tls("ec-cert.pem", "absent.pem").sslContext()).isInstanceOf(EngineTls.Invalid.class)
                .hasMessageStartingWith("the client key " + dir.resolve("absent.pem") + " does not exist (from test)");
        assertThatThrownBy(() -> tls("ec-key.pem", "ec-key.pem").sslContext()).isInstanceOf(EngineTls.Invalid.class)
                .hasMessageStartingWith("the client certificate " + dir.resolve("ec-key.pem") + " is not a PEM certificate (");
    }

    private static EngineTls tls(String cert, String key) {
        return new EngineTls(new EngineTls.Verify.WithCa(dir.resolve("ec-cert.pem"), true),
                Optional.of(new EngineTls.ClientCert(dir.resolve(cert), dir.resolve(key))), "test");
    }

    private static void openssl(String... args) {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new AssertionError(String.join(" ", command) + " failed: " + out);
            }
        } catch (IOException e) {
            throw new AssertionError("cannot run openssl", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted");
        }
    }
}
