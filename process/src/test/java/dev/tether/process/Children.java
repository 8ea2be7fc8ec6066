package dev.tether.process;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.labeler.ProcessId;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Real processes for one test, all killed (with whatever they started) when it ends. */
public final class Children implements AutoCloseable {

    private final List<ProcessHandle> started = new ArrayList<>();

    Process start(String... command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            started.add(process.toHandle());
            return process;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    ProcessId startSleep() {
        return identify(start("sleep", "60"));
    }

    ProcessId identify(Process process) {
        ProcessId id = Processes.identify(process.pid());
        assertThat(id.isKnown()).as("identify %d", process.pid()).isTrue();
        return id;
    }

    /** First line the process writes. */
    static String firstLine(Process process) {
        try {
            return new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)).readLine();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A zombie not ours to reap: a shell forks a child, then becomes {@code sleep}, which never waits for it; only
     * then is the child told to exit (a shell might still reap it). A direct child would not stay a zombie: the JDK
     * reaps its children at once.
     */
    ProcessId zombie() {
        Process shell = start("sh", "-c", "exec 3<&0; { read line <&3; } & echo $!; exec sleep 60");
        long pid = Long.parseLong(firstLine(shell).strip());
        await("sleep in place of the shell", () -> Processes.commandLine(shell.pid()).equals(List.of("sleep", "60")));
        try {
            shell.getOutputStream().write('\n');
            shell.getOutputStream().flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        await("zombie " + pid, () -> Processes.stat(pid).map(Processes.Stat::exited).orElse(false));
        ProcessId zombie = Processes.identify(pid);
        assertThat(zombie.isKnown()).isTrue();
        return zombie;
    }

    /** Waits for a condition, checking it every 0.2 ms; fails after 10 s. */
    public static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting for " + what);
            }
            LockSupport.parkNanos(200_000);
        }
    }

    /** Whether the process ignores SIGTERM, from the SigIgn mask in /proc/PID/status. */
    static boolean ignoresSigterm(long pid) {
        try {
            return Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).stream()
                    .filter(line -> line.startsWith("SigIgn:"))
                    .map(line -> Long.parseUnsignedLong(line.substring("SigIgn:".length()).strip(), 16))
                    .anyMatch(mask -> (mask & (1L << (15 - 1))) != 0);
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() {
        for (ProcessHandle process : started) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
    }
}
