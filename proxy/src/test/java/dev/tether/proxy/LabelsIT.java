package dev.tether.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.HostConfig;
import dev.tether.docker.DockerClients;
import dev.tether.docker.Endpoint;
import dev.tether.labeler.TetherLabels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The owner labels on containers created through tether, read back from the engine directly: who created the
 * container (pid, start time, binary), its parent, the tie mode each kind of client gets, and tether's instance.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LabelsIT {

    @RegisterExtension
    static final TetherExtension tether = new TetherExtension();

    private static final Duration QUICK = Duration.ofSeconds(30);
    private static final long JVM = ProcessHandle.current().pid();

    /** Field 22 of /proc/PID/stat: the start time in clock ticks since boot. */
    static String startTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] afterComm = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return afterComm[22 - 3]; // afterComm[0] is field 3
    }

    static String exe(long pid) throws IOException {
        return Path.of("/proc/" + pid + "/exe").toRealPath().toString();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tether.proxy.Cli#binaries")
    void anInteractiveRunIsTiedToItsSessionAndOwnedByTheCli(String binary) throws IOException {
        String name = Engine.name("session");
        JsonNode created;
        long cliPid;
        String cliStart;
        try (Cli.Running r = tether.cli(binary).start("run", "-i", "--name", name, "--label", Engine.labelArg(),
                "--network", "none", Engine.TEST_IMAGE, "sh", "-c", "echo up; cat")) {
            r.awaitStdout("up\n", QUICK);
            cliPid = r.pid();
            cliStart = startTicks(cliPid);
            created = Engine.inspect(name);

            r.write("still-attached\n");
            r.awaitStdout("still-attached", QUICK);
            r.closeStdin();
            Cli.Result result = r.await(QUICK);
            assertThat(result.exitCode()).as(result.describe()).isZero();
            assertThat(result.out()).isEqualTo("up\nstill-attached\n");
        }
        JsonNode labels = created.at("/Config/Labels");
        assertThat(labels.path(TetherLabels.OWNER_PID).asText()).as(labels.toString()).isEqualTo(Long.toString(cliPid));
        assertThat(labels.path(TetherLabels.OWNER_START).asText()).as(labels.toString()).isEqualTo(cliStart);
        assertThat(labels.path(TetherLabels.OWNER_EXE).asText()).as(labels.toString()).isEqualTo(Path.of(binary).toRealPath().toString());
        assertThat(labels.path(TetherLabels.HOST_PID).asText()).as(labels.toString()).isEqualTo(Long.toString(JVM));
        assertThat(labels.path(TetherLabels.HOST_START).asText()).as(labels.toString()).isEqualTo(startTicks(JVM));
        assertThat(labels.path(TetherLabels.HOST_EXE).asText()).as(labels.toString()).isEqualTo(exe(JVM));
        assertThat(labels.path(TetherLabels.ANCESTORS).asText()).as("the host first, then its own ancestors: "
                + labels).startsWith(JVM + "-" + startTicks(JVM));
        assertThat(labels.path(TetherLabels.TIE).asText()).as(labels.toString()).isEqualTo("session");
        assertThat(labels.path(TetherLabels.INSTANCE).asText()).as(labels.toString()).isEqualTo(tether.proxy().instance());
        assertThat(labels.path(Engine.TEST_LABEL).asText()).as("the client's own label").isEqualTo(Engine.RUN_ID);
        assertThat(labels.path(TetherLabels.WHY).asText()).as(labels.toString()).startsWith("docker created a container"
                + " with stdin attached and open");
        // No --rm, so no AutoRemove: tether adds none. The container stays after it exits, as on the engine alone.
        assertThat(created.at("/HostConfig/AutoRemove").asBoolean()).as("AutoRemove").isFalse();
        assertThat(Engine.running(Engine.inspect(name))).as("exited with its session").isFalse();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tether.proxy.Cli#binaries")
    void aDetachedRunIsNotTiedToAnything(String binary) throws IOException {
        String name = Engine.name("detached");
        long cliPid;
        try (Cli.Running r = tether.cli(binary).start("run", "-d", "--name", name, "--label", Engine.labelArg(),
                "--network", "none", Engine.TEST_IMAGE, "sleep", "600")) {
            cliPid = r.pid();
            Cli.Result result = r.await(QUICK);
            assertThat(result.exitCode()).as(result.describe()).isZero();
        }
        JsonNode created = Engine.inspect(name);
        assertThat(Engine.running(created)).isTrue();
        JsonNode labels = created.at("/Config/Labels");
        assertThat(labels.path(TetherLabels.TIE).asText()).as(labels.toString()).isEqualTo("none");
        assertThat(labels.path(TetherLabels.OWNER_PID).asText()).as(labels.toString()).isEqualTo(Long.toString(cliPid));
        assertThat(labels.path(TetherLabels.OWNER_EXE).asText()).as(labels.toString()).isEqualTo(Path.of(binary).toRealPath().toString());
        assertThat(labels.path(TetherLabels.HOST_PID).asText()).as(labels.toString()).isEqualTo(Long.toString(JVM));
        assertThat(labels.path(TetherLabels.INSTANCE).asText()).as(labels.toString()).isEqualTo(tether.proxy().instance());
        assertThat(created.at("/HostConfig/AutoRemove").asBoolean()).as("AutoRemove").isFalse();
    }

    @Test
    void aDockerJavaClientIsTiedToItsOwnProcess() throws IOException {
        String name = Engine.name("docker-java-owner");
        String id;
        try (DockerClient docker = DockerClients.connect(new Endpoint.Unix(tether.socket()))) {
            id = docker.createContainerCmd(Engine.TEST_IMAGE)
                    .withName(name)
                    .withCmd("sleep", "600")
                    .withLabels(Map.of(Engine.TEST_LABEL, Engine.RUN_ID))
                    .withHostConfig(HostConfig.newHostConfig().withNetworkMode("none"))
                    .exec()
                    .getId();
        }
        JsonNode created = Engine.inspect(id);
        assertThat(created.get("Name").asText()).isEqualTo("/" + name);
        JsonNode labels = created.at("/Config/Labels");
        assertThat(labels.path(TetherLabels.TIE).asText()).as(labels.toString()).isEqualTo("owner");
        assertThat(labels.path(TetherLabels.OWNER_PID).asText()).as(labels.toString()).isEqualTo(Long.toString(JVM));
        assertThat(labels.path(TetherLabels.OWNER_START).asText()).as(labels.toString()).isEqualTo(startTicks(JVM));
        assertThat(labels.path(TetherLabels.OWNER_EXE).asText()).as(labels.toString()).isEqualTo(exe(JVM));
        assertThat(labels.path(TetherLabels.HOST_PID).asText()).as(labels.toString())
                .isEqualTo(Long.toString(ProcessHandle.current().parent().orElseThrow().pid()));
        assertThat(labels.path(TetherLabels.INSTANCE).asText()).as(labels.toString()).isEqualTo(tether.proxy().instance());
        assertThat(labels.path(Engine.TEST_LABEL).asText()).as("the client's own label").isEqualTo(Engine.RUN_ID);
    }
}
