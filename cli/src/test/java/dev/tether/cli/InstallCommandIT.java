package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import dev.tether.proxy.Cli;
import dev.tether.proxy.Engine;

/**
 * {@code tether install} and {@code uninstall} through the real launcher, with HOME, XDG_CONFIG_HOME and
 * XDG_RUNTIME_DIR in a temporary folder: systemctl then finds no user manager, here or on a desktop with systemd, so
 * the test never touches a real one.
 */
@Timeout(300)
class InstallCommandIT {

    private Path home;
    private Path unit;
    private Path socket;

    @BeforeEach
    void makeHome() throws IOException {
        home = Files.createTempDirectory(Path.of("/tmp"), "tether-home");
        unit = home.resolve("config/systemd/user/tether.service");
        socket = home.resolve("run/tether/docker.sock");
        Files.createDirectories(home.resolve("run"));
    }

    @AfterEach
    void removeHome() throws IOException {
        try (Stream<Path> paths = Files.walk(home)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void installWritesTheUnitSaysSystemdIsNotThereAndPrintsTheProfileLineOnly() throws Exception {
        Cli.Result install = tether("install");

        assertThat(install.exitCode()).as(install.toString()).isZero();
        Path launcher = Engine.root().resolve("tether").toRealPath();
        assertThat(Files.readString(unit).lines()).contains(
                "ExecStart=" + launcher + " up --socket " + socket,
                "Restart=on-failure",
                "KillSignal=SIGTERM",
                "TimeoutStopSec=30",
                "WantedBy=default.target");
        assertThat(install.out())
                .contains("wrote " + unit)
                .contains("not running or not reachable here")
                .contains("systemctl --user daemon-reload && systemctl --user enable --now tether.service")
                .contains("export DOCKER_HOST=unix://" + socket);
        assertThat(filesUnder(home)).as("only the unit: no shell profile is written").containsExactly(unit);
    }

    @Test
    void aSecondInstallChangesNothingAndUninstallRemovesTheUnitAndTheEnableLink() throws Exception {
        assertThat(tether("install").exitCode()).isZero();
        String content = Files.readString(unit);
        FileTime written = FileTime.fromMillis(Files.getLastModifiedTime(unit).toMillis() - 60_000);
        Files.setLastModifiedTime(unit, written); // any rewrite would show, however fast

        Cli.Result again = tether("install");

        assertThat(again.exitCode()).as(again.toString()).isZero();
        assertThat(again.out()).contains(unit + " is up to date");
        assertThat(Files.readString(unit)).isEqualTo(content);
        assertThat(Files.getLastModifiedTime(unit)).isEqualTo(written);

        // what `systemctl --user enable` leaves, had a user manager run
        Path wants = unit.resolveSibling("default.target.wants/tether.service");
        Files.createDirectories(wants.getParent());
        Files.createSymbolicLink(wants, unit);

        Cli.Result uninstall = tether("uninstall");

        assertThat(uninstall.exitCode()).as(uninstall.toString()).isZero();
        assertThat(uninstall.out()).contains("removed " + unit).contains("systemctl --user disable --now tether.service");
        assertThat(filesUnder(home)).isEmpty();
        assertThat(Files.exists(wants, java.nio.file.LinkOption.NOFOLLOW_LINKS)).isFalse();

        Cli.Result twice = tether("uninstall");
        assertThat(twice.exitCode()).isZero();
        assertThat(twice.out()).contains("nothing to remove");
    }

    @Test
    void dryRunShowsTheUnitAndWritesNothing() throws Exception {
        Cli.Result dry = tether("install", "--dry-run");

        assertThat(dry.exitCode()).as(dry.toString()).isZero();
        assertThat(dry.out()).contains("would write " + unit).contains("Restart=on-failure")
                .contains("would run: systemctl --user daemon-reload")
                .contains("export DOCKER_HOST=unix://" + socket);
        assertThat(filesUnder(home)).isEmpty();

        assertThat(tether("install", "--no-start").exitCode()).isZero();
        Cli.Result dryUninstall = tether("uninstall", "--dry-run");
        assertThat(dryUninstall.out()).contains("would remove " + unit);
        assertThat(Files.exists(unit)).isTrue();
    }

    @Test
    void aDockerHostThatIsNotTetherBecomesTheServicesUpstream() throws Exception {
        Cli.Result install = tether(List.of("DOCKER_HOST=tcp://127.0.0.1:2375"), "install", "--no-start");

        assertThat(install.exitCode()).as(install.toString()).isZero();
        assertThat(Files.readString(unit)).contains(" up --socket " + socket + " --upstream tcp://127.0.0.1:2375\n");
        assertThat(install.out()).doesNotContain("systemctl");
    }

    /** The service is not started from this shell: the TLS variables the engine was read with are written down too. */
    @Test
    void aTlsEngineFromTheEnvironmentGoesIntoTheServiceWithItsVariables() throws Exception {
        TestCerts certs = TestCerts.make(home.resolve("certs-made"), "tether-install-ca", List.of("127.0.0.1"));
        Path certPath = Files.createDirectories(home.resolve("my certs"));
        Files.copy(certs.ca(), certPath.resolve("ca.pem"));
        Files.copy(certs.clientCert(), certPath.resolve("cert.pem"));
        Files.copy(certs.clientKey(), certPath.resolve("key.pem"));

        Cli.Result install = tether(List.of("DOCKER_HOST=tcp://127.0.0.1:2376", "DOCKER_TLS_VERIFY=1",
                "DOCKER_CERT_PATH=" + certPath), "install", "--no-start");

        assertThat(install.exitCode()).as(install.toString()).isZero();
        String written = Files.readString(unit);
        assertThat(written.lines()).containsSubsequence(
                "Environment=\"DOCKER_CERT_PATH=" + certPath + "\"", "Environment=\"DOCKER_TLS_VERIFY=1\"");
        assertThat(written).contains(" up --socket " + socket + " --upstream tcp://127.0.0.1:2376\n");
    }

    /** A context named by DOCKER_CONTEXT is written down by name: the service reads its endpoint and TLS itself. */
    @Test
    void aContextFromDockerContextIsWrittenDownByName() throws Exception {
        Path meta = Files.createDirectories(home.resolve(".docker/contexts/meta").resolve(sha256Hex("alt"))).resolve("meta.json");
        Files.writeString(meta, "{\"Name\":\"alt\",\"Metadata\":{},\"Endpoints\":{\"docker\":{\"Host\":\"unix:///run/alt/docker.sock\",\"SkipTLSVerify\":false}}}");

        Cli.Result install = tether(List.of("DOCKER_CONTEXT=alt"), "install", "--no-start");

        assertThat(install.exitCode()).as(install.toString()).isZero();
        String written = Files.readString(unit);
        assertThat(written.lines()).contains("Environment=\"DOCKER_CONTEXT=alt\"");
        assertThat(written).doesNotContain("--upstream");
    }

    private static String sha256Hex(String s) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    private Cli.Result tether(String... args) {
        return tether(List.of(), args);
    }

    private Cli.Result tether(List<String> env, String... args) {
        List<String> command = new ArrayList<>(List.of(Engine.root().resolve("tether").toString()));
        command.addAll(List.of(args));
        var pb = new ProcessBuilder(command).directory(home.toFile());
        var e = pb.environment();
        e.keySet().removeIf(k -> k.startsWith("DOCKER_") || k.startsWith("DBUS_") || k.startsWith("XDG_"));
        e.put("HOME", home.toString());
        e.put("XDG_CONFIG_HOME", home.resolve("config").toString());
        e.put("XDG_RUNTIME_DIR", home.resolve("run").toString());
        for (String kv : env) {
            e.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        }
        try (Cli.Running running = new Cli.Running(String.join(" ", command), pb.start())) {
            return running.await(Duration.ofSeconds(240)); // the first call may record the AOT cache
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    private static List<Path> filesUnder(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            return paths.filter(p -> !Files.isDirectory(p)).toList();
        }
    }
}
