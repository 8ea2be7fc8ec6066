package dev.tether.labeler;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Decides what ends a new container's life, and says why, reading intent before guessing: the operator's forced
 * tie, the tie the client asked for in its {@code dev.tether.tie} label, a restart policy (the container is meant to
 * outlive whoever created it), a Testcontainers session, a stdio session, a CLI that exits right after creating, and
 * otherwise the owner.
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

    /** The labels Testcontainers (Java, Node, Go, Python) puts on every container it creates. */
    private static final String TESTCONTAINERS_LABELS = "org.testcontainers";

    /** What the create says of its own lifetime. */
    record Intent(Optional<String> requestedTie, boolean stdioSession, String restartPolicy, boolean testcontainers) {

        static Intent of(CreateBody body) {
            return new Intent(Optional.ofNullable(body.labels().get(TetherLabels.TIE)), body.isStdioSession(),
                    body.hostConfig().map(CreateBody.HostConfig::restartPolicy).orElse(""),
                    body.labels().keySet().stream().anyMatch(key -> key.startsWith(TESTCONTAINERS_LABELS)));
        }

        boolean restarts() {
            return !restartPolicy.isEmpty() && !restartPolicy.equals("no");
        }
    }

    /** @throws Refusal if the client asked for a tie that does not exist */
    TieChoice choose(Intent intent, Caller caller) {
        if (forced.isPresent()) {
            return new TieChoice(forced.get(), "tether up --tie " + forced.get().label() + " forces it on this socket");
        }
        if (intent.requestedTie().isPresent()) {
            String requested = intent.requestedTie().get();
            Tie tie = Tie.fromLabel(requested).orElseThrow(() -> new Refusal("label " + TetherLabels.TIE
                    + " must be one of session, owner, host, none, not '" + requested + "'"));
            return new TieChoice(tie, "the client asked for it with the label " + TetherLabels.TIE);
        }
        if (intent.restarts()) {
            return new TieChoice(Tie.NONE, "a restart policy (" + intent.restartPolicy()
                    + ") says the container outlives whoever created it");
        }
        if (caller.testcontainersSession().isPresent() || intent.testcontainers()) {
            // Testcontainers ends its containers itself; its JVM (or Node, Go, Python process) ending is what
            // Ryuk waits for, so that is the tie, even for a container with stdin open.
            return caller.owner().isKnown()
                    ? new TieChoice(Tie.OWNER, "a Testcontainers session"
                            + caller.testcontainersSession().map(sid -> " (" + sid + ")").orElse("")
                            + " in " + program(caller) + ": its containers end with that process")
                    : new TieChoice(Tie.NONE, "a Testcontainers session whose process could not be identified");
        }
        if (intent.stdioSession()) {
            return new TieChoice(Tie.SESSION, program(caller) + " created a container with stdin attached and open"
                    + " (docker run -i, a stdio MCP server): it ends with that session");
        }
        if (!caller.owner().isKnown()) {
            // An owner tether could not identify cannot be watched: claiming a tie would be a promise it cannot keep.
            return new TieChoice(Tie.NONE, "the creating process could not be identified, so nothing can be watched");
        }
        if (isCli(caller)) {
            return new TieChoice(Tie.NONE, "a CLI (" + program(caller) + ") created a detached container:"
                    + " docker run -d and compose up -d outlive the CLI");
        }
        return new TieChoice(Tie.OWNER, "an SDK client (" + program(caller) + ") created a detached container"
                + " without a restart policy: it ends with that process");
    }

    /** The exe, or the program an interpreter runs: the first two words of the command line. */
    static boolean isCli(Caller caller) {
        List<String> command = caller.ownerCommand();
        return isCliName(caller.owner().exe())
                || command.stream().limit(2).anyMatch(TiePolicy::isCliName);
    }

    private static boolean isCliName(String path) {
        return CLI_NAMES.contains(baseName(path));
    }

    /** The owner's program as a user would name it: docker, docker-compose (not python3), java. */
    private static String program(Caller caller) {
        String exe = baseName(caller.owner().exe());
        return caller.ownerCommand().stream().limit(2).map(TiePolicy::baseName).filter(CLI_NAMES::contains)
                .findFirst().orElse(exe.isEmpty() ? "pid " + caller.owner().pid() : exe);
    }

    private static String baseName(String path) {
        if (path.endsWith(DELETED_SUFFIX)) {
            path = path.substring(0, path.length() - DELETED_SUFFIX.length());
        }
        return path.substring(path.lastIndexOf('/') + 1);
    }
}
