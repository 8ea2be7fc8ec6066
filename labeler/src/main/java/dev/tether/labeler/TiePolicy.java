package dev.tether.labeler;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Decides what ends a new container's life, in order: the operator's forced tie, the tie the client asked for in its
 * {@code dev.tether.tie} label, a stdio session, a CLI that exits right after creating, and otherwise the owner.
 */
record TiePolicy(Optional<Tie> forced) {

    /**
     * Programs whose containers are meant to outlive them: {@code docker run -d} or {@code compose up -d} exit at
     * once. Compose v1 runs as a Python script, so its exe is the interpreter: the command line names it.
     */
    static final Set<String> CLI_NAMES =
            Set.of("docker", "docker-compose", "docker-buildx", "com.docker.cli", "podman", "nerdctl");

    /** What /proc/PID/exe reads once the binary was replaced, say by a package upgrade while it ran. */
    private static final String DELETED_SUFFIX = " (deleted)";

    /** @throws Refusal if the client asked for a tie that does not exist */
    Tie choose(Optional<String> requested, boolean stdioSession, Caller caller) {
        if (forced.isPresent()) {
            return forced.get();
        }
        if (requested.isPresent()) {
            return Tie.fromLabel(requested.get()).orElseThrow(() -> new Refusal("label " + TetherLabels.TIE
                    + " must be one of session, owner, host, none, not '" + requested.get() + "'"));
        }
        if (stdioSession) {
            return Tie.SESSION;
        }
        // An owner tether could not identify cannot be watched: claiming a tie would be a promise it cannot keep.
        return isCli(caller) || !caller.owner().isKnown() ? Tie.NONE : Tie.OWNER;
    }

    /** The exe, or the program an interpreter runs: the first two words of the command line. */
    static boolean isCli(Caller caller) {
        List<String> command = caller.ownerCommand();
        return isCliName(caller.owner().exe())
                || command.stream().limit(2).anyMatch(TiePolicy::isCliName);
    }

    private static boolean isCliName(String path) {
        if (path.endsWith(DELETED_SUFFIX)) {
            path = path.substring(0, path.length() - DELETED_SUFFIX.length());
        }
        return CLI_NAMES.contains(path.substring(path.lastIndexOf('/') + 1));
    }
}
