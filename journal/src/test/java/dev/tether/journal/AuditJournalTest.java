package dev.tether.journal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shape of a record, what never reaches it, where it goes, and reading it back. */
class AuditJournalTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String ID = "4f3c2b1a0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b";

    @TempDir
    Path dir;

    static Clock at(String instant) {
        return Clock.fixed(Instant.parse(instant), ZoneOffset.UTC);
    }

    @Test
    void aRecordIsOneLineWithTheTimeInMillisecondsTheContainerTheEventAndTheDetails() throws Exception {
        Path path = dir.resolve("audit.jsonl");
        try (var journal = new AuditJournal(path, AuditJournal.DEFAULT_MAX_BYTES, 5, at("2026-11-21T08:30:01.123456Z"))) {
            journal.record("reap", ID, JSON.createObjectNode()
                    .put("reason", "owner-exit").put("grace", "3s").put("stop", "stopped"));
        }

        assertThat(Files.readString(path)).isEqualTo("{\"time\":\"2026-11-21T08:30:01.123Z\",\"container\":\"" + ID
                + "\",\"event\":\"reap\",\"reason\":\"owner-exit\",\"grace\":\"3s\",\"stop\":\"stopped\"}\n");
    }

    @Test
    void aWholeSecondStillHasThreeDigitsOfMillisecondsAndNoDetailsIsFine() throws Exception {
        Path path = dir.resolve("audit.jsonl");
        try (var journal = new AuditJournal(path, AuditJournal.DEFAULT_MAX_BYTES, 5, at("2026-11-21T08:30:01Z"))) {
            journal.record("start", ID, null);
        }

        assertThat(Files.readString(path))
                .isEqualTo("{\"time\":\"2026-11-21T08:30:01.000Z\",\"container\":\"" + ID + "\",\"event\":\"start\"}\n");
    }

    @Test
    void detailsCannotOverwriteTheTimeTheContainerOrTheEvent() throws Exception {
        Path path = dir.resolve("audit.jsonl");
        try (var journal = new AuditJournal(path, AuditJournal.DEFAULT_MAX_BYTES, 5, at("2026-11-21T08:30:01.5Z"))) {
            journal.record("die", ID, JSON.createObjectNode()
                    .put("time", "forged").put("container", "other").put("event", "create").put("exitCode", 137));
        }

        JsonNode record = JSON.readTree(Files.readString(path));
        assertThat(record.path("time").asText()).isEqualTo("2026-11-21T08:30:01.500Z");
        assertThat(record.path("container").asText()).isEqualTo(ID);
        assertThat(record.path("event").asText()).isEqualTo("die");
        assertThat(record.path("exitCode").asInt()).isEqualTo(137);
    }

    @Test
    void credentialsAreLeftOutAtAnyDepthInAnyCaseAndTheCallersDetailsAreUntouched() throws Exception {
        ObjectNode details = (ObjectNode) JSON.readTree("""
                {"image": "ghcr.io/github/github-mcp-server",
                 "Env": ["GITHUB_PERSONAL_ACCESS_TOKEN=ghp_secret1"],
                 "ENV": "secret2",
                 "HostConfig": {"Binds": ["/src:/src"], "auth": "secret3",
                                "more": [{"PASSWORD": "secret4", "IdentityToken": "secret5", "ok": 1},
                                         [{"registrytoken": "secret6"}]]},
                 "headers": {"X-Registry-Auth": "secret7", "x-registry-config": "secret8", "User-Agent": "docker"},
                 "environment": "kept: only the names listed are credentials"}
                """);
        String before = details.toString();
        Path path = dir.resolve("audit.jsonl");
        try (var journal = new AuditJournal(path)) {
            journal.record("create", ID, details);
        }

        String line = Files.readString(path);
        assertThat(line).doesNotContain("secret1", "secret2", "secret3", "secret4", "secret5", "secret6", "secret7",
                "secret8");
        JsonNode record = JSON.readTree(line);
        assertThat(record.path("image").asText()).isEqualTo("ghcr.io/github/github-mcp-server");
        assertThat(record.at("/HostConfig/Binds/0").asText()).isEqualTo("/src:/src");
        assertThat(record.at("/HostConfig/more/0/ok").asInt()).isEqualTo(1);
        assertThat(record.at("/HostConfig/more/1/0").isEmpty()).isTrue();
        assertThat(record.at("/headers/User-Agent").asText()).isEqualTo("docker");
        assertThat(record.has("environment")).isTrue();
        assertThat(details.toString()).isEqualTo(before);
    }

    @Test
    void theDefaultPathIsUnderXdgStateHomeElseUnderTheHomeDirectory() {
        assertThat(AuditJournal.defaultPath(Map.of("XDG_STATE_HOME", "/var/lib/me/state"), "/home/me"))
                .isEqualTo(Path.of("/var/lib/me/state/tether/audit.jsonl"));
        assertThat(AuditJournal.defaultPath(Map.of(), "/home/me"))
                .isEqualTo(Path.of("/home/me/.local/state/tether/audit.jsonl"));
        assertThat(AuditJournal.defaultPath(Map.of("XDG_STATE_HOME", "relative/state"), "/home/me"))
                .as("the XDG spec: a relative path is ignored")
                .isEqualTo(Path.of("/home/me/.local/state/tether/audit.jsonl"));
    }

    @Test
    void directoriesItCreatesAreOwnerOnlyAndSoIsTheFile() throws Exception {
        Path path = dir.resolve("state/tether/audit.jsonl");
        try (var journal = new AuditJournal(path)) {
            journal.record("create", ID, null);
        }

        assertThat(mode(dir.resolve("state"))).isEqualTo("rwx------");
        assertThat(mode(dir.resolve("state/tether"))).isEqualTo("rwx------");
        assertThat(mode(path)).isEqualTo("rw-------");
        assertThat(mode(AuditFiles.lockFile(path))).isEqualTo("rw-------");
    }

    @Test
    void readingSkipsAndCountsWhatIsNoRecordAndLeavesALineBeingWrittenForLater() throws Exception {
        Path path = dir.resolve("audit.jsonl");
        try (var journal = new AuditJournal(path)) {
            journal.record("create", ID, JSON.createObjectNode().put("seq", 0));
            Files.writeString(path, "not json\n[1,2]\n{\"cut\":\n\n{\"a\":1} trailing\n",
                    java.nio.file.StandardOpenOption.APPEND);
            journal.record("start", ID, JSON.createObjectNode().put("seq", 1));
        }
        Files.writeString(path, "{\"time\":\"2026-", java.nio.file.StandardOpenOption.APPEND);

        List<AuditJournal.Unreadable> unreadable = new ArrayList<>();
        List<AuditJournal.Line> lines;
        try (Stream<AuditJournal.Line> s = AuditJournal.lines(path, unreadable::add)) {
            lines = s.toList();
        }

        assertThat(lines).extracting(l -> l.json().path("seq").asInt()).containsExactly(0, 1);
        assertThat(lines.getFirst().text()).isEqualTo(Files.readAllLines(path).getFirst());
        assertThat(unreadable).extracting(AuditJournal.Unreadable::line).containsExactly(2L, 3L, 4L, 6L);
        assertThat(unreadable).allSatisfy(u -> assertThat(u.file()).isEqualTo(path));
        try (Stream<JsonNode> records = AuditJournal.read(path)) {
            assertThat(records.count()).isEqualTo(2);
        }
    }

    @Test
    void readingGoesThroughTheRotatedFilesOldestFirstThenTheCurrentOne() throws Exception {
        Path path = dir.resolve("audit.jsonl");
        Files.writeString(AuditFiles.rotated(path, 2), "{\"seq\":0}\n{\"seq\":1}\n");
        Files.writeString(AuditFiles.rotated(path, 1), "{\"seq\":2}\n");
        Files.writeString(path, "{\"seq\":3}\n{\"seq\":4}\n");
        Files.writeString(path.resolveSibling("audit.jsonl.lock"), "");
        Files.writeString(path.resolveSibling("audit.jsonl.old"), "{\"seq\":99}\n");

        try (Stream<JsonNode> records = AuditJournal.read(path)) {
            assertThat(records.map(r -> r.path("seq").asInt())).containsExactly(0, 1, 2, 3, 4);
        }
        assertThat(AuditJournal.exists(path)).isTrue();
        assertThat(AuditJournal.exists(dir.resolve("other.jsonl"))).isFalse();
    }

    @Test
    void nonAsciiTextIsWrittenAsUtf8AndReadBackUnchanged() throws Exception {
        Path path = dir.resolve("audit.jsonl");
        try (var journal = new AuditJournal(path)) {
            journal.record("create", ID, JSON.createObjectNode().put("name", "café-😀"));
        }

        assertThat(Files.readString(path, StandardCharsets.UTF_8)).contains("café-😀");
        try (Stream<AuditJournal.Line> lines = AuditJournal.lines(path, u -> { })) {
            assertThat(lines.findFirst().orElseThrow().json().path("name").asText()).isEqualTo("café-😀");
        }
    }

    static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    /** Every line of every file of the journal, oldest first; each must be whole. */
    static List<JsonNode> allRecords(Path journal) throws IOException {
        List<Path> files = new ArrayList<>(AuditFiles.rotatedOldestFirst(journal));
        if (Files.exists(journal)) {
            files.add(journal);
        }
        List<JsonNode> records = new ArrayList<>();
        for (Path file : files) {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            assertThat(text).as("%s ends with a newline", file).satisfiesAnyOf(
                    t -> assertThat(t).isEmpty(), t -> assertThat(t).endsWith("\n"));
            for (String line : text.split("\n", -1)) {
                if (!line.isEmpty()) {
                    JsonNode record = JSON.readTree(line);
                    assertThat(record.isObject()).as("a record: %s", line).isTrue();
                    records.add(record);
                }
            }
        }
        return records;
    }
}
