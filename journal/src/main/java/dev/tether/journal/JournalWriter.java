package dev.tether.journal;

import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
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
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The journal's one writer: appends {@link Records records}, one JSON object a line, to {@code audit.jsonl}, which
 * {@link JournalReader} reads back. Thread-safe, but callers keep it off latency-critical threads: an append may
 * wait up to {@link #LOCK_WAIT} for the lock below.
 *
 * <p><b>Whole lines, even across a crash.</b> Each record is one {@code write(2)} of the complete line on an
 * {@code O_APPEND} channel, with nothing buffered between records: the kernel appends it whole, so other appenders
 * never land inside it, and a JVM killed after the call still leaves the line in the page cache. The one gap: a
 * SIGKILL between the pages of a line that spans a page boundary ends the write short. That tail has no newline,
 * so readers never take it for a record, and the next writer cuts it off (under the lock) before it appends.
 *
 * <p><b>No fsync</b> per record: what a record must survive is a crash of tether, which the page cache does;
 * surviving power loss would put a disk flush on every record. {@link #close()} forces the file.
 *
 * <p><b>Rotation</b> past {@code maxBytes} ({@code audit.jsonl.1} the newest old file, {@code keep} kept), tail
 * repair and each append hold a cross-process lock on {@code audit.jsonl.lock}, so tethers sharing the journal
 * never rotate it twice or cut off each other's record. POSIX locks belong to the process (closing any channel on
 * the file drops them all), so one process should hold one writer per path.
 *
 * <p><b>Failures never reach the caller</b>: tether goes on relaying and reaping. A record that cannot be written
 * is counted ({@link #dropped()}) and one warning logged; each later record tries again, reopening the file.
 */
public final class JournalWriter implements AutoCloseable {

    public static final long DEFAULT_MAX_BYTES = 10L * 1024 * 1024;
    public static final int DEFAULT_KEEP = 5;

    private static final Logger log = LoggerFactory.getLogger(JournalWriter.class);
    /** Characters outside the BMP written as themselves, not as escaped surrogates: the journal is read with grep. */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8).build();
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
    private static final Set<String> OWN_FIELDS = Set.of("time", "container", "event");
    private static final FileAttribute<Set<PosixFilePermission>> PRIVATE_DIR =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
    private static final FileAttribute<Set<PosixFilePermission>> PRIVATE_FILE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    /**
     * How long an append waits for the lock before it appends without it (whole all the same): a tether that holds
     * it and is stopped (SIGSTOP) must not hold up every record behind it.
     */
    static final Duration LOCK_WAIT = Duration.ofSeconds(1);

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
    public JournalWriter(Path path) {
        this(path, DEFAULT_MAX_BYTES, DEFAULT_KEEP, Clock.systemUTC());
    }

    /**
     * @param maxBytes the size a file may reach before it is rotated
     * @param keep     how many rotated files are kept (0: the full file is deleted)
     * @param clock    the source of each record's time
     */
    public JournalWriter(Path path, long maxBytes, int keep, Clock clock) {
        if (maxBytes <= 0 || keep < 0) {
            throw new IllegalArgumentException("maxBytes must be positive and keep not negative");
        }
        this.path = path.toAbsolutePath().normalize();
        this.lockPath = JournalFiles.lockFile(this.path);
        this.maxBytes = maxBytes;
        this.keep = keep;
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    public Path path() {
        return path;
    }

    /** How many records could not be written, since this journal was opened. */
    public long dropped() {
        return dropped.get();
    }

    /** Appends one record of the schema {@link Records} builds. */
    public void record(Records.Entry entry) {
        record(entry.event(), entry.containerId(), entry.details());
    }

    /**
     * Appends one record. Never throws for the journal's sake: a record that cannot be written is counted and
     * dropped. Fields of {@code details} named like credentials are left out ({@link Redaction#stripSecretKeys});
     * {@code details} itself is not changed.
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
            Redaction.stripSecretKeys(clean);
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

    private void write(byte[] line) {
        FileLock held = null;
        try {
            try {
                openLockFile();
                held = JournalFiles.lock(lockChannel, LOCK_WAIT, false);
                if (held == null) {
                    log.debug("audit journal {}: lock busy for {}, appending without it", path, LOCK_WAIT);
                }
            } catch (IOException e) {
                // Appends are whole without it; only rotation and repair wait for a lock file that can be made.
                log.debug("audit journal {}: no lock file: {}", path, e.toString());
            }
            boolean locked = held != null;
            if (channel == null || !Objects.equals(JournalFiles.key(path), channelKey)) {
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
        if (lockChannel != null && Objects.equals(JournalFiles.key(lockPath), lockKey)) {
            return;
        }
        // Missing, or its directory was deleted and made again: a lock on the old one would exclude nobody.
        closeQuietly(lockChannel);
        lockChannel = null;
        Files.createDirectories(path.getParent(), PRIVATE_DIR);
        lockChannel = FileChannel.open(lockPath, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                PRIVATE_FILE);
        lockKey = JournalFiles.key(lockPath);
    }

    private void openJournal(boolean locked) throws IOException {
        closeQuietly(channel);
        channel = null;
        Files.createDirectories(path.getParent(), PRIVATE_DIR);
        FileChannel opened = FileChannel.open(path,
                Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND), PRIVATE_FILE);
        channel = opened;
        channelKey = JournalFiles.key(path);
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
        for (Path p : JournalFiles.rotatedOldestFirst(path)) {
            if (number(p) >= keep) {
                Files.deleteIfExists(p); // .keep would become one too many; higher ones are from a larger keep
            }
        }
        for (int n = keep - 1; n >= 1; n--) {
            Path from = JournalFiles.rotated(path, n);
            if (Files.exists(from)) {
                Files.move(from, JournalFiles.rotated(path, n + 1), StandardCopyOption.ATOMIC_MOVE);
            }
        }
        if (keep > 0) {
            Files.move(path, JournalFiles.rotated(path, 1), StandardCopyOption.ATOMIC_MOVE);
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
}
