package dev.tether.journal;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the journal {@link JournalWriter} writes ({@code tether audit}, in a process of its own): the rotated files
 * oldest first, then the current one. A record is a complete line: bytes after the last newline are a record still
 * being written, or one a crash cut off, and never taken for one. The files are opened as one set under a shared
 * lock, so that a writer rotating meanwhile makes no file be read twice or not at all.
 */
public final class JournalReader {

    private static final Logger log = LoggerFactory.getLogger(JournalReader.class);
    private static final ObjectReader PARSER = new ObjectMapper().reader()
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private JournalReader() {}

    /** One record as read: its line exactly as written, and parsed. */
    public record Line(String text, JsonNode json) {}

    /** A line that is not a record (not a JSON object), skipped by the readers. */
    public record Unreadable(Path file, long line) {}

    /** Told of each record that {@link #follow} finds. */
    public interface Listener {

        void line(Line line);

        default void unreadable(Unreadable where) {}

        /** Every record written before the follow started has been passed on; from now on, new ones. */
        default void caughtUp() {}
    }

    /** Whether the journal or any rotated file of it exists. */
    public static boolean exists(Path journal) {
        try {
            return Files.exists(journal) || !JournalFiles.rotatedOldestFirst(journal).isEmpty();
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Every record, the rotated files' oldest first; lines that are no record are skipped, and counted in a
     * warning when the stream is closed. Close the stream.
     */
    public static Stream<JsonNode> read(Path journal) {
        AtomicLong skipped = new AtomicLong();
        return lines(journal, u -> {
            skipped.incrementAndGet();
            log.debug("skipped unreadable line {} of {}", u.line(), u.file());
        }).map(Line::json).onClose(() -> {
            if (skipped.get() > 0) {
                log.warn("skipped {} unreadable lines in audit journal {}", skipped.get(), journal);
            }
        });
    }

    /**
     * Every record, the rotated files' oldest first, then the current file: the files are opened at once, so a
     * rotation while the stream is read changes nothing in it. A line that is not a JSON object goes to
     * {@code onUnreadable}. The current file's last line, if it has no newline yet, is being written: not a record
     * yet. Close the stream.
     */
    public static Stream<Line> lines(Path journal, Consumer<Unreadable> onUnreadable) {
        Path current = journal.toAbsolutePath().normalize();
        List<JournalFiles.Opened> opened;
        try {
            opened = JournalFiles.openAll(current);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return opened.stream()
                .flatMap(o -> linesOf(o, o.name().equals(current), onUnreadable))
                .onClose(() -> JournalFiles.closeAll(opened));
    }

    private static Stream<Line> linesOf(JournalFiles.Opened file, boolean current, Consumer<Unreadable> onUnreadable) {
        JournalLines lines = new JournalLines(file.channel());
        return StreamSupport.stream(new Spliterators.AbstractSpliterator<Line>(Long.MAX_VALUE,
                Spliterator.ORDERED | Spliterator.NONNULL) {
            private boolean done;

            @Override
            public boolean tryAdvance(Consumer<? super Line> action) {
                if (done) {
                    return false;
                }
                try {
                    String text;
                    while ((text = lines.next()) != null) {
                        Line line = parse(text, file.name(), lines.lineNumber(), onUnreadable);
                        if (line != null) {
                            action.accept(line);
                            return true;
                        }
                    }
                    done = true;
                    if (!current && lines.hasTail()) {
                        onUnreadable.accept(new Unreadable(file.name(), lines.lineNumber() + 1));
                    }
                    return false;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }, false);
    }

    /** The record on a line; null for a blank line, or for one that is no record (then reported). */
    static Line parse(String text, Path file, long lineNumber, Consumer<Unreadable> onUnreadable) {
        if (text.isBlank()) {
            return null;
        }
        try {
            JsonNode json = PARSER.readTree(text);
            if (json instanceof ObjectNode) {
                return new Line(text, json);
            }
        } catch (IOException e) {
            // reported below
        }
        onUnreadable.accept(new Unreadable(file, lineNumber));
        return null;
    }

    /**
     * Passes on every record, the rotated files' oldest first, then each new one as it is appended, until the
     * calling thread is interrupted. The journal is polled every {@code interval}: a rotation is noticed by the
     * path naming another file, and the records still written to the old file before it, and to any file rotated
     * in between, are passed on first. A journal that does not exist yet is waited for.
     */
    public static void follow(Path journal, Duration interval, Listener listener)
            throws IOException, InterruptedException {
        new JournalTail(journal.toAbsolutePath().normalize(), interval, listener).run();
    }
}
