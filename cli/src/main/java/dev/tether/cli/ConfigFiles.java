package dev.tether.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;

/**
 * Writes a user's configuration file whole or not at all: a temporary file beside it, made private (0600) before a
 * byte is written, since ~/.claude.json may hold tokens, then given the file's own mode and owner, and renamed over it.
 */
final class ConfigFiles {

    static final String BACKUP_SUFFIX = ".tether-backup";

    private ConfigFiles() {}

    static Path backupOf(Path file) {
        return file.resolveSibling(file.getFileName() + BACKUP_SUFFIX);
    }

    /** Saves {@code original} as the file's backup unless one exists: the backup is the file before tether's first change. */
    static boolean backUpOnce(Path file, String original) {
        Path backup = backupOf(file);
        if (Files.exists(backup)) {
            return false;
        }
        write(backup, original, attributes(file));
        return true;
    }

    /**
     * Replaces {@code file}'s content with {@code text}, if it still holds {@code expected}: a host that wrote it
     * meanwhile keeps its write, and the user is told to run again.
     */
    static void replace(Path file, String expected, String text) {
        PosixFileAttributes attributes = attributes(file);
        Path temp = tempBeside(file, text, attributes);
        try {
            if (!Files.readString(file, StandardCharsets.UTF_8).equals(expected)) {
                throw new McpConfig.ConfigException(file + " changed while tether was rewriting it (a running host saving"
                        + " it?); nothing was written to it: run this again");
            }
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new McpConfig.ConfigException("cannot write " + file + ": " + e.getMessage());
        } finally {
            deleteQuietly(temp);
        }
    }

    private static void write(Path target, String text, PosixFileAttributes attributes) {
        Path temp = tempBeside(target, text, attributes);
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new McpConfig.ConfigException("cannot write " + target + ": " + e.getMessage());
        } finally {
            deleteQuietly(temp);
        }
    }

    private static void deleteQuietly(Path temp) {
        try {
            Files.deleteIfExists(temp);
        } catch (IOException ignored) {
            // moved, or left for the user to see beside the file the error names
        }
    }

    /** A temporary file beside {@code beside}, holding {@code text}, with the given mode and owner. */
    private static Path tempBeside(Path beside, String text, PosixFileAttributes attributes) {
        Path temp = null;
        try {
            temp = Files.createTempFile(beside.toAbsolutePath().getParent(), "." + beside.getFileName() + ".", ".tether-tmp",
                    PosixFilePermissions.asFileAttribute(EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE)));
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
                while (bytes.hasRemaining()) {
                    out.write(bytes);
                }
                out.force(true);
            }
            PosixFileAttributeView view = Files.getFileAttributeView(temp, PosixFileAttributeView.class);
            if (!attributes.owner().equals(Files.getOwner(temp))) {
                view.setOwner(attributes.owner()); // root editing a user's file: it stays the user's
            }
            if (!attributes.group().equals(view.readAttributes().group())) {
                view.setGroup(attributes.group());
            }
            view.setPermissions(attributes.permissions());
            return temp;
        } catch (IOException e) {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // the error below says what went wrong
                }
            }
            throw new McpConfig.ConfigException("cannot write beside " + beside + ": " + e.getMessage());
        }
    }

    private static PosixFileAttributes attributes(Path file) {
        try {
            return Files.readAttributes(file, PosixFileAttributes.class);
        } catch (IOException e) {
            throw new McpConfig.ConfigException("cannot read the attributes of " + file + ": " + e.getMessage());
        }
    }
}
