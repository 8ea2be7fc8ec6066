package dev.tether.labeler;

import java.util.Locale;
import java.util.Optional;

/** What ends a container's life: the reaper enforces it, the labeler decides it. */
public enum Tie {
    /** The stdin-attached stream, the owner or the host ending: a stdio MCP session. */
    SESSION,
    /** The process that created the container ending: an SDK client such as a Testcontainers JVM. */
    OWNER,
    /** The creating process's parent ending. */
    HOST,
    /** Never reaped; audited only. */
    NONE;

    /** The value written to the {@code dev.tether.tie} label. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Tie> fromLabel(String value) {
        for (Tie tie : values()) {
            if (tie.label().equals(value)) {
                return Optional.of(tie);
            }
        }
        return Optional.empty();
    }
}
