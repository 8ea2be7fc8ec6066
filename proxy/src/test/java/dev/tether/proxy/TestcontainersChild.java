package dev.tether.proxy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.testcontainers.containers.Container;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * A Testcontainers user in its own JVM, launched by {@link ClientLibrariesIT} with DOCKER_HOST on the socket under
 * test. Prints one line per step for the test to assert on, and waits for a line on stdin after the container
 * started (so the test can inspect it while it exists).
 *
 * <p>Arguments: the run id for the {@code dev.tether.test} label.
 */
public final class TestcontainersChild {

    private TestcontainersChild() {}

    public static void main(String[] args) throws Exception {
        String runId = args[0];
        System.out.println("PID " + ProcessHandle.current().pid());
        try (GenericContainer<?> container = new GenericContainer<>(DockerImageName.parse(Engine.TEST_IMAGE))) {
            container.withCommand("sh", "-c", "echo started; sleep 600")
                    .withLabel(Engine.TEST_LABEL, runId)
                    .withNetworkMode("none")
                    .waitingFor(Wait.forLogMessage(".*started.*\\n", 1))
                    .withStartupTimeout(Duration.ofSeconds(60));
            container.start();
            System.out.println("CONTAINER " + container.getContainerId());
            System.out.flush();

            var stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            if (stdin.readLine() == null) {
                System.out.println("ABORTED");
                return;
            }

            Container.ExecResult exec = container.execInContainer("sh", "-c", "echo exec-ok; echo exec-err >&2; exit 3");
            System.out.println("EXEC " + exec.getExitCode() + " " + exec.getStdout().strip() + " " + exec.getStderr().strip());
            System.out.println("LOGS " + container.getLogs().strip().replace('\n', '|'));
            container.stop();
            System.out.println("STOPPED " + container.isRunning());
        }
        System.out.println("DONE");
        System.out.flush();
        System.exit(0); // Testcontainers' non-daemon threads must not keep this JVM alive
    }
}
