package dev.tether.docker;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * A private dockerd of the test's own: its own data root, exec root, pid file and socket in a short directory
 * {@code /tmp/tad-XXXXXX}, and its own network namespace, so that nothing it does reaches the machine's engine or its
 * containers. It can be stopped and started again with the same arguments; {@link #close()} stops it for good (SIGTERM,
 * then SIGKILL), ends whatever else still runs from its directory (its containerd, shims), unmounts what is still
 * mounted under it and deletes it.
 *
 * <p>The network namespace ({@code unshare --net}) matters: dockerd 20.10 started with {@code --bridge=none} deletes
 * the interface {@code docker0} when it starts ({@code removeDefaultBridgeInterface}), and one that manages a bridge
 * may remove it when it stops; either way, in the machine's namespace, the main engine's default network would break.
 * In a namespace of its own there is no {@code docker0} to delete. The API socket and containerd's sockets are paths in
 * the file system, reachable from every network namespace.
 */
public final class PrivateDockerd implements AutoCloseable {

    private static final Duration STOP_GRACE = Duration.ofSeconds(30);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path dir;
    private final Path socket;
    private final Path pidFile;
    private final Path log;
    private final List<String> command;
    private final Thread shutdownHook;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile ProcessHandle process;

    private PrivateDockerd(Path dir, List<String> extraArgs, List<String> launcher) {
        this.dir = dir;
        this.socket = dir.resolve("docker.sock");
        this.pidFile = dir.resolve("docker.pid");
        this.log = dir.resolve("dockerd.log");
        List<String> cmd = new ArrayList<>(launcher);
        cmd.addAll(List.of("unshare", "--net", "--", dockerd(),
                "--data-root", dir.resolve("data").toString(),
                "--exec-root", dir.resolve("exec").toString(),
                "--pidfile", pidFile.toString(),
                "-H", uri(),
                "--bridge=none", "--iptables=false", "--ip-masq=false"));
        cmd.addAll(extraArgs);
        this.command = List.copyOf(cmd);
        this.shutdownHook = new Thread(this::closeQuietly, "tether-test-private-dockerd");
    }

    /**
     * Creates the directory, starts dockerd and waits until it answers. Whatever fails on the way, what was started is
     * stopped and the directory deleted again; a shutdown hook does the same if the JVM ends before {@link #close()}.
     */
    public static PrivateDockerd start(Duration timeout) {
        return start(timeout, List.of());
    }

    /**
     * As {@link #start(Duration)}, with more dockerd options (such as {@code --live-restore}), given again at every
     * {@link #launch()}.
     */
    public static PrivateDockerd start(Duration timeout, List<String> extraArgs) {
        return start(timeout, extraArgs, List.of("setsid", "-f"));
    }

    /**
     * As {@link #start(Duration, List)}, launched by {@code launcher} instead of {@code setsid -f}: a command that
     * detaches and then execs the rest of its arguments ({@code unshare --net -- dockerd …}) in place, such as
     * {@link #tcpActivation}.
     */
    public static PrivateDockerd start(Duration timeout, List<String> extraArgs, List<String> launcher) {
        PrivateDockerd d = new PrivateDockerd(shortTempDir(), extraArgs, launcher);
        Runtime.getRuntime().addShutdownHook(d.shutdownHook);
        try {
            d.launch();
            d.awaitAnswers(timeout);
            return d;
        } catch (RuntimeException | Error e) {
            try {
                d.close();
            } catch (RuntimeException | Error c) {
                e.addSuppressed(c);
            }
            throw e;
        }
    }

    public Path dir() {
        return dir;
    }

    /**
     * A launcher that listens on {@code 127.0.0.1:port} in this (the machine's) network namespace and hands the socket
     * to dockerd as systemd socket activation does (fd 3, LISTEN_FDS, LISTEN_PID), so that dockerd, in a namespace of
     * its own, serves {@code -H fd://} where clients of this machine reach it: dockerd's own {@code -H tcp://} would
     * listen inside its namespace, unreachable. dockerd applies its {@code --tls*} options to such a socket as to a
     * {@code tcp://} one. Python, since a JVM passes no descriptors to its children; it detaches as {@code setsid -f}.
     */
    public static List<String> tcpActivation(int port) {
        String script = """
                import os, socket, sys
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("127.0.0.1", int(sys.argv[1])))
                s.listen(128)
                if os.fork():
                    os._exit(0)
                os.setsid()
                if s.fileno() != 3:
                    os.dup2(s.fileno(), 3)
                os.set_inheritable(3, True)
                os.environ["LISTEN_PID"] = str(os.getpid())
                os.environ["LISTEN_FDS"] = "1"
                os.execvp(sys.argv[2], sys.argv[2:])
                """;
        return List.of("/usr/bin/python3", "-c", script, Integer.toString(port));
    }

    public Path socket() {
        return socket;
    }

    /** {@code unix://…/docker.sock}: for {@code --upstream} and {@code docker -H}. */
    public String uri() {
        return "unix://" + socket;
    }

    /** The running dockerd (read from its pid file); empty while none runs. */
    public Optional<ProcessHandle> process() {
        ProcessHandle p = process;
        return p != null && alive(p) ? Optional.of(p) : Optional.empty();
    }

    /** The docker CLI, speaking to this engine directly; containers it runs carry a run label of its own. */
    public TestEngine cli() {
        return TestEngine.at(endpoint());
    }

    public Endpoint endpoint() {
        return new Endpoint.Unix(socket);
    }

    /** The last lines of dockerd's log, for failure messages. */
    public String logTail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(no log at " + log + ": " + e + ")";
        }
    }

    /**
     * The machine's (this JVM's network namespace's) {@code docker0}: its interface index, empty when there is none.
     * A private engine that deleted it, or deleted and made it again, changes this.
     */
    public static Optional<String> hostBridge() {
        try {
            return Optional.of(Files.readString(Path.of("/sys/class/net/docker0/ifindex")).strip());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    // ---------------------------------------------------------------- start, stop, answer

    /** Starts dockerd detached ({@code setsid -f}, output to the log file) with the arguments it always gets. */
    public void launch() {
        if (process().isPresent()) {
            throw new AssertionError("the private dockerd already runs: " + process);
        }
        process = null;
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectErrorStream(true);
        // DOCKER_TLS_VERIFY, DOCKER_CERT_PATH… are read by dockerd too; NOTIFY_SOCKET would tell a service manager
        pb.environment().keySet().removeIf(k -> k.startsWith("DOCKER_") || k.equals("NOTIFY_SOCKET"));
        try {
            Process setsid = pb.start();
            if (!setsid.waitFor(10, TimeUnit.SECONDS)) {
                setsid.destroyForcibly();
                throw new AssertionError("`" + String.join(" ", command) + "` did not return");
            }
            if (setsid.exitValue() != 0) {
                throw new AssertionError("`" + String.join(" ", command) + "` exited " + setsid.exitValue()
                        + "; dockerd's log:\n" + logTail());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted starting the private dockerd");
        }
    }

    /** Whether {@code docker -H unix://…/docker.sock version} gets the server's answer. */
    public boolean answers() {
        try {
            return cli().run(Duration.ofSeconds(15), "version").exitCode() == 0;
        } catch (AssertionError | RuntimeException e) {
            return false; // it hung past the deadline, or could not be started: no answer either way
        }
    }

    /**
     * Polls {@code docker version} until it answers, and learns dockerd's pid from its pid file meanwhile; fails at
     * the deadline, or at once when the dockerd that wrote the pid file died.
     */
    public void awaitAnswers(Duration timeout) {
        long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            ProcessHandle p = readPidFile().orElse(null);
            if (p != null) {
                process = p;
            }
            if (answers()) {
                // read again: the pid file is written before the API listens, but may be newer than the read above
                readPidFile().ifPresent(q -> process = q);
                if (process == null) {
                    throw new AssertionError("the private dockerd answers but wrote no pid into " + pidFile);
                }
                return;
            }
            if (process != null && !alive(process)) {
                throw new AssertionError("the private dockerd " + process.pid() + " died before it answered;"
                        + " its log:\n" + logTail());
            }
            if (System.nanoTime() > end) {
                throw new AssertionError("`docker version` got no answer from the private dockerd on " + socket
                        + " within " + timeout + "; its log:\n" + logTail());
            }
            TestEngine.pause(100);
        }
    }

    /** SIGTERM, then waits until the process is gone; past {@code timeout} kills it and fails. */
    public void stop(Duration timeout) {
        ProcessHandle p = process().orElseThrow(() -> new AssertionError("the private dockerd does not run"));
        p.destroy(); // SIGTERM, through a handle that checks the start time
        if (!awaitGone(p, timeout)) {
            p.destroyForcibly();
            awaitGone(p, Duration.ofSeconds(10));
            throw new AssertionError("the private dockerd " + p.pid() + " still ran " + timeout
                    + " after SIGTERM: killed it; its log:\n" + logTail());
        }
    }

    // ---------------------------------------------------------------- the image

    /**
     * Copies {@code image} from the engine at {@code fromUri} into this one: {@code docker -H FROM save IMAGE |
     * docker -H THIS load}. The other engine is only read.
     */
    public void loadImage(String image, String fromUri, Duration timeout) {
        Path saveErr = dir.resolve("save.err");
        Path loadOut = dir.resolve("load.out");
        ProcessBuilder save = plainDocker("docker", "-H", fromUri, "save", image)
                .redirectError(saveErr.toFile());
        ProcessBuilder load = plainDocker("docker", "-H", uri(), "load")
                .redirectOutput(loadOut.toFile()).redirectErrorStream(true);
        try {
            List<Process> pipeline = ProcessBuilder.startPipeline(List.of(save, load));
            long end = System.nanoTime() + timeout.toNanos();
            for (Process p : pipeline) {
                if (!p.waitFor(Math.max(1, end - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    pipeline.forEach(Process::destroyForcibly);
                    throw new AssertionError("docker save | docker load of " + image + " took over " + timeout);
                }
            }
            if (pipeline.get(0).exitValue() != 0 || pipeline.get(1).exitValue() != 0) {
                throw new AssertionError("docker save " + image + " | docker load failed: save exited "
                        + pipeline.get(0).exitValue() + " (" + Files.readString(saveErr).strip() + "), load exited "
                        + pipeline.get(1).exitValue() + " (" + Files.readString(loadOut).strip() + ")");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted loading " + image);
        }
        TestEngine.Result inspect = cli().run(Duration.ofSeconds(30), "image", "inspect", "--format", "{{.Id}}", image);
        if (inspect.exitCode() != 0) {
            throw new AssertionError("the private engine has no " + image + " after docker load: " + inspect);
        }
    }

    /** A docker CLI with an empty config and no DOCKER_* from this JVM: only its arguments say where it goes. */
    private ProcessBuilder plainDocker(String binary, String... args) {
        List<String> cmd = new ArrayList<>(List.of(binary));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("DOCKER_"));
        env.put("DOCKER_CONFIG", dockerConfig().toString());
        env.put("DOCKER_CLI_HINTS", "false");
        return pb;
    }

    private Path dockerConfig() {
        Path config = dir.resolve("cli-config");
        try {
            if (!Files.exists(config.resolve("config.json"))) {
                Files.createDirectories(config);
                Files.writeString(config.resolve("config.json"), "{}");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return config;
    }

    // ---------------------------------------------------------------- the end

    /**
     * Stops dockerd for good (SIGTERM, SIGKILL after {@link #STOP_GRACE}), ends any process still running from this
     * directory (containerd, shims, a hung CLI), unmounts what is still mounted under it and deletes it. Idempotent;
     * an interrupt of the calling thread is set aside meanwhile. Fails if something could not be undone.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        boolean interrupted = Thread.interrupted();
        List<String> problems = new ArrayList<>();
        try {
            ProcessHandle p = process != null ? process : readPidFile().orElse(null);
            if (p != null && alive(p)) {
                p.destroy();
                if (!awaitGone(p, STOP_GRACE)) {
                    System.out.println("[private-dockerd] the private dockerd " + p.pid() + " ignored SIGTERM for "
                            + STOP_GRACE + ": SIGKILL");
                    p.destroyForcibly();
                    if (!awaitGone(p, Duration.ofSeconds(10))) {
                        problems.add("dockerd " + p.pid() + " survived SIGKILL");
                    }
                }
            }
            endLeftovers(problems);
            unmountAll(problems);
            if (problems.stream().noneMatch(s -> s.startsWith("still mounted"))) {
                // --one-file-system: never into anything mounted below, should a mount have escaped findmnt
                run(Duration.ofSeconds(60), "rm", "-rf", "--one-file-system", "--", dir.toString());
            }
            if (Files.exists(dir)) {
                problems.add(dir + " could not be deleted");
            }
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException ignored) {
                // the JVM is shutting down: this is the hook
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        if (!problems.isEmpty()) {
            throw new AssertionError("cleaning up the private dockerd in " + dir + ": " + String.join("; ", problems));
        }
    }

    private void closeQuietly() {
        try {
            close();
        } catch (RuntimeException | Error e) {
            System.err.println("[private-dockerd] " + e.getMessage());
        }
    }

    /**
     * Processes whose command line names this engine's exec root or data root: its dockerd, containerd and shims,
     * nothing else's. (Not its socket: a tether with {@code --upstream} on it is the test's to end.)
     */
    private List<ProcessHandle> leftovers() {
        List<String> marks = List.of(dir.resolve("exec") + "/", dir.resolve("data") + "/", " " + dir.resolve("exec")
                + " ", " " + dir.resolve("data") + " ");
        List<String> containerIds = containerIds();
        long self = ProcessHandle.current().pid();
        List<ProcessHandle> found = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path proc : (Iterable<Path>) procs::iterator) {
                String name = proc.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit) || Long.parseLong(name) == self) {
                    continue;
                }
                try {
                    String cmdline = Files.readString(proc.resolve("cmdline"), StandardCharsets.ISO_8859_1);
                    String line = " " + cmdline.replace('\0', ' ') + " ";
                    boolean ours = marks.stream().anyMatch(line::contains);
                    if (!ours && !containerIds.isEmpty()) {
                        // a container's own processes, orphaned by a killed shim: by their cgroup, .../docker/<id>
                        String cgroup = Files.readString(proc.resolve("cgroup"), StandardCharsets.ISO_8859_1);
                        ours = containerIds.stream().anyMatch(id -> cgroup.contains("/" + id));
                    }
                    if (ours) {
                        ProcessHandle.of(Long.parseLong(name)).filter(PrivateDockerd::alive).ifPresent(found::add);
                    }
                } catch (IOException | UncheckedIOException e) {
                    // gone meanwhile
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return found;
    }

    /** The ids of this engine's containers: the names of the folders in its data root's {@code containers}. */
    private List<String> containerIds() {
        try (Stream<Path> entries = Files.list(dir.resolve("data/containers"))) {
            return entries.map(p -> p.getFileName().toString()).filter(n -> n.matches("[0-9a-f]{64}")).toList();
        } catch (IOException | UncheckedIOException e) {
            return List.of();
        }
    }

    private void endLeftovers(List<String> problems) {
        List<ProcessHandle> left = leftovers();
        if (left.isEmpty()) {
            return;
        }
        System.out.println("[private-dockerd] processes outlived the private dockerd, ending them: " + left.stream()
                .map(h -> h.pid() + " " + h.info().commandLine().orElse("?")).toList());
        left.forEach(ProcessHandle::destroy);
        for (ProcessHandle h : left) {
            if (!awaitGone(h, Duration.ofSeconds(10))) {
                h.destroyForcibly();
                awaitGone(h, Duration.ofSeconds(10));
            }
        }
        leftovers().forEach(h -> problems.add("pid " + h.pid() + " (" + h.info().commandLine().orElse("?")
                + ") survived SIGKILL"));
    }

    /** Mount points at or under this directory, deepest first. */
    private List<String> mounts() {
        String out = run(Duration.ofSeconds(30), "findmnt", "-rn", "-o", "TARGET");
        String root = dir.toString();
        return out.lines().filter(t -> t.equals(root) || t.startsWith(root + "/"))
                .sorted(Comparator.comparingInt(String::length).reversed()).toList();
    }

    /** umount, deepest first; a lazy umount in the last round. Whether it worked is what findmnt says after. */
    private void unmountAll(List<String> problems) {
        List<String> mounted = mounts();
        if (mounted.isEmpty()) {
            return;
        }
        System.out.println("[private-dockerd] left mounted by the private dockerd, unmounting: " + mounted);
        for (int round = 0; round < 3 && !mounted.isEmpty(); round++) {
            for (String target : mounted) {
                if (round < 2) {
                    run(Duration.ofSeconds(30), "umount", target);
                } else {
                    run(Duration.ofSeconds(30), "umount", "-l", target);
                }
            }
            mounted = mounts();
        }
        if (!mounted.isEmpty()) {
            problems.add("still mounted, so the directory is kept: " + mounted);
        }
    }

    // ---------------------------------------------------------------- helpers

    private static String dockerd() {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/usr/sbin").split(":")) {
            Path p = Path.of(d.isEmpty() ? "." : d, "dockerd");
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        for (String p : List.of("/usr/bin/dockerd", "/usr/local/bin/dockerd", "/usr/sbin/dockerd")) {
            if (Files.isExecutable(Path.of(p))) {
                return p;
            }
        }
        throw new AssertionError("no dockerd on this machine: the engine-restart test starts a private one"
                + " (apt-get install docker.io)");
    }

    private static Path shortTempDir() {
        return shortTempDir("tad-");
    }

    /** {@code /tmp/PREFIXxxxxxx}, mode 0700: short, for unix socket paths (under 108 bytes) below it. */
    static Path shortTempDir(String prefix) {
        for (int i = 0; i < 100; i++) {
            byte[] b = new byte[3];
            RANDOM.nextBytes(b);
            Path dir = Path.of("/tmp", prefix + HexFormat.of().formatHex(b));
            try {
                return Files.createDirectory(dir,
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (FileAlreadyExistsException e) {
                // taken: another name
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        throw new IllegalStateException("no free /tmp/" + prefix + "XXXXXX name");
    }

    /** The process named in the pid file, when it is a dockerd of this directory. */
    private Optional<ProcessHandle> readPidFile() {
        try {
            long pid = Long.parseLong(Files.readString(pidFile).strip());
            String cmdline = Files.readString(Path.of("/proc", Long.toString(pid), "cmdline"),
                    StandardCharsets.ISO_8859_1).replace('\0', ' ');
            if (!cmdline.contains("dockerd ") || !cmdline.contains(socket.toString())) {
                return Optional.empty(); // stale, and the pid reused by someone else
            }
            return ProcessHandle.of(pid);
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Alive, and not a zombie (an exited process nobody has reaped yet is gone for this purpose). */
    private static boolean alive(ProcessHandle p) {
        if (!p.isAlive()) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(p.pid()), "stat"));
            int close = stat.lastIndexOf(')');
            return close < 0 || close + 2 >= stat.length() || stat.charAt(close + 2) != 'Z';
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean awaitGone(ProcessHandle p, Duration timeout) {
        long end = System.nanoTime() + timeout.toNanos();
        while (alive(p)) {
            if (System.nanoTime() > end) {
                return false;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return !alive(p);
            }
        }
        return true;
    }

    /** Runs a short command to its end; returns its output (stdout and stderr), empty on any failure. */
    static String run(Duration timeout, String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            byte[][] out = new byte[1][];
            Thread reader = Thread.ofVirtual().start(() -> {
                try {
                    out[0] = p.getInputStream().readAllBytes();
                } catch (IOException e) {
                    out[0] = new byte[0];
                }
            });
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                return "";
            }
            reader.join(Duration.ofSeconds(5));
            return out[0] == null ? "" : new String(out[0], StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }
}
