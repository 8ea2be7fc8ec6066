package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tether.journal.JournalWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import dev.tether.proxy.Engine;

/** {@code ./tether audit} as a user runs it, on a journal this test writes with {@link JournalWriter}. */
@Timeout(300)
class AuditCommandIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MCP = "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2";
    private static final String PG = "f00dfeed0123456789abcdef0123456789abcdef0123456789abcdef01234567";
    private static final String STRAY = "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00";

    private Path dir;
    private Path journalPath;
    /** The hour-old part of the stories, then the two-minutes-old part. */
    private Instant old;
    private Instant recent;
    private final List<Launched> launched = new ArrayList<>();

    @BeforeEach
    void writeJournal() throws IOException {
        dir = Files.createTempDirectory(Path.of("/tmp"), "tether-audit");
        journalPath = dir.resolve("state/tether/audit.jsonl");
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        old = now.minus(Duration.ofHours(1));
        recent = now.minus(Duration.ofMinutes(2));
        Steps clock = new Steps(old);
        try (var journal = new JournalWriter(journalPath, JournalWriter.DEFAULT_MAX_BYTES, 5, clock)) {
            // An MCP server started by Claude Code through `docker run -i --rm`, reaped when the CLI died.
            journal.record("create", MCP, details("""
                    {"name":"/mcp-github","image":"ghcr.io/github/github-mcp-server","tie":"session",
                     "owner":{"pid":4242,"start":991,"exe":"/usr/bin/docker"},
                     "host":{"pid":4200,"start":870,"exe":"/usr/local/bin/claude"}}"""));
            journal.record("start", MCP, null);
            journal.record("attach", MCP, details("{\"pid\":4242,\"stdin\":true}"));
            // A Testcontainers database, its owner a JVM.
            journal.record("create", PG, details("""
                    {"name":"pg-café","image":"postgres:16","tie":"owner",
                     "owner":{"pid":777,"start":12,"exe":"/usr/lib/jvm/temurin-25/bin/java"}}"""));
            journal.record("start", PG, null);
            journal.record("die", STRAY, details("{\"exitCode\":0}"));
            clock.at(recent);
            journal.record("owner-exit", MCP, details("{\"pid\":4242}"));
            journal.record("reap", MCP, details("{\"reason\":\"owner-exit\",\"grace\":\"3s\",\"stop\":\"stopped\"}"));
            journal.record("die", MCP, details("{\"exitCode\":143,\"note\":\"SIGTERM, then gone\"}"));
            journal.record("destroy", MCP, null);
            journal.record("oom", PG, null);
            assertThat(journal.dropped()).isZero();
        }
    }

    @AfterEach
    void cleanUp() throws IOException {
        for (Launched l : launched) {
            l.process.destroyForcibly();
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void theTableShowsEachRecordWithTheContainersNameAndOwner() throws Exception {
        Launched audit = launch("audit", "--audit-log", journalPath.toString());
        List<String> out = audit.finish();

        assertThat(out).hasSize(12);
        String header = out.getFirst();
        assertThat(header).matches("TIME +CONTAINER +EVENT +OWNER +DETAIL");
        assertThat(out.subList(1, out.size())).containsExactly(
                row(header, old, "mcp-github", "create", "4242 docker",
                        "image=ghcr.io/github/github-mcp-server tie=session host=\"4200 claude\""),
                row(header, old.plusMillis(1), "mcp-github", "start", "4242 docker", ""),
                row(header, old.plusMillis(2), "mcp-github", "attach", "4242 docker", "pid=4242 stdin=true"),
                row(header, old.plusMillis(3), "pg-caf?", "create", "777 java", "image=postgres:16 tie=owner"),
                row(header, old.plusMillis(4), "pg-caf?", "start", "777 java", ""),
                row(header, old.plusMillis(5), "c0ffee00c0ff", "die", "-", "exitCode=0"),
                row(header, recent, "mcp-github", "owner-exit", "4242 docker", "pid=4242"),
                row(header, recent.plusMillis(1), "mcp-github", "reap", "4242 docker",
                        "reason=owner-exit grace=3s stop=stopped"),
                row(header, recent.plusMillis(2), "mcp-github", "die", "4242 docker",
                        "exitCode=143 note=\"SIGTERM, then gone\""),
                row(header, recent.plusMillis(3), "mcp-github", "destroy", "4242 docker", ""),
                row(header, recent.plusMillis(4), "pg-caf?", "oom", "777 java", ""));
        assertThat(audit.exitCode()).isZero();
    }

    @Test
    void jsonPrintsTheLinesExactlyAsTheJournalHasThem() throws Exception {
        Launched audit = launch("audit", "--json", "--audit-log", journalPath.toString());
        byte[] out = audit.finishBytes();

        assertThat(audit.exitCode()).isZero();
        assertThat(new String(out, StandardCharsets.UTF_8)).contains("pg-café");
        assertThat(out).isEqualTo(Files.readAllBytes(journalPath));
    }

    @Test
    void containerFiltersByNameFromTheCreateRecordOrByIdPrefix() throws Exception {
        assertThat(containers(launch("audit", "--json", "--container", "mcp-github", "--audit-log",
                journalPath.toString()).finish())).hasSize(7).containsOnly(MCP);
        assertThat(containers(launch("audit", "--json", "--container", "/mcp-github", "--audit-log",
                journalPath.toString()).finish())).hasSize(7).containsOnly(MCP);
        assertThat(containers(launch("audit", "--json", "--container", "f00dfe", "--audit-log",
                journalPath.toString()).finish())).hasSize(3).containsOnly(PG);
        assertThat(launch("audit", "--json", "--container", "f00", "--audit-log", journalPath.toString()).finish())
                .as("an id prefix needs 4 characters").isEmpty();

        List<String> table = launch("audit", "--container", "f00dfeed", "--audit-log", journalPath.toString()).finish();
        assertThat(table).hasSize(4);
        assertThat(table.subList(1, 4)).allSatisfy(line -> assertThat(line).contains("pg-caf", "777 java"));
    }

    @Test
    void sinceTakesADurationOrATime() throws Exception {
        assertThat(events(launch("audit", "--json", "--since", "10m", "--audit-log", journalPath.toString()).finish()))
                .containsExactly("owner-exit", "reap", "die", "destroy", "oom");
        assertThat(events(launch("audit", "--json", "--since", "2h", "--audit-log", journalPath.toString()).finish()))
                .hasSize(11);
        assertThat(events(launch("audit", "--json", "--since", recent.plusMillis(3).toString(), "--audit-log",
                journalPath.toString()).finish())).containsExactly("destroy", "oom");

        Launched wrong = launch("audit", "--since", "yesterday-ish", "--audit-log", journalPath.toString());
        wrong.finish();
        assertThat(wrong.exitCode()).isEqualTo(1);
        assertThat(wrong.stderr()).contains("--since 'yesterday-ish' is neither a duration");
    }

    @Test
    void followPrintsNewRecordsAcrossARotationAndSigtermEndsItWithZero() throws Exception {
        Launched audit = follow("audit", "--follow", "--container", "mcp-github", "--audit-log",
                journalPath.toString());
        assertThat(audit.awaitStdout(" destroy ")).contains("mcp-github");

        try (var journal = new JournalWriter(journalPath)) {
            journal.record("create", MCP, details("{\"name\":\"mcp-github\",\"owner\":{\"pid\":5151,\"exe\":\"/usr/bin/docker\"}}"));
            journal.record("kill", PG, details("{\"signal\":\"SIGKILL\"}"));
        }
        assertThat(audit.awaitStdout(" create ")).contains("5151 docker");

        // Every record into a file of its own: the follow must find them across the renames.
        try (var journal = new JournalWriter(journalPath, 1, 5, Clock.systemUTC())) {
            journal.record("start", MCP, null);
            journal.record("attach", MCP, null);
        }
        assertThat(audit.awaitStdout(" start ")).contains("mcp-github");
        assertThat(audit.awaitStdout(" attach ")).contains("mcp-github");
        assertThat(Files.exists(journalPath.resolveSibling("audit.jsonl.2"))).isTrue();

        audit.process.toHandle().destroy(); // SIGTERM
        assertThat(audit.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(audit.process.exitValue()).isZero();
        assertThat(audit.stdoutSoFar()).noneMatch(line -> line.contains(" kill "));
    }

    @Test
    void aMissingJournalIsSaidPlainlyAndIsNoError() throws Exception {
        Path missing = dir.resolve("nowhere/audit.jsonl");
        Launched audit = launch("audit", "--audit-log", missing.toString());

        assertThat(audit.finish()).containsExactly("no audit journal at " + missing + " yet (tether up writes it)");
        assertThat(audit.exitCode()).isZero();
    }

    // ------------------------------------------------------------------ helpers

    /** A table row as the command lays it out, with the columns where the header has them. */
    private static String row(String header, Instant time, String container, String event, String owner,
                              String detail) {
        String[] cells = {time(time), container, event, owner};
        String[] columns = {"CONTAINER", "EVENT", "OWNER", "DETAIL"};
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < cells.length; i++) {
            line.append(cells[i]);
            line.append(" ".repeat(Math.max(0, header.indexOf(columns[i]) - line.length())));
        }
        return (line + detail).stripTrailing();
    }

    /** The TIME column in UTC, the zone the command runs in here. */
    private static String time(Instant t) {
        boolean today = t.atZone(ZoneOffset.UTC).toLocalDate().equals(LocalDate.now(ZoneOffset.UTC));
        return DateTimeFormatter.ofPattern(today ? "HH:mm:ss.SSS" : "yyyy-MM-dd HH:mm:ss.SSS")
                .withZone(ZoneOffset.UTC).format(t);
    }

    private static ObjectNode details(String json) throws IOException {
        return (ObjectNode) JSON.readTree(json);
    }

    private static List<String> containers(List<String> jsonLines) throws IOException {
        List<String> ids = new ArrayList<>();
        for (String line : jsonLines) {
            ids.add(JSON.readTree(line).path("container").asText());
        }
        return ids;
    }

    private static List<String> events(List<String> jsonLines) throws IOException {
        List<String> events = new ArrayList<>();
        for (String line : jsonLines) {
            events.add(JSON.readTree(line).path("event").asText());
        }
        return events;
    }

    private Launched launch(String... args) throws IOException {
        return start(false, args);
    }

    private Launched follow(String... args) throws IOException {
        return start(true, args);
    }

    private Launched start(boolean follow, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Engine.root().resolve("tether").toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("TZ", "UTC");
        // The C locale: the table's non-ASCII shows as '?', --json must still give the bytes unchanged.
        pb.environment().keySet().removeIf(k -> k.startsWith("LC_") || k.equals("LANG"));
        Launched l = new Launched(pb.start(), follow);
        launched.add(l);
        return l;
    }

    /** A clock that stands still at a chosen instant, and moves a millisecond on each reading. */
    private static final class Steps extends Clock {
        private Instant next;

        Steps(Instant start) {
            this.next = start;
        }

        void at(Instant instant) {
            next = instant;
        }

        @Override
        public Instant instant() {
            Instant now = next;
            next = next.plusMillis(1);
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }
    }
}
