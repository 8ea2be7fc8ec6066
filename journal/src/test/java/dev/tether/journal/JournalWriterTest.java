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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shape of a record, what never reaches it, and where it goes. */
class JournalWriterTest {

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
        try (var journal = new JournalWriter(path, JournalWriter.DEFAULT_MAX_BYTES, 5, at("2026-11-21T08:30:01.123456Z"))) {
            journal.record("reap", ID, JSON.createObjectNode()
                    .put("reason", "owner-exit").put("grace", "3s").put("stop", "stopped"));
        }

        assertThat(Files.readString(path)).isEqualTo("{\"time\":\"2026-11-21T08:30:01.123Z\",\"container\":\"" + ID
                + "\",\"event\":\"reap\",\"reason\":\"owner-exit\",\"grace\":\"3s\",\"stop\":\"stopped\"}\n");
    }

    @Test
    void aWholeSecondStillHasThreeDigitsOfMillisecondsAndNoDetailsIsFine() throws Exception {
        Path path = dir.resolve("audit.jsonl");
        try (var journal = new JournalWriter(path, JournalWriter.DEFAULT_MAX_BYTES, 5, at("2026-11-21T08:30:01Z"))) {
            journal.record("start", ID, null);
        }

        assertThat(Files.readString(path))
                .isEqualTo("{\"time\":\"2026-11-21T08:30:01.000Z\",\"container\":\"" + ID + "\",\"event\":\"start\"}\n");
    }

    @Test
    void detailsCannotOverwriteTheTimeTheContainerOrTheEvent() throws Exception {
        Path path = dir.resolve("audit.jsonl");
        try (var journal = new JournalWriter(path, JournalWriter.DEFAULT_MAX_BYTES, 5, at("2026-11-21T08:30:01.5Z"))) {
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
        try (var journal = new JournalWriter(path)) {
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
    void directoriesItCreatesAreOwnerOnlyAndSoIsTheFile() throws Exception {
        Path path = dir.resolve("state/tether/audit.jsonl");
        try (var journal = new JournalWriter(path)) {
            journal.record("create", ID, null);
        }

        assertThat(mode(dir.resolve("state"))).isEqualTo("rwx------");
        assertThat(mode(dir.resolve("state/tether"))).isEqualTo("rwx------");
        assertThat(mode(path)).isEqualTo("rw-------");
        assertThat(mode(JournalFiles.lockFile(path))).isEqualTo("rw-------");
    }

    static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    /** Every line of every file of the journal, oldest first; each must be whole. */
    static List<JsonNode> allRecords(Path journal) throws IOException {
        List<Path> files = new ArrayList<>(JournalFiles.rotatedOldestFirst(journal));
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
