package dev.tether.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The complete lines of a file, read with positional reads from where the last one ended. Bytes after the last
 * newline are not a line yet: a writer may be in the middle of them. They are read again on the next call, so a
 * reader that follows the file sees each record once it is whole.
 */
final class JournalLines {

    private static final int CHUNK = 64 * 1024;

    private final FileChannel channel;
    private byte[] buffer = new byte[CHUNK];
    private int start;          // first byte in buffer not yet handed out as a line
    private int end;            // end of the bytes read into buffer
    private int scanned;        // buffer[start, scanned) holds no newline
    private long consumed;      // file offset just past the last line handed out
    private long lineNumber;

    JournalLines(FileChannel channel) {
        this.channel = channel;
    }

    /** The next complete line without its newline, or null if none is complete now. */
    String next() throws IOException {
        while (true) {
            for (int i = scanned; i < end; i++) {
                if (buffer[i] == '\n') {
                    String line = new String(buffer, start, i - start, StandardCharsets.UTF_8);
                    consumed += i + 1 - start;
                    start = i + 1;
                    scanned = start;
                    lineNumber++;
                    return line;
                }
            }
            scanned = end;
            if (!readMore()) {
                return null;
            }
        }
    }

    private boolean readMore() throws IOException {
        if (start > 0) {
            System.arraycopy(buffer, start, buffer, 0, end - start);
            end -= start;
            scanned -= start;
            start = 0;
        }
        if (end == buffer.length) {
            buffer = Arrays.copyOf(buffer, buffer.length * 2); // one line longer than the buffer
        }
        int n = channel.read(ByteBuffer.wrap(buffer, end, buffer.length - end), consumed + end);
        if (n <= 0) {
            return false;
        }
        end += n;
        return true;
    }

    /** Whether bytes follow the last complete line: a record being written, or one cut off for good. */
    boolean hasTail() {
        return end > start;
    }

    /** The offset just past the last complete line handed out. */
    long consumed() {
        return consumed;
    }

    /** The 1-based number of the last line handed out. */
    long lineNumber() {
        return lineNumber;
    }

    /** Starts again at the beginning: the file was truncated under the reader. */
    void restart() {
        start = 0;
        end = 0;
        scanned = 0;
        consumed = 0;
        lineNumber = 0;
    }
}
