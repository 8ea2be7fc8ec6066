package dev.tether.labeler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TiePolicyTest {

    private static final Caller JAVA = new Caller(new ProcessId(10, 20, "/usr/lib/jvm/temurin-25/bin/java"), ProcessId.UNKNOWN);
    private final TiePolicy policy = new TiePolicy(Optional.empty());

    @Test
    void forcedTieWinsOverEverything() {
        TiePolicy forced = new TiePolicy(Optional.of(Tie.HOST));

        assertThat(forced.choose(Optional.of("none"), true, cli("/usr/bin/docker"))).isEqualTo(Tie.HOST);
        assertThat(forced.choose(Optional.of("bogus"), false, JAVA)).isEqualTo(Tie.HOST);
    }

    @ParameterizedTest
    @ValueSource(strings = {"session", "owner", "host", "none"})
    void requestedTieWinsOverStdinAndExe(String label) {
        assertThat(policy.choose(Optional.of(label), true, cli("/usr/bin/docker"))).isEqualTo(Tie.fromLabel(label).get());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "Session", "OWNER", "forever", " none"})
    void unknownRequestedTieIsRefused(String label) {
        assertThatThrownBy(() -> policy.choose(Optional.of(label), false, JAVA))
                .isInstanceOf(Refusal.class)
                .hasMessage("label dev.tether.tie must be one of session, owner, host, none, not '" + label + "'");
    }

    @Test
    void stdioSessionWinsOverExe() {
        assertThat(policy.choose(Optional.empty(), true, cli("/usr/bin/docker"))).isEqualTo(Tie.SESSION);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/usr/bin/docker", "/usr/libexec/docker/cli-plugins/docker-compose", "/usr/local/bin/docker-compose",
            "/usr/libexec/docker/cli-plugins/docker-buildx", "/Applications/Docker.app/com.docker.cli",
            "/usr/bin/podman", "/usr/local/bin/nerdctl", "/usr/bin/docker (deleted)", "docker"})
    void cliGetsNone(String exe) {
        assertThat(policy.choose(Optional.empty(), false, cli(exe))).isEqualTo(Tie.NONE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/usr/lib/jvm/temurin-25/bin/java", "/usr/bin/python3.11", "/opt/docker/bin/java",
            "/usr/bin/dockerd", "/usr/bin/my-docker", ""})
    void anythingElseGetsOwner(String exe) {
        assertThat(policy.choose(Optional.empty(), false, cli(exe))).isEqualTo(Tie.OWNER);
    }

    @Test
    void unknownOwnerGetsNoneButAStdioSessionStaysASession() {
        Caller unknown = new Caller(ProcessId.UNKNOWN, ProcessId.UNKNOWN);

        assertThat(policy.choose(Optional.empty(), false, unknown)).isEqualTo(Tie.NONE);
        assertThat(policy.choose(Optional.empty(), true, unknown)).isEqualTo(Tie.SESSION);
    }

    @Test
    void composeV1RunByPythonIsRecognisedByItsCommandLine() {
        Caller compose = new Caller(new ProcessId(30, 40, "/usr/bin/python3.11"), ProcessId.UNKNOWN,
                List.of("/usr/bin/python3", "/usr/bin/docker-compose", "up", "-d"));

        assertThat(policy.choose(Optional.empty(), false, compose)).isEqualTo(Tie.NONE);
    }

    @Test
    void aScriptNamedAfterNoCliGetsOwner() {
        Caller script = new Caller(new ProcessId(30, 40, "/usr/bin/python3.11"), ProcessId.UNKNOWN,
                List.of("python3", "tests.py", "docker"));

        assertThat(policy.choose(Optional.empty(), false, script)).isEqualTo(Tie.OWNER);
    }

    private static Caller cli(String exe) {
        return new Caller(new ProcessId(30, 40, exe), ProcessId.UNKNOWN);
    }
}
