package dev.tether.journal;

import static dev.tether.journal.JournalWriterTest.ID;
import static dev.tether.journal.JournalWriterTest.JSON;
import static dev.tether.journal.JournalWriterTest.allRecords;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.io.TempDir;
import dev.tether.process.Children;

/** A JVM killed with SIGKILL while it writes records as fast as it can leaves whole lines. */
class JournalCrashTest {

    @TempDir
    Path dir;

    private Process child;

    @AfterEach
    void killChild() {
        if (child != null) {
            child.destroyForcibly();
        }
    }

    /** The writer: records of 0 to 9 KiB, so that many span page boundaries, until it is killed. */
    public static final class Writer {
        public static void main(String[] args) {
            try (var journal = new JournalWriter(Path.of(args[0]), 1L << 40, 1, Clock.systemUTC())) {
                for (int seq = 0; ; seq++) {
                    journal.record("attach", ID, JSON.createObjectNode().put("seq", seq).put("pad",
                            "k".repeat((seq * 1237) % 9000)));
                    if (seq == 100) {
                        System.out.println("writing");
                        System.out.flush();
                    }
                }
            }
        }
    }

    @RepeatedTest(3)
    void killedMidWriteLeavesOnlyWholeRecordsAndTheNextWriterContinuesCleanly() throws Exception {
        Path path = dir.resolve("audit.jsonl");
        child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // Its stdout is read line by line: logback's own status lines must not come first.
                "-Dlogback.statusListenerClass=ch.qos.logback.core.status.NopStatusListener",
                "-cp", System.getProperty("java.class.path"), Writer.class.getName(), path.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        var out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        assertThat(out.readLine()).as("the child said it is writing").isEqualTo("writing");
        long killAt = Files.size(path) + 8 * 1024 * 1024;
        Children.await("8 MiB more of records", () -> size(path) > killAt);

        child.destroyForcibly(); // SIGKILL: no shutdown hook, no close, whatever write is under way
        assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();

        byte[] bytes = Files.readAllBytes(path);
        int end = bytes.length;
        while (end > 0 && bytes[end - 1] != '\n') {
            end--;
        }
        String whole = new String(bytes, 0, end, StandardCharsets.UTF_8);
        List<Integer> seqs = whole.lines().map(l -> parse(l).path("seq").asInt()).toList();
        assertThat(seqs).as("every line a whole record, none missing")
                .containsExactlyElementsOf(IntStream.range(0, seqs.size()).boxed().toList());
        // A SIGKILL landing between two pages of one write(2) ends it short: the only way to a cut-off record.
        System.out.printf("killed after %d records; %d bytes after the last newline%n", seqs.size(), bytes.length - end);

        try (var next = new JournalWriter(path)) {
            next.record("reap", ID, JSON.createObjectNode().put("seq", seqs.size()));
        }

        List<JsonNode> records = allRecords(path);
        assertThat(records).extracting(r -> r.path("seq").asInt())
                .containsExactlyElementsOf(IntStream.rangeClosed(0, seqs.size()).boxed().toList());
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (java.io.IOException e) {
            return 0;
        }
    }

    private static JsonNode parse(String line) {
        try {
            return JSON.readTree(line);
        } catch (java.io.IOException e) {
            throw new AssertionError("not a whole record: " + line.substring(0, Math.min(200, line.length())), e);
        }
    }
}
