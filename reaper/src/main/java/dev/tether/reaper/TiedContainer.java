package dev.tether.reaper;

import dev.tether.docker.ContainerInfo;
import dev.tether.labeler.Ancestry;
import dev.tether.labeler.ProcessId;
import dev.tether.labeler.TetherLabels;
import dev.tether.labeler.Tie;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A container as its tether labels describe it: the labels are the state, so this is all the reaper needs.
 *
 * @param ancestry the owner's ancestors at create time, {@code host} first; a label from a tether that did not record
 *                 them (or one that cannot be read) gives the host alone, which is what that tether judged by
 */
public record TiedContainer(ContainerInfo info, Tie tie, ProcessId owner, ProcessId host, Ancestry ancestry,
                            String instance, String boot, String pidNamespace) {

    public TiedContainer(ContainerInfo info, Tie tie, ProcessId owner, ProcessId host, String instance, String boot,
                         String pidNamespace) {
        this(info, tie, owner, host, Ancestry.of(host), instance, boot, pidNamespace);
    }

    /** The container's tether reading, or empty if tether's labels are missing or not its own shape. */
    public static Optional<TiedContainer> of(ContainerInfo info) {
        Map<String, String> labels = info.labels();
        Optional<Tie> tie = Optional.ofNullable(labels.get(TetherLabels.TIE)).flatMap(Tie::fromLabel);
        if (tie.isEmpty() || !labels.containsKey(TetherLabels.INSTANCE)) {
            return Optional.empty();
        }
        ProcessId host = process(labels, TetherLabels.HOST_PID, TetherLabels.HOST_START, TetherLabels.HOST_EXE);
        return Optional.of(new TiedContainer(info, tie.get(),
                process(labels, TetherLabels.OWNER_PID, TetherLabels.OWNER_START, TetherLabels.OWNER_EXE),
                host, ancestry(labels, host),
                labels.get(TetherLabels.INSTANCE),
                labels.getOrDefault(TetherLabels.BOOT, ""),
                labels.getOrDefault(TetherLabels.PID_NAMESPACE, "")));
    }

    private static ProcessId process(Map<String, String> labels, String pid, String start, String exe) {
        try {
            return new ProcessId(Long.parseLong(labels.getOrDefault(pid, "0")),
                    Long.parseLong(labels.getOrDefault(start, "0")), labels.getOrDefault(exe, ""));
        } catch (NumberFormatException e) {
            return ProcessId.UNKNOWN; // not written by tether: nothing to watch
        }
    }

    /** The recorded ancestry, with the host as the host labels name it (its exe too); the host alone if unreadable. */
    private static Ancestry ancestry(Map<String, String> labels, ProcessId host) {
        Optional<Ancestry> recorded = Optional.ofNullable(labels.get(TetherLabels.ANCESTORS)).flatMap(Ancestry::parse)
                .filter(a -> a.isEmpty() == !host.isKnown() && (a.isEmpty() || same(a.parent(), host)));
        if (recorded.isEmpty()) {
            return Ancestry.of(host);
        }
        List<ProcessId> processes = new ArrayList<>(recorded.get().processes());
        if (!processes.isEmpty()) {
            processes.set(0, host);
        }
        return new Ancestry(processes);
    }

    static boolean same(ProcessId a, ProcessId b) {
        return a.pid() == b.pid() && a.startTicks() == b.startTicks();
    }

    public String id() {
        return info.id();
    }

    /** The processes whose end ends this container: what the reaper watches and {@code tether ps} checks. */
    public List<ProcessId> tiedTo() {
        return switch (tie) {
            case OWNER -> List.of(owner);
            case HOST -> List.of(host);
            case SESSION -> {
                // The host and each process above it up to the launching session's leader: a wrapper between the
                // host and the CLI (sh -c, timeout, npx) outlives the host, so every one of them is watched.
                List<ProcessId> processes = new ArrayList<>(List.of(owner));
                processes.addAll(ancestry.isEmpty() ? List.of(host) : ancestry.processes());
                yield List.copyOf(processes);
            }
            case NONE -> List.of();
        };
    }
}
