package dev.tether.labeler;

import java.util.List;
import java.util.Optional;

/**
 * Who asked for a container: the connecting process, its command line, and its parent at create time.
 * The command line tells a CLI run by an interpreter (docker-compose v1 is a Python script) from other clients.
 *
 * @param testcontainersSession the {@code x-tc-sid} header Testcontainers sends on every request, if it did
 */
public record Caller(ProcessId owner, ProcessId host, List<String> ownerCommand, Optional<String> testcontainersSession) {

    public Caller {
        ownerCommand = List.copyOf(ownerCommand);
    }

    public Caller(ProcessId owner, ProcessId host, List<String> ownerCommand) {
        this(owner, host, ownerCommand, Optional.empty());
    }

    public Caller(ProcessId owner, ProcessId host) {
        this(owner, host, List.of());
    }
}
