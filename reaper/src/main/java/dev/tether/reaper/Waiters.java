package dev.tether.reaper;

import dev.tether.labeler.ProcessId;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The containers waiting on each watched process's end. A process gets one watch however many containers it ties:
 * an MCP host or an SDK process that lives for weeks ties thousands over its life, and a watch action per container
 * would keep every one of them. A container stops waiting once it is gone, so what is kept is bounded by the
 * containers and the tying processes alive now.
 */
final class Waiters {

    private final Map<ProcessId, Set<String>> byProcess = new ConcurrentHashMap<>();

    /**
     * Adds {@code container} to those waiting on {@code process}.
     *
     * @return true if nothing waited on the process yet: the caller must watch it now
     */
    boolean add(ProcessId process, String container) {
        boolean[] first = {false};
        // In compute, so that an add never lands in a set that ended() has just taken away.
        byProcess.compute(process, (p, containers) -> {
            if (containers == null) {
                containers = ConcurrentHashMap.newKeySet();
                first[0] = true;
            }
            containers.add(container);
            return containers;
        });
        return first[0];
    }

    /** {@code process} has ended: the containers that waited on it, each handed out once. */
    Set<String> ended(ProcessId process) {
        Set<String> containers = byProcess.remove(process);
        return containers == null ? Set.of() : containers;
    }

    /** {@code container} is gone: it waits on nothing any more. */
    void forget(String container) {
        byProcess.values().forEach(containers -> containers.remove(container));
    }

    /** How many containers wait, on all processes together (a container tied to two processes counts twice). */
    int size() {
        return byProcess.values().stream().mapToInt(Set::size).sum();
    }
}
