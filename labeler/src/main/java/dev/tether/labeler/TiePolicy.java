package dev.tether.labeler;

import java.util.Optional;
import java.util.Set;

/**
 * Decides what ends a new container's life, in order: the operator's forced tie, the tie the client asked for in its
 * {@code dev.tether.tie} label, a stdio session, a CLI that exits right after creating, and otherwise the owner.
 */
record TiePolicy(Optional<Tie> forced) {

    /**
     * Programs whose containers are meant to outlive them: {@code docker run -d} or {@code compose up -d} exit at
     * once. Compose v1 runs as a Python script, so its exe is the interpreter and it is not recognised here.
     */
    static final Set<String> CLI_NAMES =
            Set.of("docker", "docker-compose", "docker-buildx", "com.docker.cli", "podman", "nerdctl");

    /** What /proc/PID/exe reads once the binary was replaced, say by a package upgrade while it ran. */
    private static final String DELETED_SUFFIX = " (deleted)";

    /** @throws Refusal if the client asked for a tie that does not exist */
    Tie choose(Optional<String> requested, boolean stdioSession, ProcessId owner) {
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
        return isCli(owner) ? Tie.NONE : Tie.OWNER;
    }

    static boolean isCli(ProcessId owner) {
        String exe = owner.exe();
        if (exe.endsWith(DELETED_SUFFIX)) {
            exe = exe.substring(0, exe.length() - DELETED_SUFFIX.length());
        }
        return CLI_NAMES.contains(exe.substring(exe.lastIndexOf('/') + 1));
    }
}
