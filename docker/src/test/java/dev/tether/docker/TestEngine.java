package dev.tether.docker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * An engine as a test drives it: through the real docker CLI ({@code docker -H ENDPOINT}), creating only containers
 * that carry this test run's label, and removing exactly those when closed.
 */
public final class TestEngine implements AutoCloseable {

    public static final String IMAGE = "tether-test/busybox:1";
    /** The label every test container carries; its value is the run id, so a cleanup removes this run's only. */
    public static final String TEST_LABEL = "dev.tether.test";

    /** An empty docker CLI config: no user's contexts, credential helpers or hints reach the tests. */
    private static final Path DOCKER_CONFIG = emptyDockerConfig();

    private final Endpoint endpoint;
    private final String runId = newRunId();

    private TestEngine(Endpoint endpoint) {
        this.endpoint = endpoint;
    }

    private static Path emptyDockerConfig() {
        try {
            Path dir = Files.createTempDirectory("tether-docker-cli-");
            Files.writeString(dir.resolve("config.json"), "{}");
            dir.resolve("config.json").toFile().deleteOnExit();
            dir.toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The machine's engine: DOCKER_HOST when it names a unix socket, else {@code /var/run/docker.sock}. */
    public static TestEngine machine() {
        String host = System.getenv("DOCKER_HOST");
        Endpoint endpoint = host != null && host.startsWith("unix://") ? Endpoint.parse(host) : Endpoints.DEFAULT_ENGINE;
        return new TestEngine(endpoint);
    }

    public static TestEngine at(Endpoint endpoint) {
        return new TestEngine(endpoint);
    }

    public Endpoint endpoint() {
        return endpoint;
    }

    /** {@code KEY=VALUE} of this run's test label. */
    public String testLabel() {
        return TEST_LABEL + "=" + runId;
    }

    /** A container name unique to this run. */
    public String name(String purpose) {
        return "tether-dt-" + runId + "-" + purpose + "-" + Long.toHexString(System.nanoTime() & 0xffffff);
    }

    /**
     * {@code docker run -d} of the test image with this run's label, {@code labels}, {@code options} (more docker run
     * options) and {@code command}; returns the container's id.
     */
    public String runDetached(String name, Map<String, String> labels, List<String> options, String... command) {
        List<String> args = new ArrayList<>(List.of("run", "-d", "--name", name, "--label", testLabel(),
                "--network", "none"));
        labels.forEach((k, v) -> args.addAll(List.of("--label", k + "=" + v)));
        args.addAll(options);
        args.add(IMAGE);
        args.addAll(List.of(command));
        return docker(args.toArray(String[]::new));
    }

    /** Whether the engine still knows the container. */
    public boolean exists(String idOrName) {
        return run(Duration.ofSeconds(30), "container", "inspect", "--format", "{{.Id}}", idOrName).exitCode() == 0;
    }

    /** The container's {@code State.Status} ("running", "exited", …); fails when it is gone. */
    public String status(String idOrName) {
        return docker("container", "inspect", "--format", "{{.State.Status}}", idOrName);
    }

    /** {@code docker ARGS} to a successful end; its stdout, stripped. Fails saying what the CLI said. */
    public String docker(String... args) {
        Result r = run(Duration.ofSeconds(60), args);
        if (r.exitCode() != 0) {
            throw new AssertionError("docker " + String.join(" ", args) + " exited " + r.exitCode() + ": " + r.err());
        }
        return r.out().strip();
    }

    public record Result(int exitCode, String out, String err) {}

    /** {@code docker -H ENDPOINT ARGS}, with an empty CLI config and no DOCKER_* of this JVM. */
    public Result run(Duration timeout, String... args) {
        List<String> command = new ArrayList<>(List.of("docker", "-H", endpoint.uri()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().keySet().removeIf(k -> k.startsWith("DOCKER_"));
        pb.environment().put("DOCKER_CONFIG", DOCKER_CONFIG.toString());
        pb.environment().put("DOCKER_CLI_HINTS", "false");
        try {
            Path out = Files.createTempFile("docker-out", ".txt");
            Path err = Files.createTempFile("docker-err", ".txt");
            try {
                Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
                if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    p.destroyForcibly();
                    throw new AssertionError(String.join(" ", command) + " did not end within " + timeout);
                }
                return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                        Files.readString(err, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted running " + command);
        }
    }

    /** Polls {@code condition} every 20 ms until it holds; fails with {@code what} at the deadline. */
    public static void await(BooleanSupplier condition, Duration timeout, String what) {
        long end = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError(what + ": not so within " + timeout);
            }
            pause(20);
        }
    }

    /** The poll interval: waiting for a condition, never standing in for one. */
    public static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted");
        }
    }

    /** The ids of this run's containers. */
    public List<String> mine() {
        String out = docker("ps", "-aq", "--no-trunc", "--filter", "label=" + testLabel());
        return out.isEmpty() ? List.of() : out.lines().toList();
    }

    /** Removes this run's containers, and nothing else. */
    @Override
    public void close() {
        List<String> ids = mine();
        if (!ids.isEmpty()) {
            List<String> args = new ArrayList<>(List.of("rm", "-f", "-v"));
            args.addAll(ids);
            run(Duration.ofSeconds(60), args.toArray(String[]::new));
        }
    }

    /** Fails unless the test image is there: {@code scripts/test-image} builds it. */
    public void requireImage() {
        if (run(Duration.ofSeconds(30), "image", "inspect", IMAGE).exitCode() != 0) {
            throw new AssertionError("the engine at " + endpoint.uri() + " has no " + IMAGE + ": run scripts/test-image");
        }
    }

    private static String newRunId() {
        byte[] b = new byte[4];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
