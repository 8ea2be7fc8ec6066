package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A started command (a real {@code ./tether}) with its output collected as it comes. Signal it through
 * {@code process.toHandle()}: {@code Process.destroy()} also closes our end of its output.
 */
final class Launched {

    final Process process;
    final BlockingQueue<String> stdout = new LinkedBlockingQueue<>();
    final List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    final StringBuffer stderr = new StringBuffer();
    final Thread stdoutPump;
    final Thread stderrPump;
    byte[] stdoutBytes;

    /** @param follow read stdout line by line as it comes, not to its end */
    Launched(Process process, boolean follow) {
        this.process = process;
        stdoutPump = Thread.ofVirtual().start(follow
                ? () -> pump(process.inputReader(StandardCharsets.UTF_8), line -> {
                    seen.add(line);
                    stdout.add(line);
                })
                : () -> {
                    try (var in = process.getInputStream()) {
                        stdoutBytes = in.readAllBytes();
                    } catch (IOException ignored) {
                        // the process ended
                    }
                });
        stderrPump = Thread.ofVirtual().start(() -> pump(new BufferedReader(new InputStreamReader(
                process.getErrorStream(), StandardCharsets.UTF_8)), line -> stderr.append(line).append('\n')));
    }

    byte[] finishBytes() throws InterruptedException {
        assertThat(process.waitFor(240, TimeUnit.SECONDS)).as("the command ends").isTrue();
        stdoutPump.join(Duration.ofSeconds(10));
        return stdoutBytes;
    }

    List<String> finish() throws InterruptedException {
        return new String(finishBytes(), StandardCharsets.UTF_8).lines().toList();
    }

    int exitCode() {
        return process.exitValue();
    }

    /** What the process wrote to stderr; once it has exited, all of it. */
    String stderr() throws InterruptedException {
        if (!process.isAlive()) {
            stderrPump.join(Duration.ofSeconds(10));
        }
        return stderr.toString();
    }

    String awaitStdout(String part) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240); // the first run builds the jar
        while (System.nanoTime() - deadline < 0) {
            String line = stdout.poll(100, TimeUnit.MILLISECONDS);
            if (line != null && line.contains(part)) {
                return line;
            }
            if (line == null && !process.isAlive()) {
                throw new AssertionError("the command exited with " + process.exitValue() + ": " + stderr);
            }
        }
        throw new AssertionError("no line with '" + part + "' in time; stdout: " + seen + "; stderr: " + stderr);
    }

    List<String> stdoutSoFar() {
        return List.copyOf(seen);
    }

    private static void pump(BufferedReader reader, java.util.function.Consumer<String> sink) {
        try (reader) {
            String line;
            while ((line = reader.readLine()) != null) {
                sink.accept(line);
            }
        } catch (IOException ignored) {
            // the process ended
        }
    }
}
