package dev.tether.docker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A Podman service of the test's own ({@code podman system service}, the Docker API Podman speaks), with its own
 * storage, run root and socket in {@code /tmp/tpod-XXXXXX}: nothing it does reaches the machine's Podman, its images
 * or containers. Its {@code containers.conf} is the one this kind of machine needs (runc, since crun refuses hybrid
 * cgroups; lower default ulimits, since raising rlimits is forbidden here), given by {@code CONTAINERS_CONF} to this
 * service alone. {@link #close()} removes its containers, stops it and deletes the directory.
 */
public final class PodmanService implements AutoCloseable {

    public static final String IMAGE = "tether-test/busybox:1";

    private static final String CONF = """
            [containers]
            default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]

            [engine]
            runtime = "runc"
            """;

    private final Path dir;
    private final Process service;

    private PodmanService(Path dir, Process service) {
        this.dir = dir;
        this.service = service;
    }

    /**
     * Starts the service, waits until it answers, and loads the test image from the machine's Docker engine (which
     * {@code scripts/test-image} made) into its storage.
     */
    public static PodmanService start(Duration timeout) {
        if (!Files.isExecutable(Path.of("/usr/bin/podman"))) {
            throw new AssertionError("no /usr/bin/podman: the Podman tests need it (apt-get install podman runc)");
        }
        Path dir = PrivateDockerd.shortTempDir("tpod-");
        PodmanService p = null;
        try {
            Files.writeString(dir.resolve("containers.conf"), CONF);
            ProcessBuilder pb = new ProcessBuilder(podman(dir, "system", "service", "--time=0", "unix://" + dir.resolve("podman.sock")))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("service.log").toFile());
            pb.environment().put("CONTAINERS_CONF", dir.resolve("containers.conf").toString());
            p = new PodmanService(dir, pb.start());
            p.awaitAnswers(timeout);
            p.loadTestImage();
            return p;
        } catch (IOException e) {
            cleanUp(p, dir);
            throw new UncheckedIOException(e);
        } catch (RuntimeException | Error e) {
            cleanUp(p, dir);
            throw e;
        }
    }

    private static void cleanUp(PodmanService p, Path dir) {
        if (p != null) {
            p.close();
        } else {
            deleteTree(dir);
        }
    }

    public Path socket() {
        return dir.resolve("podman.sock");
    }

    /** {@code unix://…/podman.sock}: for {@code --upstream} and {@code docker -H}. */
    public String uri() {
        return "unix://" + socket();
    }

    public Endpoint endpoint() {
        return new Endpoint.Unix(socket());
    }

    /** The docker CLI, speaking to this service directly; containers it runs carry a run label of its own. */
    public TestEngine cli() {
        return TestEngine.at(endpoint());
    }

    /** The service's log, for failure messages. */
    public String logTail() {
        try {
            List<String> lines = Files.readAllLines(dir.resolve("service.log"), StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private void awaitAnswers(Duration timeout) {
        long end = System.nanoTime() + timeout.toNanos();
        while (cli().run(Duration.ofSeconds(10), "version", "--format", "{{.Server.Version}}").exitCode() != 0) {
            if (!service.isAlive() || System.nanoTime() > end) {
                throw new AssertionError("podman system service did not answer on " + socket() + " within " + timeout
                        + ":\n" + logTail());
            }
            pause(100);
        }
    }

    private void loadTestImage() throws IOException {
        Path archive = dir.resolve("image.tar");
        String saved = PrivateDockerd.run(Duration.ofSeconds(60), "sh", "-c",
                "docker -H unix:///var/run/docker.sock save -o '" + archive + "' " + IMAGE + " && echo SAVED");
        if (!saved.contains("SAVED")) {
            throw new AssertionError("could not save " + IMAGE + " from the machine's engine (scripts/test-image makes it): " + saved);
        }
        List<String> load = podman(dir, "load", "-i", archive.toString());
        String loaded = PrivateDockerd.run(Duration.ofSeconds(60), load.toArray(String[]::new));
        if (!loaded.contains("Loaded image")) {
            throw new AssertionError("podman load of " + IMAGE + " failed: " + loaded);
        }
        Files.delete(archive);
    }

    /** {@code podman} with this service's storage and run root. */
    private static List<String> podman(Path dir, String... args) {
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/podman", "--root", dir.resolve("storage").toString(),
                "--runroot", dir.resolve("run").toString(), "--storage-driver", "vfs"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Removes its containers (their processes run beside the service, not in it), stops it, deletes the directory. */
    @Override
    public void close() {
        try {
            List<String> rm = podman(dir, "rm", "--all", "--force", "--time", "0");
            ProcessBuilder pb = new ProcessBuilder(rm).redirectErrorStream(true);
            pb.environment().put("CONTAINERS_CONF", dir.resolve("containers.conf").toString());
            Process p = pb.start();
            p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
            p.waitFor(60, TimeUnit.SECONDS);
        } catch (IOException e) {
            // the service goes anyway
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        service.destroy();
        try {
            if (!service.waitFor(10, TimeUnit.SECONDS)) {
                service.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        deleteTree(dir);
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // left in /tmp
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
