package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.proxy.Cli;
import dev.tether.proxy.Engine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The default socket and state folder are computed twice: in bash, by the launcher's {@code tether run} (its fast
 * path has no JVM), and in Java, by {@code tether up} and the other commands. Here both answer in the same
 * environments: {@code tether run} starts a tether on the socket it computes and logs to the state folder it
 * computes, then {@code tether status}, with Java's defaults, must find that tether and its journal beside that log.
 */
@Timeout(300)
class DefaultPathsIT {

    private static final Duration START = Duration.ofSeconds(120);

    private Path base;
    private final List<Path> sockets = new ArrayList<>();

    @BeforeEach
    void makeBase() throws IOException {
        base = Files.createTempDirectory(Path.of("/tmp"), "tether-paths"); // 0700: a private home for the defaults
    }

    @AfterEach
    void stopAll() throws IOException {
        for (Path socket : sockets) {
            RunCommandIT.tethersOn(socket).forEach(pid -> ProcessHandle.of(pid).ifPresent(p -> {
                p.destroyForcibly();
                p.onExit().join();
            }));
        }
        try (Stream<Path> paths = Files.walk(base)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void withXdgRuntimeDirAndXdgStateHome() throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("HOME", base.resolve("home").toString());
        env.put("XDG_RUNTIME_DIR", base.resolve("run").toString());
        env.put("XDG_STATE_HOME", base.resolve("state").toString());
        bothAgree(env, base.resolve("run/tether/docker.sock"), base.resolve("state/tether"));
    }

    @Test
    void withHomeOnly() throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("HOME", base.resolve("home").toString());
        bothAgree(env, base.resolve("home/.tether/docker.sock"), base.resolve("home/.local/state/tether"));
    }

    /** The XDG spec says to ignore a relative path, and an empty one is none: the defaults under HOME. */
    @Test
    void withARelativeXdgRuntimeDirAndAnEmptyXdgStateHome() throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("HOME", base.resolve("home").toString());
        env.put("XDG_RUNTIME_DIR", "run");
        env.put("XDG_STATE_HOME", "");
        bothAgree(env, base.resolve("home/.tether/docker.sock"), base.resolve("home/.local/state/tether"));
    }

    /** No HOME at all, as some service managers start a process: the XDG folders still decide. */
    @Test
    void withoutHome() throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("XDG_RUNTIME_DIR", base.resolve("run").toString());
        env.put("XDG_STATE_HOME", base.resolve("state").toString());
        bothAgree(env, base.resolve("run/tether/docker.sock"), base.resolve("state/tether"));
    }

    private void bothAgree(Map<String, String> env, Path socket, Path state) {
        sockets.add(socket);
        Cli.Result run = launch(env, "run", "--", "sh", "-c", "printf %s \"$DOCKER_HOST\"");
        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(Path.of(run.out().substring("unix://".length()))).as("bash's default socket (tether run)")
                .isEqualTo(socket);
        assertThat(state.resolve("tether.log")).as("bash's state folder: the log of the tether `tether run` started")
                .content().contains("listening on " + socket);

        Cli.Result status = launch(env, "status");
        assertThat(status.exitCode()).as("Java's default socket (tether status) finds that tether: " + status).isZero();
        assertThat(status.out()).contains("socket    " + socket)
                .as("Java's default journal (tether up) is in bash's state folder")
                .contains("journal   " + state.resolve("audit.jsonl"));
    }

    /** The real launcher, from {@link #base}, in exactly this environment (plus PATH, and the engine for a tether it starts). */
    private Cli.Result launch(Map<String, String> env, String... args) {
        List<String> command = new ArrayList<>(List.of(Engine.root().resolve("tether").toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(base.toFile());
        pb.environment().clear();
        pb.environment().put("PATH", System.getenv("PATH"));
        pb.environment().put("DOCKER_HOST", Engine.endpoint().uri());
        pb.environment().putAll(env);
        try {
            return new Cli.Running(String.join(" ", command), pb.start()).await(START);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
