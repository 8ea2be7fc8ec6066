package dev.tether.cli;

import com.github.dockerjava.api.model.HostConfig;
import java.io.IOException;
import java.util.Map;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.utility.DockerImageName;
import dev.tether.proxy.Engine;

/**
 * A Testcontainers user in its own JVM, for {@link ReapOwnersIT}: starts one container with Testcontainers and
 * creates a second one through Testcontainers' docker-java client without starting it, prints
 * {@code STARTED <id>} and {@code CREATED <id>}, then waits on stdin. At the end of stdin it halts at once, without
 * Testcontainers' clean-up: an owner that ends on its own and leaves its containers behind.
 *
 * <p>Arguments: the run id for the {@code dev.tether.test} label, and a name prefix for the two containers.
 */
public final class ReapClientChild {

    private ReapClientChild() {}

    public static void main(String[] args) throws IOException {
        String runId = args[0];
        String prefix = args[1];
        System.out.println("PID " + ProcessHandle.current().pid());
        GenericContainer<?> started = new GenericContainer<>(DockerImageName.parse(Engine.TEST_IMAGE))
                .withCommand("sleep", "600") // PID 1 ignores SIGTERM: the reaper's stop waits out its grace
                .withLabel(Engine.TEST_LABEL, runId)
                .withNetworkMode("none")
                .withCreateContainerCmdModifier(cmd -> cmd.withName(prefix + "-started"));
        started.start();
        System.out.println("STARTED " + started.getContainerId());

        String created = DockerClientFactory.instance().client().createContainerCmd(Engine.TEST_IMAGE)
                .withName(prefix + "-created")
                .withCmd("sleep", "600")
                .withLabels(Map.of(Engine.TEST_LABEL, runId))
                .withHostConfig(HostConfig.newHostConfig().withNetworkMode("none"))
                .exec()
                .getId();
        System.out.println("CREATED " + created);
        System.out.flush();

        while (System.in.read() >= 0) {
            // the test says nothing; the end of stdin is the cue
        }
        System.out.println("HALT");
        System.out.flush();
        Runtime.getRuntime().halt(0);
    }
}
