package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.tether.journal.JournalReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import dev.tether.proxy.Engine;

/**
 * The audit journal as {@link AuditIT} reads it back: the raw file, line by line, each line parsed strictly (one
 * JSON object, nothing after it), so that a torn or merged line fails the test instead of being skipped.
 */
final class AuditItJournal {

    private static final ObjectReader STRICT = new ObjectMapper().reader()
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final Pattern TIME = Pattern.compile("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
    private static final Pattern FULL_ID = Pattern.compile("[0-9a-f]{64}");

    /** The file as read: its complete lines, and what follows the last newline (empty when it ends with one). */
    record Raw(List<String> lines, String tail, String text) {}

    private AuditItJournal() {}

    static Raw raw(Path journal) {
        String text;
        try {
            text = Files.readString(journal, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return new Raw(List.of(), "", "");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int lastNewline = text.lastIndexOf('\n');
        List<String> lines = lastNewline < 0 ? List.of() : List.of(text.substring(0, lastNewline).split("\n", -1));
        return new Raw(lines, text.substring(lastNewline + 1), text);
    }

    /**
     * Every complete line, parsed: each must be one JSON object with a millisecond UTC time, a full container id and
     * an event. Fails on the first line that is not.
     */
    static List<JsonNode> records(Path journal) {
        Raw raw = raw(journal);
        List<JsonNode> out = new ArrayList<>();
        for (int i = 0; i < raw.lines().size(); i++) {
            out.add(parse(journal, i + 1, raw.lines().get(i)));
        }
        return out;
    }

    static JsonNode parse(Path journal, int lineNumber, String line) {
        JsonNode json;
        try {
            json = STRICT.readTree(line);
        } catch (IOException e) {
            throw new AssertionError("line " + lineNumber + " of " + journal + " is not JSON (" + e.getMessage()
                    + "): " + line);
        }
        assertThat(json.isObject()).as("line %d of %s is a JSON object: %s", lineNumber, journal, line).isTrue();
        assertThat(json.path("time").asText()).as("line %d: time", lineNumber).matches(TIME);
        assertThat(json.path("container").asText()).as("line %d: full container id", lineNumber).matches(FULL_ID);
        assertThat(json.path("event").asText()).as("line %d: event", lineNumber).isNotEmpty();
        return json;
    }

    /** The records of one container, in file order. */
    static List<JsonNode> story(Path journal, String containerId) {
        return records(journal).stream().filter(r -> r.path("container").asText().equals(containerId)).toList();
    }

    /** What the project's own reader makes of the journal: the same records, none skipped. */
    static List<JsonNode> readByTether(Path journal) {
        try (Stream<JsonNode> s = JournalReader.read(journal)) {
            return s.toList();
        }
    }

    /** Polls until some record matches; returns it. */
    static JsonNode await(Path journal, Predicate<JsonNode> match, String what, Duration timeout) {
        long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            for (JsonNode r : records(journal)) {
                if (match.test(r)) {
                    return r;
                }
            }
            if (System.nanoTime() > end) {
                throw new AssertionError("the journal " + journal + " has no " + what + " record within " + timeout
                        + "; it holds:\n" + raw(journal).text());
            }
            Engine.pause();
        }
    }

    /** Polls until the container's story holds every event of {@code events}. */
    static List<JsonNode> awaitStory(Path journal, String containerId, Duration timeout, String... events) {
        long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<JsonNode> story = story(journal, containerId);
            List<String> seen = story.stream().map(r -> r.path("event").asText()).toList();
            if (seen.containsAll(List.of(events))) {
                return story;
            }
            if (System.nanoTime() > end) {
                throw new AssertionError("the story of " + containerId + " in " + journal + " lacks some of "
                        + List.of(events) + " after " + timeout + "; it has " + seen + ":\n" + describe(story));
            }
            Engine.pause();
        }
    }

    static Predicate<JsonNode> event(String event, String containerId) {
        return r -> r.path("event").asText().equals(event) && r.path("container").asText().equals(containerId);
    }

    static String describe(List<JsonNode> records) {
        StringBuilder sb = new StringBuilder();
        records.forEach(r -> sb.append("  ").append(r).append('\n'));
        return sb.toString();
    }
}
