package dev.tether.docker;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * TLS to a {@code tcp://} engine, set up as the docker CLI sets it up (docker/cli cli/flags/options.go and
 * cli/context/docker/load.go, go-connections tlsconfig): TLS 1.2 or newer; the engine's certificate checked against a CA
 * and its name against the host of the URL, unless verification is off; a client certificate when there is one.
 *
 * @param verify how the engine's certificate is checked
 * @param client the client certificate chain and its key, if any
 * @param source where the settings came from, as a user reads it, e.g. "DOCKER_TLS_VERIFY, DOCKER_CERT_PATH=/certs"
 */
public record EngineTls(Verify verify, Optional<ClientCert> client, String source) {

    /** How the engine's certificate is checked. */
    public sealed interface Verify {
        /**
         * Against the certificates of {@code ca}; with {@code systemRootsToo}, against the system's roots as well
         * (go-connections appends the CA file to the system pool for DOCKER_TLS_VERIFY; a context's ca.pem is the only
         * root).
         */
        record WithCa(Path ca, boolean systemRootsToo) implements Verify {}

        /** Against the JDK's roots only: a context with TLS material but no ca.pem. */
        record SystemRoots() implements Verify {}

        /** Not at all: DOCKER_TLS without DOCKER_TLS_VERIFY, or a context's SkipTLSVerify. */
        record Skip() implements Verify {}
    }

    public record ClientCert(Path cert, Path key) {}

    /** Material tether cannot use; the message names the file and says what to do. */
    public static final class Invalid extends RuntimeException {
        private final String problem;
        private final String fix;

        Invalid(String problem, String fix, Throwable cause) {
            super(problem + ": " + fix, cause);
            this.problem = problem;
            this.fix = fix;
        }

        public String problem() {
            return problem;
        }

        public String fix() {
            return fix;
        }
    }

    /**
     * The TLS the docker CLI uses for DOCKER_HOST or {@code -H} with this environment: none unless DOCKER_TLS_VERIFY or
     * DOCKER_TLS is set to anything non-empty (the CLI tests only that, so DOCKER_TLS_VERIFY=0 turns verification on).
     * Files come from DOCKER_CERT_PATH, else the config folder ({@code $DOCKER_CONFIG}, else {@code ~/.docker}); a
     * cert.pem or key.pem that is not there is left out, as the CLI leaves it out.
     */
    public static Optional<EngineTls> fromEnv(Map<String, String> env, Path configDir) {
        boolean verify = !env.getOrDefault("DOCKER_TLS_VERIFY", "").isEmpty();
        boolean tls = verify || !env.getOrDefault("DOCKER_TLS", "").isEmpty();
        if (!tls) {
            return Optional.empty();
        }
        String certPath = env.getOrDefault("DOCKER_CERT_PATH", "");
        Path dir = certPath.isEmpty() ? configDir : Path.of(certPath).toAbsolutePath().normalize();
        String source = (verify ? "DOCKER_TLS_VERIFY" : "DOCKER_TLS") + ", "
                + (certPath.isEmpty() ? "certificates from " + dir + " (no DOCKER_CERT_PATH)" : "DOCKER_CERT_PATH=" + dir);
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        Optional<ClientCert> client = Files.exists(cert) || Files.exists(key)
                ? Optional.of(new ClientCert(cert, key)) : Optional.empty();
        return Optional.of(new EngineTls(verify ? new Verify.WithCa(dir.resolve("ca.pem"), true) : new Verify.Skip(),
                client, source));
    }

    /** A context's TLS, from its {@code contexts/tls/<id>/docker} folder and SkipTLSVerify; empty when it has neither. */
    public static Optional<EngineTls> fromContext(DockerContexts.Context context, Path tlsDir, String source) {
        if (!context.usesTls()) {
            return Optional.empty();
        }
        Path ca = tlsDir.resolve("ca.pem");
        Path cert = tlsDir.resolve("cert.pem");
        Path key = tlsDir.resolve("key.pem");
        Verify verify = context.skipTlsVerify() ? new Verify.Skip()
                : Files.exists(ca) ? new Verify.WithCa(ca, false) : new Verify.SystemRoots();
        // The CLI loads a client certificate only when both files are there.
        Optional<ClientCert> client = Files.exists(cert) && Files.exists(key)
                ? Optional.of(new ClientCert(cert, key)) : Optional.empty();
        return Optional.of(new EngineTls(verify, client, source));
    }

    /** For status and doctor: "TLS, verified with /certs/ca.pem, client certificate /certs/cert.pem (DOCKER_TLS_VERIFY, …)". */
    public String describe() {
        String how = switch (verify) {
            case Verify.WithCa w -> "verified with " + w.ca() + (w.systemRootsToo() ? " (and the system's CAs)" : "");
            case Verify.SystemRoots _ -> "verified with the system's CAs";
            case Verify.Skip _ -> "NOT verified";
        };
        return "TLS, " + how + ", " + client.map(c -> "client certificate " + c.cert()).orElse("no client certificate")
                + "; from " + source;
    }

    public boolean verifies() {
        return !(verify instanceof Verify.Skip);
    }

    /**
     * Reads the PEM files into an SSLContext, the one both the relay and the reaper's client use.
     *
     * @throws Invalid naming the file that is missing or wrong, and what to do
     */
    public SSLContext sslContext() {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keyManagers(), trustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new Invalid("cannot set up TLS to the engine from " + source + " (" + e.getMessage() + ")",
                    "check the PEM files there", e);
        }
    }

    /**
     * A client engine for {@code host}: TLS 1.2 or newer, and, when verifying, the name checked against the
     * certificate's subjectAltNames (IP addresses too), as Go checks ServerName.
     */
    public SSLEngine clientEngine(SSLContext context, String host, int port) {
        SSLEngine engine = context.createSSLEngine(host, port);
        engine.setUseClientMode(true);
        SSLParameters params = engine.getSSLParameters();
        params.setProtocols(List.of(params.getProtocols()).stream().filter(p -> p.equals("TLSv1.2") || p.equals("TLSv1.3"))
                .toArray(String[]::new));
        if (verifies()) {
            params.setEndpointIdentificationAlgorithm("HTTPS");
        }
        engine.setSSLParameters(params);
        return engine;
    }

    private TrustManager[] trustManagers() throws GeneralSecurityException {
        return switch (verify) {
            case Verify.Skip _ -> new TrustManager[] {new TrustingEverything()};
            case Verify.SystemRoots _ -> {
                TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                f.init((KeyStore) null);
                yield f.getTrustManagers();
            }
            case Verify.WithCa w -> {
                KeyStore roots = emptyStore();
                int n = 0;
                for (Certificate c : certificates(w.ca(), "the CA certificate", "ca.pem")) {
                    roots.setCertificateEntry("ca-" + n++, c);
                }
                if (w.systemRootsToo()) {
                    for (X509Certificate c : systemRoots()) {
                        roots.setCertificateEntry("system-" + n++, c);
                    }
                }
                TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                f.init(roots);
                yield f.getTrustManagers();
            }
        };
    }

    private static KeyStore emptyStore() throws GeneralSecurityException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try {
            store.load(null, null);
        } catch (IOException e) {
            throw new IllegalStateException("an empty key store reads no file", e);
        }
        return store;
    }

    private static List<X509Certificate> systemRoots() throws GeneralSecurityException {
        TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        f.init((KeyStore) null);
        List<X509Certificate> all = new ArrayList<>();
        for (TrustManager tm : f.getTrustManagers()) {
            if (tm instanceof X509TrustManager x) {
                all.addAll(List.of(x.getAcceptedIssuers()));
            }
        }
        return all;
    }

    private KeyManager[] keyManagers() throws GeneralSecurityException {
        if (client.isEmpty()) {
            return null;
        }
        ClientCert c = client.get();
        List<Certificate> chain = certificates(c.cert(), "the client certificate", "cert.pem");
        PrivateKey key = privateKey(c.key());
        if (!belongTogether(key, chain.getFirst())) {
            throw new Invalid(c.key() + " is not the key of the certificate " + c.cert() + " (from " + source + ")",
                    "give the key.pem made with that cert.pem", null);
        }
        KeyStore store = emptyStore();
        char[] password = new char[0];
        store.setKeyEntry("client", key, password, chain.toArray(Certificate[]::new));
        KeyManagerFactory f = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        f.init(store, password);
        return f.getKeyManagers();
    }

    private List<Certificate> certificates(Path file, String what, String name) {
        try (InputStream in = Files.newInputStream(file)) {
            List<Certificate> certs = List.copyOf(CertificateFactory.getInstance("X.509").generateCertificates(in));
            if (certs.isEmpty()) {
                throw new CertificateException("no certificate in it");
            }
            return certs;
        } catch (NoSuchFileException e) {
            throw new Invalid(what + " " + file + " does not exist (from " + source + ")", "put the " + name
                    + " there, or point DOCKER_CERT_PATH (or the docker context) at the folder that has it", e);
        } catch (IOException | CertificateException e) {
            throw new Invalid(what + " " + file + " is not a PEM certificate (" + rootMessage(e) + "; from " + source + ")",
                    "give the " + name + " the engine's certificates were made with", e);
        }
    }

    /** PKCS#8, PKCS#1 RSA and SEC1 EC keys, as Go's tls.X509KeyPair reads them; never an encrypted one, as Go. */
    private PrivateKey privateKey(Path file) {
        Object parsed;
        try (Reader r = Files.newBufferedReader(file); PEMParser pem = new PEMParser(r)) {
            parsed = pem.readObject();
        } catch (NoSuchFileException e) {
            throw new Invalid("the client key " + file + " does not exist (from " + source + ")", "put the key.pem of the"
                    + " client certificate there, or remove its cert.pem to go without a client certificate", e);
        } catch (IOException e) {
            throw new Invalid("the client key " + file + " is not a PEM private key (" + rootMessage(e) + "; from "
                    + source + ")", "give the key.pem of the client certificate", e);
        }
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        try {
            return switch (parsed) {
                case PEMKeyPair pair -> converter.getKeyPair(pair).getPrivate();
                case PrivateKeyInfo info -> converter.getPrivateKey(info);
                case PEMEncryptedKeyPair _ -> throw encrypted(file);
                case PKCS8EncryptedPrivateKeyInfo _ -> throw encrypted(file);
                case null -> throw new Invalid("the client key " + file + " holds no PEM private key (from " + source + ")",
                        "give the key.pem of the client certificate", null);
                default -> throw new Invalid("the client key " + file + " holds a " + parsed.getClass().getSimpleName()
                        + ", not a private key (from " + source + ")", "give the key.pem of the client certificate", null);
            };
        } catch (IOException e) {
            throw new Invalid("the client key " + file + " cannot be read (" + rootMessage(e) + "; from " + source + ")",
                    "give an unencrypted PEM key (PKCS#8, PKCS#1 RSA or SEC1 EC)", e);
        }
    }

    private Invalid encrypted(Path file) {
        return new Invalid("the client key " + file + " is encrypted, and the docker CLI does not read encrypted keys"
                + " either (from " + source + ")", "decrypt it: openssl pkey -in " + file + " -out " + file, null);
    }

    /** Whether the key signs what the certificate's public key verifies, as Go's X509KeyPair checks. */
    private static boolean belongTogether(PrivateKey key, Certificate cert) throws GeneralSecurityException {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            default -> null;
        };
        if (algorithm == null) {
            return true; // the handshake will tell
        }
        byte[] probe = "tether".getBytes();
        Signature sign = Signature.getInstance(algorithm);
        sign.initSign(key);
        sign.update(probe);
        byte[] signature = sign.sign();
        Signature check = Signature.getInstance(algorithm);
        try {
            check.initVerify(cert.getPublicKey());
            check.update(probe);
            return check.verify(signature);
        } catch (GeneralSecurityException e) {
            return false; // a key of another kind than the certificate's
        }
    }

    static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() != null ? root.getMessage() : root.toString();
    }

    /** InsecureSkipVerify: any certificate, any name. */
    private static final class TrustingEverything extends X509ExtendedTrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, java.net.Socket socket) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, java.net.Socket socket) {}

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
