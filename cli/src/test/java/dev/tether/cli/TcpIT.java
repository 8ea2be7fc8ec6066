package dev.tether.cli;

import static dev.tether.cli.ReapKit.GRACE;
import static dev.tether.cli.ReapKit.SLACK;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import dev.tether.proxy.Cli;
import dev.tether.proxy.Engine;

/**
 * {@code tether up --tcp}, as a real process: loopback without TLS, where clients are still found by process and
 * reaped; any other address only with TLS and client certificates, where a remote client has no process to tie to.
 */
@Timeout(180)
class TcpIT {

    private static final Pattern LISTENING = Pattern.compile("listening on tcp://[^ ]*:(\\d+) ");

    private static Path dir;
    private static TestCerts certs;
    private static TestCerts rogue;
    private static String lanIp;
    /** --tcp 127.0.0.1:0, no TLS, --allow-uid 12345. */
    private static ReapKit.Tether loopback;
    private static int loopbackPort;
    /** --tcp 0.0.0.0:0 with TLS. */
    private static ReapKit.Tether tls;
    private static int tlsPort;

    private final List<Cli.Running> clis = new ArrayList<>();
    private final List<Launched> launched = new ArrayList<>();

    @BeforeAll
    static void up() throws IOException {
        Engine.ensureImage();
        dir = Files.createTempDirectory(Path.of("/tmp"), "tether-tcp");
        lanIp = nonLoopbackIpv4();
        certs = TestCerts.make(dir.resolve("certs"), "tether-test-ca", List.of("127.0.0.1", lanIp));
        rogue = TestCerts.make(dir.resolve("rogue"), "some-other-ca", List.of("127.0.0.1", lanIp));
        loopback = ReapKit.Tether.up(dir.resolve("l.sock"), "--tcp", "127.0.0.1:0", "--allow-uid", "12345",
                "--audit-log", dir.resolve("l.jsonl").toString());
        loopbackPort = port(loopback);
        tls = ReapKit.Tether.up(dir.resolve("t.sock"), "--tcp", "0.0.0.0:0", "--tls-cert", certs.serverCert().toString(),
                "--tls-key", certs.serverKey().toString(), "--tls-ca", certs.ca().toString(),
                "--audit-log", dir.resolve("t.jsonl").toString());
        tlsPort = port(tls);
    }

    @AfterEach
    void endClients() {
        clis.forEach(Cli.Running::close);
        launched.forEach(l -> l.process.destroyForcibly());
    }

    @AfterAll
    static void down() {
        ReapKit.tearDown("TcpIT", dir, loopback, tls);
    }

    static Stream<String> clis() {
        return Cli.binaries();
    }

    // ---------------------------------------------------------------- loopback, no TLS

    @ParameterizedTest(name = "{0}")
    @MethodSource("clis")
    void aDockerRunOverLoopbackTcpIsLabelledWithTheCliAndReapedWhenTheCliIsKilled(String binary) {
        Cli.requireInstalled(binary);
        String name = Engine.name("tcp-session");
        Cli.Running cli = start(new Cli(binary, loopback.socket).withEnv("DOCKER_HOST", "tcp://127.0.0.1:" + loopbackPort),
                "run", "-i", "--rm", "--name", name, "--label", Engine.labelArg(), "--network", "none",
                Engine.TEST_IMAGE, "sh", "-c", ReapKit.STUBBORN_SERVER);
        cli.awaitStdout("ready", Duration.ofSeconds(60));

        JsonNode labels = Engine.inspect(name).at("/Config/Labels");
        assertThat(labels.path("dev.tether.owner.pid").asText()).as("the CLI, found through /proc/net/tcp")
                .isEqualTo(Long.toString(cli.pid()));
        assertThat(labels.path("dev.tether.owner.exe").asText()).isEqualTo(binary);
        assertThat(labels.path("dev.tether.host.pid").asText()).isEqualTo(Long.toString(ProcessHandle.current().pid()));
        assertThat(labels.path("dev.tether.tie").asText()).isEqualTo("session");

        long death = System.nanoTime();
        ReapKit.sigkill(cli.process().toHandle());

        ReapKit.awaitGoneWithin(name, death, GRACE.plus(SLACK), "docker CLI over loopback TCP SIGKILL [" + binary + "]");
        assertThat(loopback.awaitReaped(name)).containsAnyOf("its owner exited (pid " + cli.pid(),
                "its stdin session ended (pid " + cli.pid());
    }

    @Test
    void stdinEndsAndOutputComesBackOverLoopbackTcp() {
        Cli cli = new Cli(Cli.NEW, loopback.socket).withEnv("DOCKER_HOST", "tcp://127.0.0.1:" + loopbackPort);

        Cli.Result cat = cli.run("hi\n".getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(60), "run", "-i", "--rm",
                "--label", Engine.labelArg(), "--network", "none", Engine.TEST_IMAGE, "cat");

        assertThat(cat.exitCode()).as(cat.toString()).isZero();
        assertThat(cat.out()).isEqualTo("hi\n");
    }

    @Test
    void aLoopbackClientOfAnotherUidIsCheckedByUid() {
        Cli.Result refused = UidClient.run(65534, 65534, List.of("curl", "-sS", "-i",
                "http://127.0.0.1:" + loopbackPort + "/_ping"));

        assertThat(refused.out()).as(refused.toString()).startsWith("HTTP/1.1 403 Forbidden")
                .contains("tether: uid 65534 may not use this socket; allowed: 0, 12345; ask the owner to add --allow-uid 65534");
        loopback.awaitLog(l -> l.contains("refused a connection on tcp://127.0.0.1:" + loopbackPort + " from uid 65534"),
                Duration.ofSeconds(10));
    }

    // ---------------------------------------------------------------- refusals

    @Test
    void aWildcardAddressWithoutTlsIsRefusedAndNothingIsCreated() throws Exception {
        Path socket = dir.resolve("refused.sock");

        Launched tether = upRefused(socket, "--tcp", "0.0.0.0:0");

        assertThat(tether.stderr()).contains("refusing --tcp 0.0.0.0:0 without TLS: that address is reachable from"
                + " other machines, and whoever reaches it commands the Docker engine, which is root on this host;"
                + " give --tls-cert, --tls-key and --tls-ca");
        assertThat(Files.exists(socket, LinkOption.NOFOLLOW_LINKS)).isFalse();
    }

    @Test
    void tlsOptionsWithoutTheCaAreRefused() throws Exception {
        Launched tether = upRefused(dir.resolve("refused2.sock"), "--tcp", "0.0.0.0:0",
                "--tls-cert", certs.serverCert().toString(), "--tls-key", certs.serverKey().toString());

        assertThat(tether.stderr()).contains("TLS on --tcp needs all of --tls-cert, --tls-key and --tls-ca");
    }

    // ---------------------------------------------------------------- TLS

    @Test
    void aClientWithACertificateFromTheCaIsServed() {
        Cli.Result version = tlsCli(certs, "127.0.0.1").run("version", "--format", "{{.Server.Version}}");

        assertThat(version.exitCode()).as(version.toString()).isZero();
        assertThat(version.out().strip()).isNotEmpty();
    }

    @Test
    void aRemoteTlsClientsContainerIsLabelledWithNoOwnerAndTieNone() {
        String name = Engine.name("tcp-remote");

        Cli.Result run = tlsCli(certs, lanIp).run("run", "-d", "--name", name, "--label", Engine.labelArg(),
                "--network", "none", Engine.TEST_IMAGE, "sleep", "60");

        assertThat(run.exitCode()).as(run.toString()).isZero();
        JsonNode labels = Engine.inspect(name).at("/Config/Labels");
        assertThat(labels.path("dev.tether.owner.pid").asText()).isEqualTo("0");
        assertThat(labels.path("dev.tether.tie").asText()).as("nothing to tie to: audited, never reaped").isEqualTo("none");
        tls.awaitLog(l -> l.contains("a remote client (/" + lanIp + ":"), Duration.ofSeconds(10));
    }

    @Test
    void stdinEndsAndOutputComesBackOverTls() {
        Cli.Result cat = tlsCli(certs, "127.0.0.1").run("hi\n".getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(60),
                "run", "-i", "--rm", "--label", Engine.labelArg(), "--network", "none", Engine.TEST_IMAGE, "cat");

        assertThat(cat.exitCode()).as(cat.toString()).isZero();
        assertThat(cat.out()).isEqualTo("hi\n");
    }

    @Test
    void anRsaKeyInPkcs1IsReadToo() throws Exception {
        Path[] rsa = certs.rsaPkcs1Server(List.of("127.0.0.1"));
        assertThat(Files.readString(rsa[1])).startsWith("-----BEGIN RSA PRIVATE KEY-----");
        ReapKit.Tether withRsa = ReapKit.Tether.up(dir.resolve("r.sock"), "--tcp", "127.0.0.1:0",
                "--tls-cert", rsa[0].toString(), "--tls-key", rsa[1].toString(), "--tls-ca", certs.ca().toString(),
                "--audit-log", dir.resolve("r.jsonl").toString());
        try {
            Cli.Result version = new Cli(Cli.NEW, withRsa.socket).withEnv("DOCKER_HOST", "tcp://127.0.0.1:" + port(withRsa))
                    .withEnv("DOCKER_TLS_VERIFY", "1").withEnv("DOCKER_CERT_PATH", certPath(certs).toString())
                    .run("version", "--format", "{{.Server.Version}}");

            assertThat(version.exitCode()).as(version.toString()).isZero();
        } finally {
            withRsa.close();
        }
    }

    @Test
    void aClientWithoutACertificateIsRejectedAtTheHandshake() {
        Cli.Result docker = new Cli(Cli.NEW, tls.socket).withEnv("DOCKER_HOST", "tcp://127.0.0.1:" + tlsPort)
                .run("--tlsverify", "--tlscacert", certs.ca().toString(), "version", "--format", "{{.Server.Version}}");
        Cli.Result curl = UidClient.run(0, 0, List.of("curl", "-sS", "-i", "--cacert", certs.ca().toString(),
                "https://127.0.0.1:" + tlsPort + "/_ping"));

        assertThat(docker.exitCode()).as(docker.toString()).isNotZero();
        assertThat(docker.stderr()).contains("tls: certificate required");
        assertThat(curl.exitCode()).as(curl.toString()).isNotZero();
        assertThat(curl.out()).as("no HTTP answer").doesNotContain("HTTP/");
        assertThat(curl.stderr()).contains("alert certificate required");
    }

    @Test
    void aClientWithACertificateFromAnotherCaIsRejected() {
        Cli.Result docker = new Cli(Cli.NEW, tls.socket).withEnv("DOCKER_HOST", "tcp://127.0.0.1:" + tlsPort)
                .run("--tlsverify", "--tlscacert", certs.ca().toString(), "--tlscert", rogue.clientCert().toString(),
                        "--tlskey", rogue.clientKey().toString(), "version", "--format", "{{.Server.Version}}");

        assertThat(docker.exitCode()).as(docker.toString()).isNotZero();
        assertThat(docker.stderr()).contains("remote error: tls: ");
    }

    // ---------------------------------------------------------------- helpers

    private Cli tlsCli(TestCerts c, String host) {
        return new Cli(Cli.NEW, tls.socket).withEnv("DOCKER_HOST", "tcp://" + host + ":" + tlsPort)
                .withEnv("DOCKER_TLS_VERIFY", "1").withEnv("DOCKER_CERT_PATH", certPath(c).toString());
    }

    /** DOCKER_CERT_PATH wants ca.pem, cert.pem and key.pem in one folder. */
    private static Path certPath(TestCerts c) {
        Path p = c.ca().resolveSibling("docker");
        try {
            if (!Files.isDirectory(p)) {
                Files.createDirectories(p);
                Files.copy(c.ca(), p.resolve("ca.pem"));
                Files.copy(c.clientCert(), p.resolve("cert.pem"));
                Files.copy(c.clientKey(), p.resolve("key.pem"));
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return p;
    }

    private Cli.Running start(Cli cli, String... args) {
        Cli.Running r = cli.start(args);
        clis.add(r);
        return r;
    }

    private Launched upRefused(Path socket, String... args) throws Exception {
        List<String> command = new ArrayList<>(ReapKit.tetherCommand("up", "--socket", socket.toString(),
                "--upstream", Engine.endpoint().uri(), "--audit-log", dir.resolve("refused.jsonl").toString()));
        command.addAll(List.of(args));
        Launched tether = new Launched(new ProcessBuilder(command).start(), true);
        launched.add(tether);
        assertThat(tether.process.waitFor(60, TimeUnit.SECONDS)).as("tether exits").isTrue();
        assertThat(tether.exitCode()).as(tether.stderr()).isEqualTo(1);
        return tether;
    }

    @Test
    void tetherStatusShowsTheTcpAddressAndWhetherItNeedsTls() throws IOException {
        assertThat(status(loopback).out()).contains("  tcp       tcp://127.0.0.1:" + loopbackPort + " (loopback, no TLS)");
        // 0.0.0.0 is bound dual-stack, as every address: the kernel names it [::]
        assertThat(status(tls).out()).containsPattern("  tcp       tcp://(0\\.0\\.0\\.0|\\[::]):" + tlsPort
                + " \\(TLS, client certificates required\\)");
    }

    private static Cli.Result status(ReapKit.Tether t) throws IOException {
        List<String> command = ReapKit.tetherCommand("status", "--socket", t.socket.toString());
        try (Cli.Running running = new Cli.Running(String.join(" ", command), new ProcessBuilder(command).start())) {
            Cli.Result result = running.await(Duration.ofSeconds(60));
            assertThat(result.exitCode()).as(result.toString()).isZero();
            return result;
        }
    }

    private static int port(ReapKit.Tether t) {
        Matcher m = LISTENING.matcher(t.awaitLog(l -> LISTENING.matcher(l).find(), Duration.ofSeconds(10)));
        assertThat(m.find()).isTrue();
        return Integer.parseInt(m.group(1));
    }

    private static String nonLoopbackIpv4() throws SocketException {
        return NetworkInterface.networkInterfaces()
                .filter(i -> {
                    try {
                        return i.isUp() && !i.isLoopback();
                    } catch (SocketException e) {
                        return false;
                    }
                })
                .flatMap(NetworkInterface::inetAddresses)
                .filter(a -> a instanceof Inet4Address)
                .map(InetAddress::getHostAddress)
                .findFirst()
                .orElseThrow(() -> new AssertionError("this machine has no non-loopback IPv4 address to dial tether's"
                        + " TLS port as a remote client would"));
    }
}
