package dev.tether.journal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The journal's files on disk: the current file, its rotated predecessors ({@code audit.jsonl.1} the newest), and
 * the lock file that guards the journal's shape (rotation, repair) against other tether processes sharing it.
 */
final class JournalFiles {

    /** How often a rotation racing a listing is tolerated before the listing is taken as it is. */
    private static final int SNAPSHOT_ATTEMPTS = 10;
    private static final Duration SNAPSHOT_LOCK_WAIT = Duration.ofSeconds(1);

    private JournalFiles() {}

    static Path rotated(Path journal, int n) {
        return journal.resolveSibling(journal.getFileName() + "." + n);
    }

    static Path lockFile(Path journal) {
        return journal.resolveSibling(journal.getFileName() + ".lock");
    }

    /** The rotated files that exist, oldest (highest number) first. */
    static List<Path> rotatedOldestFirst(Path journal) throws IOException {
        Path dir = journal.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            return List.of();
        }
        Pattern rotatedName = Pattern.compile(Pattern.quote(journal.getFileName().toString()) + "\\.([1-9][0-9]{0,8})");
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> rotatedName.matcher(p.getFileName().toString()).matches())
                    .sorted(Comparator.comparingInt((Path p) -> number(p)).reversed())
                    .map(p -> journal.resolveSibling(p.getFileName()))
                    .toList();
        }
    }

    private static int number(Path rotated) {
        String name = rotated.getFileName().toString();
        return Integer.parseInt(name.substring(name.lastIndexOf('.') + 1));
    }

    /**
     * The file's identity (device and inode), or null when nothing can be found there: a missing file, a missing
     * directory, a parent that is a file. A rename keeps the identity, so this is how a rotation is recognised.
     */
    static Object key(Path file) {
        try {
            return Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (IOException e) {
            return null;
        }
    }

    /** A file opened for reading, with the name and identity it had when it was opened. */
    record Opened(Path name, FileChannel channel, Object key) {}

    /**
     * Opens every file of the journal, oldest first and the current file last, as one consistent set. A rotation
     * renaming files between the listing and the opening would make a file be read twice or not at all, so the
     * set is taken under a shared lock, which a rotating writer cannot hold at the same time; and in case that
     * lock cannot be had, the names are checked afterwards and the set is taken again if they moved.
     */
    static List<Opened> openAll(Path journal) throws IOException {
        FileChannel lockChannel = null;
        FileLock held = null;
        try {
            try {
                lockChannel = FileChannel.open(lockFile(journal), StandardOpenOption.READ);
                held = lock(lockChannel, SNAPSHOT_LOCK_WAIT, true);
            } catch (IOException e) {
                // no writer made the lock file yet, or it may not be read: the checks below must do
            }
            return openConsistent(journal);
        } finally {
            if (held != null && held.isValid()) {
                held.release();
            }
            if (lockChannel != null) {
                lockChannel.close();
            }
        }
    }

    private static List<Opened> openConsistent(Path journal) throws IOException {
        for (int attempt = 1; ; attempt++) {
            List<Path> names = new ArrayList<>(rotatedOldestFirst(journal));
            names.add(journal);
            List<Object> before = names.stream().map(JournalFiles::key).toList();
            List<Opened> opened = new ArrayList<>();
            try {
                for (int i = 0; i < names.size(); i++) {
                    if (before.get(i) != null) {
                        opened.add(new Opened(names.get(i), FileChannel.open(names.get(i), StandardOpenOption.READ),
                                before.get(i)));
                    }
                }
            } catch (IOException e) {
                closeAll(opened);
                if (attempt < SNAPSHOT_ATTEMPTS) {
                    continue; // renamed away between the listing and the opening
                }
                throw e;
            }
            List<Path> namesAfter = new ArrayList<>(rotatedOldestFirst(journal));
            namesAfter.add(journal);
            if (attempt >= SNAPSHOT_ATTEMPTS
                    || (namesAfter.equals(names) && names.stream().map(JournalFiles::key).toList().equals(before))) {
                return opened;
            }
            closeAll(opened);
        }
    }

    static void closeAll(List<Opened> opened) {
        for (Opened o : opened) {
            try {
                o.channel().close();
            } catch (IOException ignored) {
                // a read-only channel: nothing is lost
            }
        }
    }

    /**
     * The lock, or null if it cannot be had within {@code wait}: a process that holds it stopped (SIGSTOP) must not
     * stall the journal, whose records are then appended without it. The JVM keeps one lock per file for the whole
     * process, so a second journal or a reader on the same path here sees it as taken and waits as another process
     * would.
     */
    static FileLock lock(FileChannel lockChannel, Duration wait, boolean shared) throws IOException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            try {
                FileLock lock = lockChannel.tryLock(0, Long.MAX_VALUE, shared);
                if (lock != null) {
                    return lock;
                }
            } catch (OverlappingFileLockException e) {
                // another journal object of this JVM holds it: wait as for another process
            }
            if (System.nanoTime() - deadline > 0) {
                return null;
            }
            LockSupport.parkNanos(200_000);
        }
    }
}
