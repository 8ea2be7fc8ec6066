package dev.tether.journal;

import java.io.IOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * {@link JournalReader#follow}: the journal's records, then each new one, by polling. Polling, not a WatchService:
 * inotify says nothing about a file written by another process on some file systems (NFS, overlay lower layers),
 * and a poll every 200 ms costs a stat and a read.
 */
final class JournalTail {

    private final Path journal;
    private final Duration interval;
    private final JournalReader.Listener listener;
    private JournalFiles.Opened current;
    private JournalLines lines;
    /** The newest file read so far, or being read: what comes after it in the next snapshot is new. */
    private Object lastKey;

    JournalTail(Path journal, Duration interval, JournalReader.Listener listener) {
        this.journal = journal;
        this.interval = interval;
        this.listener = listener;
    }

    void run() throws IOException, InterruptedException {
        try {
            catchUp();
            listener.caughtUp();
            while (true) {
                Thread.sleep(interval);
                poll();
            }
        } catch (ClosedByInterruptException e) {
            throw new InterruptedException("stopped while reading " + journal);
        } finally {
            closeCurrent();
        }
    }

    private void catchUp() throws IOException {
        readNew(JournalFiles.openAll(journal));
    }

    private void poll() throws IOException {
        // The path is looked at before the file is read: if it names another file by now, the rename came first,
        // and since writers append only to the file the path names, the read below finds all of the old file.
        Object key = JournalFiles.key(journal);
        if (current != null) {
            if (current.channel().size() < lines.consumed()) {
                lines.restart(); // truncated by someone: what is there now is new
            }
            drain(lines, current.name());
            if (Objects.equals(key, current.key())) {
                return;
            }
            reportTail(lines, current.name());
            closeCurrent();
        }
        if (key != null) {
            readNew(JournalFiles.openAll(journal));
        }
    }

    /**
     * Reads the files of a snapshot that come after the newest file read so far: the files rotated while this
     * poll slept, then the current file, which stays open. Files are told apart by identity, not name, since a
     * rotation renames them all. If the newest file read is no longer there, more than {@code keep} rotations
     * happened within one poll, or the journal was deleted by hand: only the current file is read then.
     */
    private void readNew(List<JournalFiles.Opened> snapshot) throws IOException {
        int from = 0;
        if (lastKey != null) {
            from = snapshot.size() - 1;
            for (int i = 0; i < snapshot.size(); i++) {
                if (lastKey.equals(snapshot.get(i).key())) {
                    from = i + 1;
                }
            }
        }
        try {
            for (int i = 0; i < snapshot.size(); i++) {
                JournalFiles.Opened file = snapshot.get(i);
                if (i < from) {
                    file.channel().close();
                } else if (file.name().equals(journal)) {
                    current = file;
                    lines = new JournalLines(file.channel());
                    lastKey = file.key();
                    drain(lines, file.name());
                } else {
                    JournalLines whole = new JournalLines(file.channel());
                    drain(whole, file.name());
                    reportTail(whole, file.name());
                    file.channel().close();
                    lastKey = file.key();
                }
            }
        } catch (IOException | RuntimeException e) {
            JournalFiles.closeAll(snapshot);
            current = null;
            throw e;
        }
    }

    private void drain(JournalLines from, Path name) throws IOException {
        String text;
        while ((text = from.next()) != null) {
            JournalReader.Line line = JournalReader.parse(text, name, from.lineNumber(), listener::unreadable);
            if (line != null) {
                listener.line(line);
            }
        }
    }

    /** Bytes after a file's last newline, once nobody writes to it any more, are a record cut off for good. */
    private void reportTail(JournalLines from, Path name) {
        if (from.hasTail()) {
            listener.unreadable(new JournalReader.Unreadable(name, from.lineNumber() + 1));
        }
    }

    private void closeCurrent() throws IOException {
        if (current != null) {
            current.channel().close();
            current = null;
            lines = null;
        }
    }
}
