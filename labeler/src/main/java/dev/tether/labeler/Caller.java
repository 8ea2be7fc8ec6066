package dev.tether.labeler;

import java.util.List;
import java.util.Optional;

/**
 * Who asked for a container: the connecting process, its command line, and its parent at create time.
 * The command line tells a CLI run by an interpreter (docker-compose v1 is a Python script) from other clients.
 *
 * @param ancestry              the owner's ancestors at create time, {@code host} first
 * @param testcontainersSession the {@code x-tc-sid} header Testcontainers sends on every request, if it did
 */
public record Caller(ProcessId owner, ProcessId host, Ancestry ancestry, List<String> ownerCommand,
                     Optional<String> testcontainersSession) {

    public Caller {
        ownerCommand = List.copyOf(ownerCommand);
        if (!ancestry.isEmpty() && !sameProcess(ancestry.parent(), host)) {
            throw new IllegalArgumentException("the ancestry " + ancestry.label() + " must begin with the host "
                    + host.describe());
        }
    }

    /** A caller whose ancestry is its host alone. */
    public Caller(ProcessId owner, ProcessId host, List<String> ownerCommand, Optional<String> testcontainersSession) {
        this(owner, host, Ancestry.of(host), ownerCommand, testcontainersSession);
    }

    public Caller(ProcessId owner, ProcessId host, List<String> ownerCommand) {
        this(owner, host, ownerCommand, Optional.empty());
    }

    public Caller(ProcessId owner, ProcessId host) {
        this(owner, host, List.of());
    }

    private static boolean sameProcess(ProcessId a, ProcessId b) {
        return a.pid() == b.pid() && a.startTicks() == b.startTicks();
    }
}
