package dev.tether.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.StreamType;
import dev.tether.docker.DockerClients;
import dev.tether.docker.Endpoint;
import dev.tether.labeler.TetherLabels;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * SDK clients through tether: docker-java on httpclient5 (no Upgrade header without stdin, an upgrade with it,
 * pooled keep-alive connections), and Testcontainers 2.x in a child JVM as a test suite would use it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ClientLibrariesIT {

    @RegisterExtension
    static final TetherExtension tether = new TetherExtension();

    private static DockerClient docker;

    @BeforeAll
    static void connect() {
        docker = DockerClients.connect(new Endpoint.Unix(tether.socket()));
    }

    @AfterAll
    static void disconnect() throws IOException {
        docker.close();
    }

    /** Output of a docker-java streaming call, by stream. */
    private static final class Collected extends ResultCallback.Adapter<Frame> {
        final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        final ByteArrayOutputStream stderr = new ByteArrayOutputStream();

        @Override
        public synchronized void onNext(Frame frame) {
            (frame.getStreamType() == StreamType.STDERR ? stderr : stdout).writeBytes(frame.getPayload());
        }

        synchronized String out() {
            return stdout.toString(StandardCharsets.UTF_8);
        }

        synchronized String err() {
            return stderr.toString(StandardCharsets.UTF_8);
        }

        Collected done() throws InterruptedException {
            assertThat(awaitCompletion(30, TimeUnit.SECONDS)).as("stream completed").isTrue();
            return this;
        }
    }

    private static String createRunning(String name, String... cmd) {
        String id = docker.createContainerCmd(Engine.TEST_IMAGE)
                .withName(name)
                .withCmd(cmd)
                .withLabels(Map.of(Engine.TEST_LABEL, Engine.RUN_ID))
                .withHostConfig(HostConfig.newHostConfig().withNetworkMode("none"))
                .exec()
                .getId();
        docker.startContainerCmd(id).exec();
        return id;
    }

    @Test
    void dockerJavaCreatesStartsExecsReadsLogsStopsAndRemovesAContainer() throws Exception {
        String name = Engine.name("docker-java");
        String id = createRunning(name, "sh", "-c", "echo hello-docker-java; echo to-stderr >&2; sleep 600");
        assertThat(docker.inspectContainerCmd(name).exec().getState().getRunning()).isTrue();

        // exec without stdin: docker-java sends no Upgrade header and reads a 200 raw stream until EOF
        String exec = docker.execCreateCmd(id).withAttachStdout(true).withAttachStderr(true)
                .withCmd("sh", "-c", "echo exec-out; echo exec-err >&2; exit 6").exec().getId();
        Collected execOut = docker.execStartCmd(exec).exec(new Collected()).done();
        assertThat(execOut.out()).isEqualTo("exec-out\n");
        assertThat(execOut.err()).isEqualTo("exec-err\n");
        assertThat(docker.inspectExecCmd(exec).exec().getExitCodeLong()).isEqualTo(6L);

        // logs, polled: the container writes them as it starts
        Instant deadline = Instant.now().plusSeconds(20);
        Collected logs;
        do {
            logs = docker.logContainerCmd(id).withStdOut(true).withStdErr(true).exec(new Collected()).done();
        } while (!logs.err().contains("to-stderr") && Instant.now().isBefore(deadline) && sleepABit());
        assertThat(logs.out()).isEqualTo("hello-docker-java\n");
        assertThat(logs.err()).isEqualTo("to-stderr\n");

        docker.stopContainerCmd(id).withTimeout(1).exec();
        assertThat(docker.inspectContainerCmd(id).exec().getState().getRunning()).isFalse();
        assertThat(Engine.running(Engine.inspect(id))).isFalse();

        docker.removeContainerCmd(id).exec();
        assertThat(Engine.find(id)).as("removed on the engine").isEmpty();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> docker.inspectContainerCmd(id).exec())
                .isInstanceOf(NotFoundException.class);
    }

    private static boolean sleepABit() {
        Engine.pause();
        return true;
    }

    @Test
    void dockerJavaExecWithStdinIsUpgradedAndGetsItsInputEchoed() throws Exception {
        String name = Engine.name("docker-java-stdin");
        String id = createRunning(name, "sleep", "600");
        byte[] input = "from-docker-java\nsecond line\n".getBytes(StandardCharsets.UTF_8);

        // head, not cat: docker-java 3.7.1 on httpclient5 never half-closes after its stdin ends (even against the
        // engine directly), so the exec must end by itself
        String exec = docker.execCreateCmd(id).withAttachStdin(true).withAttachStdout(true).withAttachStderr(true)
                .withCmd("head", "-n", "2").exec().getId();
        Collected out = docker.execStartCmd(exec).withStdIn(new ByteArrayInputStream(input)).exec(new Collected()).done();

        assertThat(out.out()).isEqualTo("from-docker-java\nsecond line\n");
    }

    @Test
    void dockerJavaReusesPooledConnectionsAcrossManyCalls() {
        String name = Engine.name("docker-java-pool");
        String id = createRunning(name, "sleep", "600");
        for (int i = 0; i < 50; i++) {
            assertThat(docker.inspectContainerCmd(id).exec().getName()).isEqualTo("/" + name);
            assertThat(docker.pingCmd().exec()).isNull();
        }
        assertThat(docker.listContainersCmd().withLabelFilter(Map.of(Engine.TEST_LABEL, Engine.RUN_ID)).exec())
                .anySatisfy(c -> assertThat(c.getId()).isEqualTo(id));
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void testcontainersInAChildJvmStartsExecsReadsLogsAndStopsAContainer() throws Exception {
        Path home = Files.createTempDirectory(tether.dir(), "tc-home");
        var pb = new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Duser.home=" + home,
                "-cp", System.getProperty("java.class.path"),
                TestcontainersChild.class.getName(),
                Engine.RUN_ID);
        var env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("DOCKER_") || k.startsWith("TESTCONTAINERS_"));
        env.put("DOCKER_HOST", "unix://" + tether.socket());
        env.put("DOCKER_CONFIG", home.resolve(".docker").toString());
        env.put("TESTCONTAINERS_RYUK_DISABLED", "true");
        // In a container (/.dockerenv) Testcontainers finds the host's address by running alpine, which no
        // registry here can provide; no ports are mapped, so the override changes nothing else.
        env.put("TESTCONTAINERS_HOST_OVERRIDE", "localhost");
        env.put("TESTCONTAINERS_DOCKER_CLIENT_STRATEGY", "org.testcontainers.dockerclient.EnvironmentAndSystemPropertyClientProviderStrategy");

        JsonNode created;
        long childPid;
        Cli.Result result;
        try (Cli.Running child = new Cli.Running("testcontainers child", pb.start())) {
            childPid = child.pid();
            child.awaitStdout("CONTAINER ", Duration.ofSeconds(120));
            String id = child.stdoutSoFar().lines().filter(l -> l.startsWith("CONTAINER ")).findFirst().orElseThrow()
                    .substring("CONTAINER ".length()).strip();
            created = Engine.inspect(id);
            assertThat(Engine.running(created)).isTrue();

            child.write("go\n");
            result = child.await(Duration.ofSeconds(60));
            assertThat(Engine.find(id)).as("removed by Testcontainers' stop()").isEmpty();
        }

        assertThat(result.exitCode()).as(result.describe()).isZero();
        assertThat(result.out()).as(result.describe())
                .contains("PID " + childPid + "\n")
                .contains("EXEC 3 exec-ok exec-err\n")
                .contains("STOPPED false\n")
                .contains("DONE\n");
        assertThat(result.out().lines().filter(l -> l.startsWith("LOGS ")).findFirst().orElseThrow()).contains("started");
        JsonNode labels = created.at("/Config/Labels");
        assertThat(labels.path(TetherLabels.TIE).asText()).as(labels.toString()).isEqualTo("owner");
        assertThat(labels.path(TetherLabels.OWNER_PID).asText()).as(labels.toString()).isEqualTo(Long.toString(childPid));
        assertThat(labels.path(TetherLabels.HOST_PID).asText()).as(labels.toString())
                .isEqualTo(Long.toString(ProcessHandle.current().pid()));
        assertThat(labels.path(TetherLabels.INSTANCE).asText()).as(labels.toString()).isEqualTo(tether.proxy().instance());
    }
}
