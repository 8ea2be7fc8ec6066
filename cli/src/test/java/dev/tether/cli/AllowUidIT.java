package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import dev.tether.process.Libc;
import dev.tether.proxy.Cli;
import dev.tether.proxy.Engine;
import dev.tether.proxy.ControlServer;

/**
 * {@code tether up --allow-uid}, as a real process (run as root), with clients of other users started under
 * {@code setpriv}. The sockets are group {@code nogroup} (mode 0660), so user {@code nobody} (65534:65534) can
 * connect and only the uid check stands in its way.
 */
@Timeout(120)
class AllowUidIT {

    private static final int NOBODY = 65534;
    private static final String REFUSAL = "tether: uid 65534 may not use this socket; allowed: 0, 12345;"
            + " ask the owner to add --allow-uid 65534";

    private static Path dir;
    private static Path journal;
    /** Allows root (itself) and 12345, not nobody. */
    private static ReapKit.Tether strict;
    /** Allows root (itself) and nobody. */
    private static ReapKit.Tether open;

    @BeforeAll
    static void up() throws IOException {
        Engine.ensureImage();
        dir = Files.createTempDirectory(Path.of("/tmp"), "tether-uid");
        Libc.chmod(dir, 0711);
        journal = dir.resolve("audit.jsonl");
        strict = ReapKit.Tether.up(dir.resolve("strict/d.sock"), "--socket-group", "nogroup", "--allow-uid", "12345",
                "--audit-log", dir.resolve("strict.jsonl").toString());
        open = ReapKit.Tether.up(dir.resolve("open/d.sock"), "--socket-group", "nogroup", "--allow-uid", "65534",
                "--allow-uid", "12346,12347", "--audit-log", journal.toString());
    }

    @AfterAll
    static void down() {
        ReapKit.tearDown("AllowUidIT", dir, strict, open);
    }

    @Test
    void anotherUidGetsOne403SayingWhatToAskForAndIsLoggedOnce() {
        Cli.Result first = UidClient.curl(NOBODY, NOBODY, strict.socket, "/_ping");
        Cli.Result second = UidClient.curl(NOBODY, NOBODY, strict.socket, "/containers/json");

        for (Cli.Result r : List.of(first, second)) {
            assertThat(r.exitCode()).as(r.toString()).isZero();
            assertThat(r.out()).startsWith("HTTP/1.1 403 Forbidden").contains("{\"message\":\"" + REFUSAL + "\"}");
        }
        strict.awaitLog(l -> l.contains("refused a connection on " + strict.socket + " from uid 65534"),
                Duration.ofSeconds(10));
        assertThat(strict.log().lines().filter(l -> l.contains("from uid 65534"))).as("logged once per uid").hasSize(1);
    }

    @Test
    void theOwnerStillGetsThrough() {
        Cli.Result ping = UidClient.curl(0, 0, strict.socket, "/_ping");
        assertThat(ping.out()).startsWith("HTTP/1.1 200 OK");
        Cli.Result version = new Cli(Cli.NEW, strict.socket).run("version", "--format", "{{.Server.Version}}");
        assertThat(version.exitCode()).as(version.toString()).isZero();
    }

    @Test
    void theDockerCliOfAnotherUidShowsTheRefusal() throws IOException {
        Path config = Files.createDirectories(dir.resolve("nobody-docker-config"));
        Files.writeString(config.resolve("config.json"), "{}");
        Libc.chmod(config, 0755);

        Cli.Result version = UidClient.run(NOBODY, NOBODY, List.of("env", "DOCKER_HOST=unix://" + strict.socket,
                "DOCKER_CONFIG=" + config, Cli.NEW, "version", "--format", "{{.Server.Version}}"));

        assertThat(version.exitCode()).as(version.toString()).isNotZero();
        assertThat(version.stderr()).contains(REFUSAL.substring("tether: ".length()));
    }

    @Test
    void theControlSocketChecksTheSameUids() {
        Path control = ControlServer.socketFor(strict.socket);

        Cli.Result refused = UidClient.curl(NOBODY, NOBODY, control, "/status");
        Cli.Result owner = UidClient.curl(0, 0, control, "/status");

        assertThat(refused.out()).startsWith("HTTP/1.1 403 Forbidden").contains(REFUSAL).doesNotContain("\"pid\"");
        assertThat(owner.out()).startsWith("HTTP/1.1 200 OK").contains("\"pid\":" + strict.pid());
    }

    @Test
    void anAllowedOtherUidCreatesAndTheJournalNamesItsUid() {
        String name = Engine.name("allowed-uid");
        // tie none: else the container goes with curl, its owner, before the test can look at it
        String body = "{\"Image\":\"" + Engine.TEST_IMAGE + "\",\"Cmd\":[\"true\"],\"Labels\":{\"" + Engine.TEST_LABEL
                + "\":\"" + Engine.RUN_ID + "\",\"dev.tether.tie\":\"none\"},\"HostConfig\":{\"NetworkMode\":\"none\"}}";

        Cli.Running curl = UidClient.start(NOBODY, NOBODY, List.of("curl", "-sS", "-i", "--unix-socket",
                open.socket.toString(), "-H", "Content-Type: application/json", "-d", body,
                "http://tether/containers/create?name=" + name));
        Cli.Result created = curl.await(Duration.ofSeconds(60));

        assertThat(created.out()).as(created.toString()).startsWith("HTTP/1.1 201");
        JsonNode labels = Engine.inspect(name).at("/Config/Labels");
        assertThat(labels.path("dev.tether.owner.pid").asText()).as("setpriv execs curl: its pid")
                .isEqualTo(Long.toString(curl.pid()));
        String id = Engine.inspect(name).path("Id").asText();
        JsonNode record = AuditItJournal.await(journal, AuditItJournal.event("create", id), "create", Duration.ofSeconds(10));
        assertThat(record.at("/owner/uid").asInt()).isEqualTo(NOBODY);
        assertThat(record.at("/owner/pid").asLong()).isEqualTo(curl.pid());
    }

    @Test
    void uidsGivenRepeatedlyAndCommaSeparatedAreAllAllowed() {
        Cli.Result refused = UidClient.curl(12345, NOBODY, open.socket, "/_ping");

        assertThat(refused.out()).startsWith("HTTP/1.1 403 Forbidden")
                .contains("allowed: 0, 12346, 12347, 65534; ask the owner to add --allow-uid 12345");
        assertThat(UidClient.curl(12347, NOBODY, open.socket, "/_ping").out()).startsWith("HTTP/1.1 200 OK");
    }

    @Test
    void tetherStatusTellsARefusedUserFromAnAbsentTether() {
        Cli.Result refused = asUser(NOBODY, NOBODY, "status", "--socket", strict.socket.toString());
        Cli.Result allowed = asUser(NOBODY, NOBODY, "status", "--socket", open.socket.toString());
        Cli.Result absent = asUser(NOBODY, NOBODY, "status", "--socket", dir.resolve("none/d.sock").toString());

        assertThat(refused.out()).as(refused.toString())
                .isEqualTo("tether on " + strict.socket + " refuses you: " + REFUSAL.substring("tether: ".length()) + "\n");
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(allowed.out()).as(allowed.toString()).startsWith("tether is running (pid " + open.pid() + ", since ");
        assertThat(allowed.exitCode()).isZero();
        assertThat(absent.out()).as(absent.toString()).startsWith("tether is not running on " + dir.resolve("none/d.sock"));
        assertThat(absent.exitCode()).isEqualTo(3);
    }

    @Test
    void aUserOutsideTheSocketGroupIsToldToAskForTheGroup() {
        // gid 12345: not nogroup, so the socket's folder (0750, nogroup) keeps this user out before tether sees it
        Cli.Result status = asUser(NOBODY, 12345, "status", "--socket", strict.socket.toString());

        assertThat(status.out()).as(status.toString()).startsWith("tether on " + strict.socket + " refuses you: uid 65534"
                + " may not connect to " + ControlServer.socketFor(strict.socket) + " (")
                .endsWith("); ask its owner to let you in: tether up --socket-group GROUP, a group you are in"
                        + " (and --allow-uid 65534 if it names users)\n");
        assertThat(status.exitCode()).isEqualTo(1);
    }

    @Test
    void tetherPsAndDoctorSayTheRefusal() {
        String engineThroughOpen = "unix://" + open.socket;

        Cli.Result ps = asUser(NOBODY, NOBODY, "ps", "--socket", strict.socket.toString(), "--upstream", engineThroughOpen);
        Cli.Result doctor = asUser(NOBODY, NOBODY, "doctor", "--socket", strict.socket.toString(), "--upstream", engineThroughOpen);

        assertThat(ps.out()).as(ps.toString()).startsWith("CONTAINER ").contains("(ATTACHED is unknown: the tether on "
                + strict.socket + " refuses you: " + REFUSAL.substring("tether: ".length()) + ")");
        assertThat(ps.exitCode()).isZero();
        List<String> lines = doctor.out().lines().toList();
        String line = "FAIL  tether on " + strict.socket + " refuses you: " + REFUSAL.substring("tether: ".length());
        assertThat(lines).as(doctor.toString()).contains(line);
        assertThat(lines.get(lines.indexOf(line) + 1))
                .isEqualTo("      fix: ask its owner for access, or run your own: tether up --socket PATH");
        assertThat(doctor.exitCode()).isEqualTo(1);
    }

    /** A tether command (the packaged jar) run as {@code uid}:{@code gid}. */
    private static Cli.Result asUser(int uid, int gid, String... args) {
        Cli.Result result = UidClient.run(uid, gid, ReapKit.tetherCommand(args));
        System.out.println("[tether " + String.join(" ", args) + " as " + uid + ":" + gid + "]\n" + result.out() + result.stderr());
        return result;
    }
}
