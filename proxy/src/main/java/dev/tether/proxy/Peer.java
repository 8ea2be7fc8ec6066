package dev.tether.proxy;

import dev.tether.labeler.ProcessId;
import java.util.List;

/**
 * The process on the other end of a client connection, read when it connected.
 *
 * @param uid     from SO_PEERCRED; -1 when unknown
 * @param command its command line, for the journal and to recognise CLIs run by an interpreter
 */
public record Peer(ProcessId process, int uid, List<String> command) {

    public static final Peer UNKNOWN = new Peer(ProcessId.UNKNOWN, -1, List.of());

    public Peer {
        command = List.copyOf(command);
    }
}
