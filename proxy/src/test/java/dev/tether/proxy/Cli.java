package dev.tether.proxy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Runs a real docker CLI binary against a socket ({@code DOCKER_HOST=unix://…}), with its own empty
 * DOCKER_CONFIG so a user's config (detach keys, credential helpers, contexts) cannot change what it does.
 */
public final class Cli {

    public static final String NEW = "/usr/local/bin/docker";
    public static final String OLD = "/usr/bin/docker";
    public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(60);

    private static final Path CONFIG_DIR = createConfigDir();

    private final String binary;
    private final Path socket;
    private final Map<String, String> env;

    public Cli(String binary, Path socket) {
        this(binary, socket, Map.of());
    }

    private Cli(String binary, Path socket, Map<String, String> env) {
        this.binary = binary;
        this.socket = socket;
        this.env = Map.copyOf(env);
    }

    /**
     * The docker CLIs the relay cases run with: both by default, or the comma-separated list in system property
     * {@code tether.it.clis}. A listed binary that is not installed is skipped by {@link #requireInstalled}.
     */
    public static Stream<String> binaries() {
        String prop = System.getProperty("tether.it.clis");
        if (prop != null && !prop.isBlank()) {
            return Arrays.stream(prop.split(",")).map(String::strip).filter(s -> !s.isEmpty());
        }
        return Stream.of(NEW, OLD);
    }

    public static void requireInstalled(String binary) {
        if (!Files.isExecutable(Path.of(binary))) {
            throw new AssertionError(binary + " is not installed: the relay is tested with both docker CLIs"
                    + " (apt-get install docker.io brings /usr/bin/docker)");
        }
    }

    public String binary() {
        return binary;
    }

    public Cli withEnv(String name, String value) {
        var e = new HashMap<>(env);
        e.put(name, value);
        return new Cli(binary, socket, e);
    }

    /** Runs with an empty, closed stdin. */
    public Result run(String... args) {
        return run(new byte[0], DEFAULT_DEADLINE, args);
    }

    public Result run(Duration deadline, String... args) {
        return run(new byte[0], deadline, args);
    }

    /** Runs with {@code stdin} written and then closed. */
    public Result run(byte[] stdin, Duration deadline, String... args) {
        try (Running r = start(args)) {
            // From another thread: a pipe write blocks while the CLI is not reading, and must not outlive the deadline.
            Thread.ofVirtual().start(() -> {
                try {
                    r.write(stdin);
                } catch (UncheckedIOException ignored) {
                    // the CLI stopped reading (it failed or exited): its result tells why
                }
                r.closeStdin();
            });
            return r.await(deadline);
        }
    }

    /** Starts the CLI with its stdin a pipe left open. */
    public Running start(String... args) {
        List<String> command = new ArrayList<>();
        command.add(binary);
        command.addAll(List.of(args));
        return launch(command);
    }

    /** Starts the CLI under {@code script -qec … /dev/null}, so that its stdin, stdout and stderr are a pty. */
    public Running startInPty(String... args) {
        String line = Stream.concat(Stream.of(binary), Arrays.stream(args)).map(Cli::shellQuote).collect(Collectors.joining(" "));
        return launch(List.of("script", "-qec", line, "/dev/null"));
    }

    private Running launch(List<String> command) {
        var pb = new ProcessBuilder(command);
        Map<String, String> e = pb.environment();
        e.keySet().removeIf(k -> k.startsWith("DOCKER_"));
        e.put("DOCKER_HOST", "unix://" + socket);
        e.put("DOCKER_CONFIG", CONFIG_DIR.toString());
        e.put("DOCKER_CLI_HINTS", "false");
        e.put("SHELL", "/bin/sh");
        e.put("TERM", "xterm");
        e.putAll(env);
        try {
            return new Running(String.join(" ", command), pb.start());
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot start " + command, ex);
        }
    }

    public static String shellQuote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    private static Path createConfigDir() {
        try {
            Path dir = Files.createTempDirectory("tether-it-docker-config");
            Files.writeString(dir.resolve("config.json"), "{}");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir), "tether-it-docker-config"));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException ignored) {
            // best effort at JVM exit
        }
    }

    /** What a finished CLI left: exit code, stdout bytes, stderr text. */
    public record Result(String command, int exitCode, byte[] stdout, String stderr) {

        public String out() {
            return new String(stdout, StandardCharsets.UTF_8);
        }

        /** A description for assertion messages. */
        public String describe() {
            String o = out();
            return "`" + command + "` exited " + exitCode + "\nstdout: " + (o.length() > 4000 ? o.substring(0, 4000) + "…" : o)
                    + "\nstderr: " + stderr;
        }

        @Override
        public String toString() {
            return describe();
        }
    }

    /** A CLI process still running: its stdin is a pipe the test writes to; stdout and stderr are collected. */
    public static final class Running implements AutoCloseable {
        private final String command;
        private final Process process;
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final ByteArrayOutputStream err = new ByteArrayOutputStream();
        private final Thread outReader;
        private final Thread errReader;
        private final OutputStream stdin;

        public Running(String command, Process process) {
            this.command = command;
            this.process = process;
            this.stdin = process.getOutputStream();
            this.outReader = Thread.ofVirtual().start(() -> pump(process.getInputStream(), out));
            this.errReader = Thread.ofVirtual().start(() -> pump(process.getErrorStream(), err));
        }

        private static void pump(InputStream in, ByteArrayOutputStream sink) {
            byte[] b = new byte[64 * 1024];
            try (in) {
                int n;
                while ((n = in.read(b)) >= 0) {
                    synchronized (sink) {
                        sink.write(b, 0, n);
                    }
                }
            } catch (IOException ignored) {
                // the process is gone
            }
        }

        public long pid() {
            return process.pid();
        }

        public Process process() {
            return process;
        }

        public boolean isAlive() {
            return process.isAlive();
        }

        public void write(byte[] bytes) {
            try {
                stdin.write(bytes);
                stdin.flush();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write to the stdin of " + command, e);
            }
        }

        public void write(String text) {
            write(text.getBytes(StandardCharsets.UTF_8));
        }

        public void closeStdin() {
            try {
                stdin.close();
            } catch (IOException ignored) {
                // already closed
            }
        }

        public String stdoutSoFar() {
            synchronized (out) {
                return out.toString(StandardCharsets.UTF_8);
            }
        }

        public String stderrSoFar() {
            synchronized (err) {
                return err.toString(StandardCharsets.UTF_8);
            }
        }

        /** Polls until stdout contains {@code needle}; fails if the process ends first or the deadline passes. */
        public void awaitStdout(String needle, Duration timeout) {
            Instant deadline = Instant.now().plus(timeout);
            while (!stdoutSoFar().contains(needle)) {
                if (!process.isAlive()) {
                    joinReaders();
                    if (stdoutSoFar().contains(needle)) {
                        return;
                    }
                    throw new AssertionError("`" + command + "` exited " + process.exitValue() + " before printing '"
                            + needle + "'\nstdout: " + stdoutSoFar() + "\nstderr: " + stderrSoFar());
                }
                if (Instant.now().isAfter(deadline)) {
                    throw new AssertionError("`" + command + "` did not print '" + needle + "' within " + timeout
                            + "\nstdout: " + stdoutSoFar() + "\nstderr: " + stderrSoFar());
                }
                Engine.pause();
            }
        }

        /** Waits for the process to exit by itself; past the deadline kills it and fails with what it printed. */
        public Result await(Duration timeout) {
            try {
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    kill();
                    throw new AssertionError("`" + command + "` did not exit within " + timeout + "\nstdout: "
                            + stdoutSoFar() + "\nstderr: " + stderrSoFar());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                kill();
                throw new AssertionError("interrupted waiting for " + command);
            }
            joinReaders();
            byte[] o;
            synchronized (out) {
                o = out.toByteArray();
            }
            return new Result(command, process.exitValue(), o, stderrSoFar());
        }

        private void joinReaders() {
            try {
                outReader.join(Duration.ofSeconds(10));
                errReader.join(Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        public void kill() {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }

        @Override
        public void close() {
            closeStdin();
            if (process.isAlive()) {
                kill();
            }
        }
    }
}
