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

    private static Tie choose(TiePolicy policy, Optional<String> requested, boolean stdioSession, Caller caller) {
        return policy.choose(new TiePolicy.Intent(requested, stdioSession, "", false), caller).tie();
    }

    @Test
    void forcedTieWinsOverEverything() {
        TiePolicy forced = new TiePolicy(Optional.of(Tie.HOST));

        assertThat(choose(forced, Optional.of("none"), true, cli("/usr/bin/docker"))).isEqualTo(Tie.HOST);
        assertThat(choose(forced, Optional.of("bogus"), false, JAVA)).isEqualTo(Tie.HOST);
    }

    @ParameterizedTest
    @ValueSource(strings = {"session", "owner", "host", "none"})
    void requestedTieWinsOverStdinAndExe(String label) {
        assertThat(choose(policy, Optional.of(label), true, cli("/usr/bin/docker"))).isEqualTo(Tie.fromLabel(label).get());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "Session", "OWNER", "forever", " none"})
    void unknownRequestedTieIsRefused(String label) {
        assertThatThrownBy(() -> choose(policy, Optional.of(label), false, JAVA))
                .isInstanceOf(Refusal.class)
                .hasMessage("label dev.tether.tie must be one of session, owner, host, none, not '" + label + "'");
    }

    @Test
    void stdioSessionWinsOverExe() {
        assertThat(choose(policy, Optional.empty(), true, cli("/usr/bin/docker"))).isEqualTo(Tie.SESSION);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/usr/bin/docker", "/usr/libexec/docker/cli-plugins/docker-compose", "/usr/local/bin/docker-compose",
            "/usr/libexec/docker/cli-plugins/docker-buildx", "/Applications/Docker.app/com.docker.cli",
            "/usr/bin/podman", "/usr/local/bin/nerdctl", "/usr/bin/docker (deleted)", "docker"})
    void cliGetsNone(String exe) {
        assertThat(choose(policy, Optional.empty(), false, cli(exe))).isEqualTo(Tie.NONE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/usr/lib/jvm/temurin-25/bin/java", "/usr/bin/python3.11", "/opt/docker/bin/java",
            "/usr/bin/dockerd", "/usr/bin/my-docker", ""})
    void anythingElseGetsOwner(String exe) {
        assertThat(choose(policy, Optional.empty(), false, cli(exe))).isEqualTo(Tie.OWNER);
    }

    @Test
    void unknownOwnerGetsNoneButAStdioSessionStaysASession() {
        Caller unknown = new Caller(ProcessId.UNKNOWN, ProcessId.UNKNOWN);

        assertThat(choose(policy, Optional.empty(), false, unknown)).isEqualTo(Tie.NONE);
        assertThat(choose(policy, Optional.empty(), true, unknown)).isEqualTo(Tie.SESSION);
    }

    @Test
    void composeV1RunByPythonIsRecognisedByItsCommandLine() {
        Caller compose = new Caller(new ProcessId(30, 40, "/usr/bin/python3.11"), ProcessId.UNKNOWN,
                List.of("/usr/bin/python3", "/usr/bin/docker-compose", "up", "-d"));

        assertThat(choose(policy, Optional.empty(), false, compose)).isEqualTo(Tie.NONE);
    }

    @Test
    void aScriptNamedAfterNoCliGetsOwner() {
        Caller script = new Caller(new ProcessId(30, 40, "/usr/bin/python3.11"), ProcessId.UNKNOWN,
                List.of("python3", "tests.py", "docker"));

        assertThat(choose(policy, Optional.empty(), false, script)).isEqualTo(Tie.OWNER);
    }

    private static Caller cli(String exe) {
        return new Caller(new ProcessId(30, 40, exe), ProcessId.UNKNOWN);
    }

    @ParameterizedTest
    @ValueSource(strings = {"always", "unless-stopped", "on-failure"})
    void aRestartPolicyMeansTheContainerOutlivesItsCreator(String restart) {
        TieChoice choice = policy.choose(new TiePolicy.Intent(Optional.empty(), true, restart, false), JAVA);

        assertThat(choice.tie()).isEqualTo(Tie.NONE);
        assertThat(choice.toString()).isEqualTo("tie=none: a restart policy (" + restart
                + ") says the container outlives whoever created it");
    }

    @Test
    void restartPolicyNoIsNoRestartPolicy() {
        assertThat(policy.choose(new TiePolicy.Intent(Optional.empty(), false, "no", false), JAVA).tie()).isEqualTo(Tie.OWNER);
    }

    @Test
    void theClientsLabelWinsOverARestartPolicy() {
        assertThat(policy.choose(new TiePolicy.Intent(Optional.of("owner"), false, "always", false), JAVA).toString())
                .isEqualTo("tie=owner: the client asked for it with the label dev.tether.tie");
    }

    @Test
    void aTestcontainersSessionTiesToItsProcessEvenWithStdinOpen() {
        Caller tc = new Caller(JAVA.owner(), ProcessId.UNKNOWN, List.of("java"), Optional.of("3f2c"));

        TieChoice byHeader = policy.choose(new TiePolicy.Intent(Optional.empty(), true, "", false), tc);
        TieChoice byLabels = policy.choose(new TiePolicy.Intent(Optional.empty(), true, "", true), JAVA);

        assertThat(byHeader.toString()).isEqualTo("tie=owner: a Testcontainers session (3f2c) in java: its containers end with that process");
        assertThat(byLabels.toString()).isEqualTo("tie=owner: a Testcontainers session in java: its containers end with that process");
    }

    @Test
    void everyChoiceSaysWhyInAUsersWords() {
        Caller python = new Caller(new ProcessId(30, 40, "/usr/bin/python3.11"), ProcessId.UNKNOWN,
                List.of("python3", "deploy.py"));
        Caller compose = new Caller(new ProcessId(30, 40, "/usr/bin/python3.11"), ProcessId.UNKNOWN,
                List.of("/usr/bin/python3", "/usr/bin/docker-compose", "up", "-d"));
        TiePolicy.Intent detached = new TiePolicy.Intent(Optional.empty(), false, "", false);

        assertThat(policy.choose(detached, python).toString())
                .isEqualTo("tie=owner: an SDK client (python3.11) created a detached container without a restart policy:"
                        + " it ends with that process");
        assertThat(policy.choose(detached, compose).toString())
                .isEqualTo("tie=none: a CLI (docker-compose) created a detached container: docker run -d and compose up -d"
                        + " outlive the CLI");
        assertThat(policy.choose(new TiePolicy.Intent(Optional.empty(), true, "", false), cli("/usr/bin/docker")).toString())
                .isEqualTo("tie=session: docker created a container with stdin attached and open (docker run -i, a stdio"
                        + " MCP server): it ends with that session");
        assertThat(new TiePolicy(Optional.of(Tie.HOST)).choose(detached, python).toString())
                .isEqualTo("tie=host: tether up --tie host forces it on this socket");
    }
}
