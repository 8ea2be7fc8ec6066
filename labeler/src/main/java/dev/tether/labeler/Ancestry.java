package dev.tether.labeler;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The processes above a client at create time, as the {@code dev.tether.ancestors} label names them: its parent first,
 * then each parent's parent, up to and including the first session leader or init (pid 1), at most {@link #MAX}. A
 * stdio session is launched by whatever started that chain, through wrappers that do not exec ({@code sh -c "docker
 * run …; true"}, {@code timeout}, {@code npx}): any one of them ending ends the launch.
 *
 * @param processes pid and start time of each ancestor, nearest first; exe is empty once read back from a label
 */
public record Ancestry(List<ProcessId> processes) {

    /**
     * At most this many ancestors are recorded: a session leader is rarely more than a few levels up, and a label
     * stays short (16 entries are under 500 bytes). A chain cut at the cap waits on the 16 nearest only.
     */
    public static final int MAX = 16;

    public static final Ancestry NONE = new Ancestry(List.of());

    public Ancestry {
        processes = List.copyOf(processes.subList(0, Math.min(processes.size(), MAX)));
        if (processes.stream().anyMatch(p -> !p.isKnown())) {
            throw new IllegalArgumentException("an ancestry names identified processes only: " + processes);
        }
    }

    /** Just the parent, as tether knew it before it recorded ancestries: what an older label means. */
    public static Ancestry of(ProcessId parent) {
        return parent.isKnown() ? new Ancestry(List.of(parent)) : NONE;
    }

    /** The label's value read back; empty when it is not a list of {@code PID-START} (hand-written, or damaged). */
    public static Optional<Ancestry> parse(String label) {
        if (label.isEmpty()) {
            return Optional.of(NONE);
        }
        List<ProcessId> processes = new ArrayList<>();
        for (String entry : label.split(",", -1)) {
            Optional<Instance> process = Instance.parse(entry).filter(p -> p.pid() > 0 && p.startTicks() >= 0);
            if (process.isEmpty()) {
                return Optional.empty();
            }
            processes.add(process.get().process());
        }
        return Optional.of(new Ancestry(processes));
    }

    /** The label's value: {@code PID-START,PID-START,…}, nearest first; empty when the parent was not identified. */
    public String label() {
        return String.join(",", processes.stream().map(p -> p.pid() + "-" + p.startTicks()).toList());
    }

    /** The nearest ancestor, the client's parent; unknown for an empty ancestry. */
    public ProcessId parent() {
        return processes.isEmpty() ? ProcessId.UNKNOWN : processes.getFirst();
    }

    public boolean isEmpty() {
        return processes.isEmpty();
    }
}
