package dev.tether.reaper;

import dev.tether.docker.ContainerInfo;
import dev.tether.labeler.ProcessId;
import dev.tether.labeler.TetherLabels;
import dev.tether.labeler.Tie;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A container as its tether labels describe it: the labels are the state, so this is all the reaper needs. */
public record TiedContainer(ContainerInfo info, Tie tie, ProcessId owner, ProcessId host, String instance, String boot,
                            String pidNamespace) {

    /** The container's tether reading, or empty if tether's labels are missing or not its own shape. */
    public static Optional<TiedContainer> of(ContainerInfo info) {
        Map<String, String> labels = info.labels();
        Optional<Tie> tie = Optional.ofNullable(labels.get(TetherLabels.TIE)).flatMap(Tie::fromLabel);
        if (tie.isEmpty() || !labels.containsKey(TetherLabels.INSTANCE)) {
            return Optional.empty();
        }
        return Optional.of(new TiedContainer(info, tie.get(),
                process(labels, TetherLabels.OWNER_PID, TetherLabels.OWNER_START, TetherLabels.OWNER_EXE),
                process(labels, TetherLabels.HOST_PID, TetherLabels.HOST_START, TetherLabels.HOST_EXE),
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

    public String id() {
        return info.id();
    }

    /** The processes whose end ends this container: what the reaper watches and {@code tether ps} checks. */
    public List<ProcessId> tiedTo() {
        return switch (tie) {
            case OWNER -> List.of(owner);
            case HOST -> List.of(host);
            case SESSION -> List.of(owner, host);
            case NONE -> List.of();
        };
    }
}
