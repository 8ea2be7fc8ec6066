package dev.tether.labeler;

import java.util.List;

/**
 * Who asked for a container: the connecting process, its command line, and its parent at create time.
 * The command line tells a CLI run by an interpreter (docker-compose v1 is a Python script) from other clients.
 */
public record Caller(ProcessId owner, ProcessId host, List<String> ownerCommand) {

    public Caller {
        ownerCommand = List.copyOf(ownerCommand);
    }

    public Caller(ProcessId owner, ProcessId host) {
        this(owner, host, List.of());
    }
}
