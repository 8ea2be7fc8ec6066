package dev.tether.journal;

import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What tether did to which container, and why: an append-only JSON Lines file, one record a line,
 * <pre>{"time":"2026-11-21T08:30:01.123Z","container":"&lt;full id&gt;","event":"reap","reason":"owner-exit",…}</pre>
 * Events: {@code create start attach stdin-closed detach owner-exit host-exit reap die kill oom destroy}. A
 * {@code create} record names the container and its owner, which {@code tether audit} shows on every later line:
 * {@code "name":"mcp-github","image":…,"tie":"session","owner":{"pid":4242,"start":…,"exe":"/usr/bin/docker"},"host":{…}}.
 *
 * <p><b>Whole lines, even across a crash.</b> Each record is one {@code write(2)} of the complete line, newline
 * included, on a channel opened with {@code O_APPEND}. On a local file system the kernel appends such a write whole:
 * other appenders (this JVM's threads, another tether on the same file) never land inside it, and a JVM that
 * crashes or is killed after the call leaves the whole line in the page cache, which the kernel writes out though
 * the process is gone. Nothing is buffered between records, so a crash loses at most the record being written.
 * The one gap: Linux checks for a fatal signal between the pages it copies, so a SIGKILL (or the OOM killer)
 * landing in the middle of a line that spans a page boundary ends the write short. Such a cut-off tail has no
 * newline; readers never take it for a record, and the next writer to open the journal cuts it off (under the
 * lock below) before it appends, so it never runs into the next record.
 *
 * <p><b>No fsync.</b> Records are not forced to the disk one by one: what they must survive is a crash of tether,
 * which the page cache does; surviving power loss would cost a disk flush, milliseconds, on the reaper's path for
 * every record. {@link #close()} forces the file.
 *
 * <p><b>Rotation.</b> A record that would take the file past {@code maxBytes} first renames it to
 * {@code audit.jsonl.1} (the older ones shift to {@code .2} …, at most {@code keep} kept), then goes whole into a
 * fresh file; a record larger than {@code maxBytes} gets a file of its own. Rotation and repair hold an exclusive
 * lock on {@code audit.jsonl.lock}, and each append holds it too, so tethers sharing the journal never rotate it
 * twice or cut off each other's record; a writer reopens the file whenever the path names another file than the
 * one it holds. These are POSIX locks, which belong to a process: closing any channel on the lock file drops all
 * of its locks on it, so in one process a second journal object or a reader of the same path can let another
 * process rotate at the same moment. tether writes in one process ({@code tether up}) and reads in others.
 *
 * <p><b>Failures never reach the caller.</b> If the journal cannot be written (disk full, read-only, directory
 * gone), {@link #record} logs one warning, counts what it drops ({@link #dropped()}) and tries again, reopening the
 * file, on each later record; tether goes on relaying and reaping either way.
 *
 * <p>Thread-safe.
 */
public final class AuditJournal implements AutoCloseable {

    public static final long DEFAULT_MAX_BYTES = 10L * 1024 * 1024;
    public static final int DEFAULT_KEEP = 5;

    private static final Logger log = LoggerFactory.getLogger(AuditJournal.class);
    /** Characters outside the BMP written as themselves, not as escaped surrogates: the journal is read with grep. */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8).build();
    private static final ObjectReader PARSER = JSON.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
    /** Credentials a Docker request may carry: the journal is read by people and tools that must never see them. */
    private static final Set<String> SECRETS = Set.of("env", "x-registry-auth", "x-registry-config", "auth",
            "password", "identitytoken", "registrytoken");
    private static final Set<String> OWN_FIELDS = Set.of("time", "container", "event");
    private static final FileAttribute<Set<PosixFilePermission>> PRIVATE_DIR =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
    private static final FileAttribute<Set<PosixFilePermission>> PRIVATE_FILE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    private static final Duration LOCK_WAIT = Duration.ofSeconds(1);

    private final Path path;
    private final Path lockPath;
    private final long maxBytes;
    private final int keep;
    private final Clock clock;
    private final AtomicLong dropped = new AtomicLong();

    // Guarded by this.
    private FileChannel channel;
    private Object channelKey;
    private FileChannel lockChannel;
    private Object lockKey;
    private boolean failing;
    private long droppedWhileFailing;
    private boolean closed;

    /** A journal at {@code path} with the default size limit and number of old files. */
    public AuditJournal(Path path) {
        this(path, DEFAULT_MAX_BYTES, DEFAULT_KEEP, Clock.systemUTC());
    }

    /**
     * @param maxBytes the size a file may reach before it is rotated
     * @param keep     how many rotated files are kept (0: the full file is deleted)
     * @param clock    the source of each record's time
     */
    public AuditJournal(Path path, long maxBytes, int keep, Clock clock) {
        if (maxBytes <= 0 || keep < 0) {
            throw new IllegalArgumentException("maxBytes must be positive and keep not negative");
        }
        this.path = path.toAbsolutePath().normalize();
        this.lockPath = AuditFiles.lockFile(this.path);
        this.maxBytes = maxBytes;
        this.keep = keep;
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** {@code $XDG_STATE_HOME/tether/audit.jsonl}, else {@code ~/.local/state/tether/audit.jsonl}. */
    public static Path defaultPath() {
        // $HOME as the launcher and shells read it (the launcher's `tether run` logs beside the journal); the
        // password file's home (user.home) only without an absolute one
        String home = System.getenv("HOME");
        return defaultPath(System.getenv(), home != null && home.startsWith("/") ? home : System.getProperty("user.home"));
    }

    static Path defaultPath(Map<String, String> env, String home) {
        String state = env.get("XDG_STATE_HOME");
        // The XDG spec says to ignore a relative path: it would depend on the directory tether was started in.
        if (state != null && !state.isBlank() && Path.of(state).isAbsolute()) {
            return Path.of(state, "tether", "audit.jsonl");
        }
        return Path.of(home, ".local", "state", "tether", "audit.jsonl");
    }

    public Path path() {
        return path;
    }

    /** How many records could not be written, since this journal was opened. */
    public long dropped() {
        return dropped.get();
    }

    /**
     * Appends one record. Never throws for the journal's sake: a record that cannot be written is counted and
     * dropped. Fields of {@code details} named like credentials ({@code Env}, {@code X-Registry-Auth},
     * {@code password}, …, in any case, at any depth) are left out; {@code details} itself is not changed.
     *
     * @param event       what happened: {@code create}, {@code reap}, …
     * @param containerId the container's full id
     * @param details     further fields of the record, may be null; its {@code time}, {@code container} and
     *                    {@code event}, if any, are left out: those are the record's own
     */
    public void record(String event, String containerId, ObjectNode details) {
        Objects.requireNonNull(event, "event");
        // An interrupt would make the channel close itself under the write: it is put back afterwards instead.
        boolean interrupted = Thread.interrupted();
        try {
            ObjectNode clean = details == null ? JSON.createObjectNode() : details.deepCopy();
            strip(clean);
            synchronized (this) {
                if (closed) {
                    dropped.incrementAndGet();
                    log.debug("audit journal {} is closed: {} record for {} dropped", path, event, containerId);
                    return;
                }
                // The time is taken under the lock, so that the file is in time order.
                ObjectNode record = JSON.createObjectNode();
                record.put("time", TIME.format(clock.instant()));
                record.put("container", containerId);
                record.put("event", event);
                clean.properties().forEach(field -> {
                    if (!OWN_FIELDS.contains(field.getKey())) {
                        record.set(field.getKey(), field.getValue());
                    }
                });
                byte[] json = JSON.writeValueAsBytes(record);
                byte[] line = new byte[json.length + 1];
                System.arraycopy(json, 0, line, 0, json.length);
                line[json.length] = '\n';
                write(line);
            }
        } catch (IOException | RuntimeException e) {
            // Not the file: the record itself could not be made (a clock or serialiser failure).
            dropped.incrementAndGet();
            log.warn("audit record {} for {} dropped: {}", event, containerId, e.toString());
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Removes credential fields, at any depth. */
    static void strip(JsonNode node) {
        if (node instanceof ObjectNode object) {
            List<String> secret = new ArrayList<>();
            object.properties().forEach(field -> {
                if (SECRETS.contains(field.getKey().toLowerCase(Locale.ROOT))) {
                    secret.add(field.getKey());
                }
            });
            object.remove(secret);
            object.forEach(AuditJournal::strip);
        } else if (node instanceof ArrayNode array) {
            array.forEach(AuditJournal::strip);
        }
    }

    private void write(byte[] line) {
        FileLock held = null;
        try {
            try {
                openLockFile();
                held = AuditFiles.lock(lockChannel, LOCK_WAIT, false);
                if (held == null) {
                    log.debug("audit journal {}: lock busy for {}, appending without it", path, LOCK_WAIT);
                }
            } catch (IOException e) {
                // Appends are whole without it; only rotation and repair wait for a lock file that can be made.
                log.debug("audit journal {}: no lock file: {}", path, e.toString());
            }
            boolean locked = held != null;
            if (channel == null || !Objects.equals(AuditFiles.key(path), channelKey)) {
                // First record, a failure before, or another tether rotated the file: the path is what counts.
                openJournal(locked);
            }
            if (locked && channel.size() > 0 && channel.size() + line.length > maxBytes) {
                rotate();
            }
            append(line, locked);
            if (failing) {
                failing = false;
                log.info("audit journal {} is writable again: {} records were dropped meanwhile", path,
                        droppedWhileFailing);
                droppedWhileFailing = 0;
            }
        } catch (IOException | UncheckedIOException e) {
            dropped.incrementAndGet();
            closeChannels();
            if (e instanceof ClosedByInterruptException) {
                // Interrupted within the write itself: the record may be in the file; the next one reopens it.
                log.debug("audit journal {}: write interrupted", path);
                return;
            }
            droppedWhileFailing++;
            if (!failing) {
                failing = true;
                log.warn("audit journal {} is not writable ({}): records are being dropped; tether keeps relaying"
                        + " and reaping", path, describe(e));
            }
        } finally {
            if (held != null && held.isValid()) {
                try {
                    held.release();
                } catch (IOException e) {
                    log.debug("audit journal {}: releasing the lock: {}", path, e.toString());
                }
            }
        }
    }

    private void openLockFile() throws IOException {
        if (lockChannel != null && Objects.equals(AuditFiles.key(lockPath), lockKey)) {
            return;
        }
        // Missing, or its directory was deleted and made again: a lock on the old one would exclude nobody.
        closeQuietly(lockChannel);
        lockChannel = null;
        Files.createDirectories(path.getParent(), PRIVATE_DIR);
        lockChannel = FileChannel.open(lockPath, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                PRIVATE_FILE);
        lockKey = AuditFiles.key(lockPath);
    }

    private void openJournal(boolean locked) throws IOException {
        closeQuietly(channel);
        channel = null;
        Files.createDirectories(path.getParent(), PRIVATE_DIR);
        FileChannel opened = FileChannel.open(path,
                Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND), PRIVATE_FILE);
        channel = opened;
        channelKey = AuditFiles.key(path);
        if (locked) {
            repairTail();
        }
    }

    /**
     * Cuts off what a writer killed mid-record left after the last newline. Only under the lock: without it, those
     * bytes could be another tether's record being appended right now.
     */
    private void repairTail() throws IOException {
        long size = channel.size();
        if (size == 0) {
            return;
        }
        long keepTo;
        try (FileChannel reader = FileChannel.open(path, StandardOpenOption.READ)) {
            keepTo = afterLastNewline(reader, size);
        }
        if (keepTo < size) {
            channel.truncate(keepTo);
            log.warn("audit journal {} ended in {} bytes of a record cut off by a crash: removed them", path,
                    size - keepTo);
        }
    }

    private static long afterLastNewline(FileChannel reader, long size) throws IOException {
        ByteBuffer chunk = ByteBuffer.allocate(8192);
        long end = size;
        while (end > 0) {
            long from = Math.max(0, end - chunk.capacity());
            chunk.clear().limit((int) (end - from));
            while (chunk.hasRemaining() && reader.read(chunk, from + chunk.position()) > 0) {
                // a positional read may return less than asked
            }
            for (int i = chunk.position() - 1; i >= 0; i--) {
                if (chunk.get(i) == '\n') {
                    return from + i + 1;
                }
            }
            end = from;
        }
        return 0;
    }

    /** Oldest first, so that no rename overwrites a file still to be kept. */
    private void rotate() throws IOException {
        for (Path p : AuditFiles.rotatedOldestFirst(path)) {
            if (number(p) >= keep) {
                Files.deleteIfExists(p); // .keep would become one too many; higher ones are from a larger keep
            }
        }
        for (int n = keep - 1; n >= 1; n--) {
            Path from = AuditFiles.rotated(path, n);
            if (Files.exists(from)) {
                Files.move(from, AuditFiles.rotated(path, n + 1), StandardCopyOption.ATOMIC_MOVE);
            }
        }
        if (keep > 0) {
            Files.move(path, AuditFiles.rotated(path, 1), StandardCopyOption.ATOMIC_MOVE);
        } else {
            Files.delete(path);
        }
        openJournal(false); // a new, empty file: nothing to repair
    }

    private static int number(Path rotated) {
        String name = rotated.getFileName().toString();
        return Integer.parseInt(name.substring(name.lastIndexOf('.') + 1));
    }

    /**
     * One write for the whole line: a regular file takes it whole unless the disk fills up halfway, and then the
     * part written is cut off again, if the lock says no other writer appended after it.
     */
    private void append(byte[] line, boolean locked) throws IOException {
        long before = channel.size();
        ByteBuffer buffer = ByteBuffer.wrap(line);
        try {
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        } catch (IOException e) {
            if (locked && buffer.position() > 0 && channel.isOpen()) {
                try {
                    channel.truncate(before);
                } catch (IOException ignored) {
                    // the next writer to open the file cuts the fragment off
                }
            }
            throw e;
        }
    }

    private static String describe(Exception e) {
        String message = e.getMessage();
        String kind = e.getClass().getSimpleName();
        return message == null ? kind : kind + ": " + message;
    }

    private void closeChannels() {
        closeQuietly(channel);
        closeQuietly(lockChannel);
        channel = null;
        lockChannel = null;
    }

    private static void closeQuietly(FileChannel c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException ignored) {
                // closing after a failure: the failure was reported
            }
        }
    }

    /** Forces the file to the disk and closes it; later records are dropped. */
    @Override
    public synchronized void close() {
        closed = true;
        if (channel != null) {
            try {
                channel.force(false);
            } catch (IOException e) {
                log.debug("audit journal {}: force at close: {}", path, e.toString());
            }
        }
        closeChannels();
    }

    // ---------------------------------------------------------------- reading

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
            return Files.exists(journal) || !AuditFiles.rotatedOldestFirst(journal).isEmpty();
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
        List<AuditFiles.Opened> opened;
        try {
            opened = AuditFiles.openAll(current);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return opened.stream()
                .flatMap(o -> linesOf(o, o.name().equals(current), onUnreadable))
                .onClose(() -> AuditFiles.closeAll(opened));
    }

    private static Stream<Line> linesOf(AuditFiles.Opened file, boolean current, Consumer<Unreadable> onUnreadable) {
        AuditLines lines = new AuditLines(file.channel());
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
        new AuditTail(journal.toAbsolutePath().normalize(), interval, listener).run();
    }
}
