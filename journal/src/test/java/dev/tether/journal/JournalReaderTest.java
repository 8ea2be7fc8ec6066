package dev.tether.journal;

import static dev.tether.journal.JournalWriterTest.ID;
import static dev.tether.journal.JournalWriterTest.JSON;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading the journal back: what is a record, in which order the files are read. */
class JournalReaderTest {

    @TempDir
    Path dir;

    @Test
    void readingSkipsAndCountsWhatIsNoRecordAndLeavesALineBeingWrittenForLater() throws Exception {
        Path path = dir.resolve("audit.jsonl");
        try (var journal = new JournalWriter(path)) {
            journal.record("create", ID, JSON.createObjectNode().put("seq", 0));
            Files.writeString(path, "not json\n[1,2]\n{\"cut\":\n\n{\"a\":1} trailing\n",
                    StandardOpenOption.APPEND);
            journal.record("start", ID, JSON.createObjectNode().put("seq", 1));
        }
        Files.writeString(path, "{\"time\":\"2026-", StandardOpenOption.APPEND);

        List<JournalReader.Unreadable> unreadable = new ArrayList<>();
        List<JournalReader.Line> lines;
        try (Stream<JournalReader.Line> s = JournalReader.lines(path, unreadable::add)) {
            lines = s.toList();
        }

        assertThat(lines).extracting(l -> l.json().path("seq").asInt()).containsExactly(0, 1);
        assertThat(lines.getFirst().text()).isEqualTo(Files.readAllLines(path).getFirst());
        assertThat(unreadable).extracting(JournalReader.Unreadable::line).containsExactly(2L, 3L, 4L, 6L);
        assertThat(unreadable).allSatisfy(u -> assertThat(u.file()).isEqualTo(path));
        try (Stream<JsonNode> records = JournalReader.read(path)) {
            assertThat(records.count()).isEqualTo(2);
        }
    }

    @Test
    void readingGoesThroughTheRotatedFilesOldestFirstThenTheCurrentOne() throws Exception {
        Path path = dir.resolve("audit.jsonl");
        Files.writeString(JournalFiles.rotated(path, 2), "{\"seq\":0}\n{\"seq\":1}\n");
        Files.writeString(JournalFiles.rotated(path, 1), "{\"seq\":2}\n");
        Files.writeString(path, "{\"seq\":3}\n{\"seq\":4}\n");
        Files.writeString(path.resolveSibling("audit.jsonl.lock"), "");
        Files.writeString(path.resolveSibling("audit.jsonl.old"), "{\"seq\":99}\n");

        try (Stream<JsonNode> records = JournalReader.read(path)) {
            assertThat(records.map(r -> r.path("seq").asInt())).containsExactly(0, 1, 2, 3, 4);
        }
        assertThat(JournalReader.exists(path)).isTrue();
        assertThat(JournalReader.exists(dir.resolve("other.jsonl"))).isFalse();
    }

    @Test
    void nonAsciiTextIsWrittenAsUtf8AndReadBackUnchanged() throws Exception {
        Path path = dir.resolve("audit.jsonl");
        try (var journal = new JournalWriter(path)) {
            journal.record("create", ID, JSON.createObjectNode().put("name", "café-😀"));
        }

        assertThat(Files.readString(path, StandardCharsets.UTF_8)).contains("café-😀");
        try (Stream<JournalReader.Line> lines = JournalReader.lines(path, u -> { })) {
            assertThat(lines.findFirst().orElseThrow().json().path("name").asText()).isEqualTo("café-😀");
        }
    }
}
