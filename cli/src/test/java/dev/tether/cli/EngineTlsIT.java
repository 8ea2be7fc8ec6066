package dev.tether.cli;

import static dev.tether.cli.ReapKit.GRACE;
import static dev.tether.cli.ReapKit.SLACK;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.docker.PrivateDockerd;
import dev.tether.labeler.TetherLabels;
import dev.tether.process.Libc;
import dev.tether.proxy.Cli;
import dev.tether.proxy.Engine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * tether in front of an engine that speaks only TLS with client certificates: a private dockerd started with
 * {@code --tlsverify --tlscacert --tlscert --tlskey} on {@code 127.0.0.1:PORT}, reached the ways a user's docker CLI
 * reaches it: DOCKER_HOST with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, and a docker context made by the docker CLI with
 * the TLS material copied into its store. Through tether: the docker CLI's requests, a create that is labelled, stdin
 * to a container and its echo (a hijacked stream over TLS), and the reaper, which stops a stubborn session's container
 * over TLS once its host is SIGKILLed. A wrong CA ends in tether's JSON answer, wrong files in tether up's refusal.
 */
@Timeout(300)
class EngineTlsIT {

    private static Path dir;
    private static Path config;
    private static Path home;
    private static TestCerts certs;
    /** DOCKER_CERT_PATH: ca.pem, cert.pem, key.pem of the engine's CA. */
    private static Path certPath;
    private static PrivateDockerd engine;
    private static int port;
    private static String host;
    private static ReapKit.Tether tether;
    private static Path socket;

    private final List<ReapKit.Tether> tethers = new ArrayList<>();
    private final List<ReapHost> hosts = new ArrayList<>();

    @BeforeAll
    static void up() throws IOException {
        Cli.requireInstalled(Cli.NEW);
        Engine.ensureImage();
        dir = Files.createTempDirectory(Path.of("/tmp"), "tether-etls");
        Libc.chmod(dir, 0700);
        config = Files.createDirectories(dir.resolve("docker-config"));
        Files.writeString(config.resolve("config.json"), "{}");
        home = Files.createDirectories(dir.resolve("home"));
        certs = TestCerts.make(dir.resolve("certs"), "tether-test-engine-ca", List.of("127.0.0.1"));
        certPath = clientFolder("client", certs.ca(), certs.clientCert(), certs.clientKey());

        port = freePort();
        host = "tcp://127.0.0.1:" + port;
        engine = PrivateDockerd.start(Duration.ofSeconds(60), List.of("-H", "fd://", "--tlsverify",
                "--tlscacert", certs.ca().toString(), "--tlscert", certs.serverCert().toString(),
                "--tlskey", certs.serverKey().toString()), PrivateDockerd.tcpActivation(port));
        engine.loadImage(Engine.TEST_IMAGE, Engine.endpoint().uri(), Duration.ofSeconds(120));
        // The setup itself, checked with the docker CLI alone: the engine answers TLS with client certificates only.
        assertThat(ok(docker(tlsEnv(certPath), "version", "--format", "{{.Server.Version}}")).out().strip()).isNotEmpty();
        Cli.Result plain = docker(Map.of("DOCKER_HOST", host), "version");
        assertThat(plain.exitCode()).as("without TLS the engine refuses: " + plain).isNotZero();

        socket = dir.resolve("t.sock");
        tether = up(socket, tlsEnv(certPath));
    }

    @AfterAll
    static void down() {
        try {
            ReapKit.tearDown("EngineTlsIT", dir, tether);
        } finally {
            if (engine != null) {
                engine.close();
            }
        }
    }

    @AfterEach
    void endOthers() {
        hosts.forEach(ReapHost::close);
        tethers.forEach(t -> {
            t.close();
            System.out.println("[tether log, EngineTlsIT " + t.socket.getFileName() + "]\n" + t.log());
        });
    }

    @Test
    void theDockerCliReachesTheTlsEngineThroughTetherAndCreatesAreLabelled() throws Exception {
        assertThat(tether.awaitLog(l -> l.contains("engine: tcp://"), Duration.ofSeconds(10)))
                .endsWith("engine: " + host + ", chosen by DOCKER_HOST");
        String tls = "TLS, verified with " + certPath.resolve("ca.pem") + " (and the system's CAs), client certificate "
                + certPath.resolve("cert.pem") + "; from DOCKER_TLS_VERIFY, DOCKER_CERT_PATH=" + certPath;
        assertThat(tether.awaitLog(l -> l.contains("engine: TLS"), Duration.ofSeconds(10))).endsWith("engine: " + tls);

        Cli through = new Cli(Cli.NEW, socket);
        Cli.Result info = through.run("info", "--format", "{{.DockerRootDir}}");
        assertThat(info.out().strip()).as("the private TLS engine answers through tether: " + info)
                .isEqualTo(engine.dir().resolve("data").toString());

        String name = Engine.name("tls-create");
        ok(through.run("create", "--name", name, "--label", Engine.labelArg(), "--network", "none", Engine.TEST_IMAGE, "true"));
        Cli.Result labelled = onEngine().run("inspect", "--format",
                "{{index .Config.Labels \"" + TetherLabels.TIE + "\"}}", name);
        assertThat(labelled.out().strip()).as("tether labelled the create it relayed over TLS: " + labelled).isNotEmpty();

        // docker run -i: stdin to the container and its echo back, on a hijacked stream, then EOF (CloseWrite) ends it
        Cli.Result echoed = through.run("hello over tls\n".getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(60),
                "run", "-i", "--rm", "--label", Engine.labelArg(), "--network", "none", Engine.TEST_IMAGE, "cat");
        assertThat(echoed.exitCode()).as(echoed.toString()).isZero();
        assertThat(echoed.out()).isEqualTo("hello over tls\n");
        // and an exec's hijacked stream the same way
        String execIn = Engine.name("tls-exec");
        ok(through.run("run", "-d", "--name", execIn, "--label", Engine.labelArg(), "--network", "none", Engine.TEST_IMAGE,
                "sleep", "120"));
        Cli.Result exec = through.run("exec in\n".getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(60),
                "exec", "-i", execIn, "cat");
        assertThat(exec.exitCode()).as(exec.toString()).isZero();
        assertThat(exec.out()).isEqualTo("exec in\n");
        ok(through.run("rm", "-f", execIn));

        Cli.Result status = tetherCli("status", "--socket", socket.toString());
        assertThat(status.out()).as(status.toString()).contains("  upstream  " + host + ", chosen by DOCKER_HOST\n"
                + "            " + tls + "\n");
        JsonNode json = new ObjectMapper().readTree(tetherCli("status", "--json", "--socket", socket.toString()).out());
        assertThat(json.path("upstreamTls").asText()).isEqualTo(tls);

        ProcessBuilder doctor = withUserEnv(new ProcessBuilder(ReapKit.tetherCommand("doctor", "--socket", socket.toString())));
        doctor.environment().putAll(tlsEnv(certPath));
        Cli.Result checked = run(doctor);
        assertThat(checked.out().lines().toList()).as(checked.toString())
                .contains("OK    engine choice: tether relays to " + host + ", chosen by DOCKER_HOST; " + tls)
                .anySatisfy(l -> assertThat(l).startsWith("OK    engine: Docker ").endsWith(" at " + host));
    }

    @Test
    void aStubbornSessionWhoseHostIsKilledIsReapedOnTheTlsEngine() {
        ReapHost victim = ReapHost.start(Cli.NEW, socket, Engine.name("tls-host-killed"));
        hosts.add(victim);
        victim.command("send");
        victim.await("ECHO got ping");
        Cli.Result tie = onEngine().run("inspect", "--format", "{{index .Config.Labels \"" + TetherLabels.TIE + "\"}}",
                victim.name);
        assertThat(tie.out().strip()).as(tie.toString()).isEqualTo("session");

        long death = System.nanoTime();
        ReapKit.sigkill(victim.hostHandle);
        ReapKit.awaitGoneWithin(engine.socket(), victim.name, death, GRACE.plus(SLACK).plus(SLACK),
                "MCP host SIGKILL, engine over TLS");
        assertThat(tether.awaitReaped(victim.name)).contains("its host exited (pid " + victim.hostPid() + ", bash)");
    }

    @Test
    void aDockerContextWithTlsMaterialIsFollowed() throws Exception {
        // The docker CLI makes the context and copies the files into its store (contexts/tls/<sha256>/docker).
        ok(docker(Map.of(), "context", "create", "secure", "--docker", "host=" + host + ",ca=" + certs.ca()
                + ",cert=" + certs.clientCert() + ",key=" + certs.clientKey()));
        Path tlsDir = config.resolve("contexts/tls").resolve(sha256("secure")).resolve("docker");
        assertThat(tlsDir.resolve("key.pem")).as("the CLI's own layout").exists();

        Path other = dir.resolve("c.sock");
        ReapKit.Tether viaContext = up(other, Map.of("DOCKER_CONTEXT", "secure"));
        tethers.add(viaContext);
        assertThat(viaContext.awaitLog(l -> l.contains("engine: tcp://"), Duration.ofSeconds(10)))
                .endsWith("engine: " + host + ", chosen by the docker context `secure` (DOCKER_CONTEXT)");
        assertThat(viaContext.awaitLog(l -> l.contains("engine: TLS"), Duration.ofSeconds(10)))
                .endsWith("engine: TLS, verified with " + tlsDir.resolve("ca.pem") + ", client certificate "
                        + tlsDir.resolve("cert.pem") + "; from the docker context `secure` (" + tlsDir + ")");
        Cli.Result info = new Cli(Cli.NEW, other).run("info", "--format", "{{.DockerRootDir}}");
        assertThat(info.out().strip()).as(info.toString()).isEqualTo(engine.dir().resolve("data").toString());
    }

    @Test
    void aWrongCaFailsTheConnectionWithTethersJsonAnswerNeverInPlainText() throws Exception {
        TestCerts rogue = TestCerts.make(dir.resolve("rogue"), "some-other-ca", List.of("127.0.0.1"));
        Path wrongCa = clientFolder("wrong-ca", rogue.ca(), certs.clientCert(), certs.clientKey());
        Path other = dir.resolve("w.sock");
        ReapKit.Tether wrong = up(other, tlsEnv(wrongCa));
        tethers.add(wrong);

        Cli.Result version = new Cli(Cli.NEW, other).run("version", "--format", "{{.Server.Version}}");
        assertThat(version.exitCode()).as(version.toString()).isNotZero();
        // "Error response from daemon:" is how the docker CLI shows the message of a JSON error body
        assertThat(version.stderr()).as(version.toString())
                .contains("Error response from daemon: tether: the TLS handshake with the engine at " + host + " failed (")
                .contains("check that the engine's certificate is signed by the CA tether trusts and names 127.0.0.1"
                        + " in its subjectAltName (TLS, verified with " + wrongCa.resolve("ca.pem"));
    }

    @Test
    void wrongFilesStopTetherUpNamingTheFileAndWhatToDo() throws Exception {
        Path broken = clientFolder("broken", certs.ca(), certs.clientCert(), certs.clientKey());
        Files.writeString(broken.resolve("key.pem"), "not a key\n");
        Cli.Result up = refusedUp(tlsEnv(broken));
        assertThat(up.stderr()).as(up.toString()).contains("tether: the client key " + broken.resolve("key.pem")
                + " holds no PEM private key (from DOCKER_TLS_VERIFY, DOCKER_CERT_PATH=" + broken + "): give the key.pem"
                + " of the client certificate, or name another engine: tether up --upstream URL");

        Files.copy(certs.serverKey(), broken.resolve("key.pem"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertThat(refusedUp(tlsEnv(broken)).stderr()).contains("tether: " + broken.resolve("key.pem")
                + " is not the key of the certificate " + broken.resolve("cert.pem"));

        Path noCa = clientFolder("no-ca", certs.ca(), certs.clientCert(), certs.clientKey());
        Files.delete(noCa.resolve("ca.pem"));
        assertThat(refusedUp(tlsEnv(noCa)).stderr()).contains("tether: the CA certificate " + noCa.resolve("ca.pem")
                + " does not exist (from DOCKER_TLS_VERIFY, DOCKER_CERT_PATH=" + noCa + "): put the ca.pem there, or"
                + " point DOCKER_CERT_PATH (or the docker context) at the folder that has it");
    }

    // ---------------------------------------------------------------- helpers

    /** The docker CLI on the private engine's plain unix socket, past tether. */
    private static Cli onEngine() {
        return new Cli(Cli.NEW, engine.socket());
    }

    private static Map<String, String> tlsEnv(Path certFolder) {
        return Map.of("DOCKER_HOST", host, "DOCKER_TLS_VERIFY", "1", "DOCKER_CERT_PATH", certFolder.toString());
    }

    /** {@code tether up} in a user's shell with {@code env} on top: no --upstream, the docker CLI's rules choose. */
    private static ReapKit.Tether up(Path sock, Map<String, String> env) throws IOException {
        ProcessBuilder pb = withUserEnv(new ProcessBuilder(ReapKit.tetherCommand("up", "--socket", sock.toString(),
                "--audit-log", dir.resolve(sock.getFileName() + ".jsonl").toString())));
        pb.environment().putAll(env);
        return ReapKit.Tether.start(pb, sock);
    }

    private static Cli.Result refusedUp(Map<String, String> env) {
        Path sock = dir.resolve("refused.sock");
        ProcessBuilder pb = withUserEnv(new ProcessBuilder(ReapKit.tetherCommand("up", "--socket", sock.toString(),
                "--audit-log", dir.resolve("refused.jsonl").toString())));
        pb.environment().putAll(env);
        Cli.Result up = run(pb);
        assertThat(up.exitCode()).as(up.toString()).isEqualTo(1);
        assertThat(sock).as("no socket was served").doesNotExist();
        return up;
    }

    /** A DOCKER_CERT_PATH folder: the files under the names the docker CLI looks for. */
    private static Path clientFolder(String name, Path ca, Path cert, Path key) throws IOException {
        Path folder = Files.createDirectories(dir.resolve(name));
        Files.copy(ca, folder.resolve("ca.pem"));
        Files.copy(cert, folder.resolve("cert.pem"));
        Files.copy(key, folder.resolve("key.pem"));
        return folder;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static String sha256(String name) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(name.getBytes(StandardCharsets.UTF_8)));
    }

    /** The real docker CLI in the test's user shell, with {@code env} on top. */
    private static Cli.Result docker(Map<String, String> env, String... args) {
        List<String> command = new ArrayList<>(List.of(Cli.NEW));
        command.addAll(List.of(args));
        ProcessBuilder pb = withUserEnv(new ProcessBuilder(command));
        pb.environment().putAll(env);
        return run(pb);
    }

    private static Cli.Result tetherCli(String... args) {
        Cli.Result r = run(withUserEnv(new ProcessBuilder(ReapKit.tetherCommand(args))));
        System.out.println("[tether " + args[0] + "]\n" + r.out() + r.stderr());
        return r;
    }

    /** A user's shell: no DOCKER_*, the test's DOCKER_CONFIG, a temporary home. */
    private static ProcessBuilder withUserEnv(ProcessBuilder pb) {
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("DOCKER_") || k.startsWith("XDG_") || k.equals("CLAUDE_CONFIG_DIR"));
        env.put("DOCKER_CONFIG", config.toString());
        env.put("DOCKER_CLI_HINTS", "false");
        env.put("HOME", home.toString());
        return pb;
    }

    private static Cli.Result run(ProcessBuilder pb) {
        try (Cli.Running running = new Cli.Running(String.join(" ", pb.command()), pb.start())) {
            running.closeStdin();
            return running.await(Duration.ofSeconds(120));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Cli.Result ok(Cli.Result r) {
        assertThat(r.exitCode()).as(r.toString()).isZero();
        return r;
    }
}
