package dev.tether.reaper;

import dev.tether.labeler.Instance;
import dev.tether.labeler.ProcessId;
import dev.tether.labeler.Tie;
import dev.tether.process.Liveness;
import dev.tether.process.Processes;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Applies the tie rules to one container. Pure but for the liveness lookup it is given, so sweeps, the live
 * reaper, {@code tether sweep --dry-run} and {@code tether ps} all decide alike.
 *
 * @param self         the instance label of the tether judging, or empty for a one-off sweep
 * @param pidNamespace where this tether reads pids: a container labelled in another namespace is not its to judge
 * @param parentOf     a living process's parent now ({@link ProcessId#UNKNOWN} when that cannot be read): a session's
 *                     CLI with another parent than the one recorded was orphaned, its launch is over
 */
public record Judge(String self, String bootId, String pidNamespace, Function<ProcessId, Liveness> liveness,
                    Function<ProcessId, ProcessId> parentOf) {

    /** A judge that never reads a parent: it judges sessions by the liveness of what they are tied to alone. */
    public Judge(String self, String bootId, String pidNamespace, Function<ProcessId, Liveness> liveness) {
        this(self, bootId, pidNamespace, liveness, p -> ProcessId.UNKNOWN);
    }

    /** The judge of this machine as it is now: its boot, its PID namespace and {@code /proc}. */
    public static Judge ofThisMachine(String self) {
        return new Judge(self, Processes.bootId(), Processes.pidNamespace(), Processes::liveness, Processes::parentOf);
    }

    public Verdict judge(TiedContainer c) {
        if (c.tie() == Tie.NONE) {
            return new Verdict.Spare("tie=none: never reaped");
        }
        if (c.tie() == Tie.SESSION && c.info().hasExited() && !c.info().autoRemove()) {
            // A docker run -i without --rm leaves its container when it exits: the user's next docker logs or
            // docker rm expects it. Nothing runs, so nothing leaks. An owner or host tie promises more: the
            // container ends with that process, whatever its state, as Testcontainers' Ryuk would do.
            return new Verdict.Spare("its session exited by itself and its client did not ask to remove it (no --rm)");
        }
        boolean sameBoot = sameBoot(c);
        if (sameBoot && !c.pidNamespace().equals(pidNamespace)) {
            // Its pids were read in another PID namespace (a tether in a container without --pid=host, or
            // this one is): here they name other processes, or none, so nothing can be judged from them.
            return new Verdict.Spare("labelled in another PID namespace (" + c.pidNamespace() + ")");
        }
        if (!c.instance().equals(self) && sameBoot && instanceAlive(c.instance())) {
            return new Verdict.Spare("tied by another running tether (" + c.instance() + ")");
        }
        return switch (c.tie()) {
            case OWNER -> reapIfDead(c, c.owner(), Reason.OWNER_EXITED);
            case HOST -> reapIfDead(c, c.host(), Reason.HOST_EXITED);
            case SESSION -> session(c);
            case NONE -> throw new IllegalStateException("handled above");
        };
    }

    /**
     * Whether what {@code c} waits on still lives, by the rule {@link #judge} applies: {@code DEAD} once any process
     * it is tied to has ended (after a reboot, every one has), {@code UNKNOWN} when that cannot be told or none of them
     * was ever identified, {@code ALIVE} otherwise; empty for {@code tie=none}, which waits on nothing. Whose
     * container it is does not enter: this is the state of its ties, not a verdict.
     */
    public Optional<Liveness> tiesLiveness(TiedContainer c) {
        if (c.tie() == Tie.NONE) {
            return Optional.empty();
        }
        Liveness found = Liveness.UNKNOWN;
        for (ProcessId p : c.tiedTo()) {
            if (!p.isKnown()) {
                continue; // a session whose host was never identified waits on its owner alone
            }
            Liveness state = livenessOf(c, p);
            if (state != Liveness.ALIVE) {
                return Optional.of(state == Liveness.DEAD ? Liveness.DEAD : Liveness.UNKNOWN);
            }
            found = Liveness.ALIVE;
        }
        return Optional.of(found);
    }

    /**
     * A stdio session ends with its CLI, with its host, or with any process between the host and the launching
     * session's leader: the host may be a wrapper ({@code sh -c "docker run …; true"}, {@code timeout}, {@code npx})
     * that outlives whoever started it. The owner comes first, then the ancestors nearest first, so the verdict
     * names the nearest death.
     */
    private Verdict session(TiedContainer c) {
        Verdict owner = reapIfDead(c, c.owner(), Reason.OWNER_EXITED);
        if (owner instanceof Verdict.Reap) {
            return owner;
        }
        List<ProcessId> ancestors = c.ancestry().isEmpty() ? List.of(c.host()) : c.ancestry().processes();
        Verdict watched = null;
        for (ProcessId ancestor : ancestors) {
            // One that was never identified or cannot be judged is passed over: the session waits on the rest.
            switch (reapIfDead(c, ancestor, Reason.HOST_EXITED)) {
                case Verdict.Reap reap -> {
                    return reap;
                }
                case Verdict.Watch watch -> watched = watched == null ? watch : watched;
                case Verdict.Spare spare -> { }
            }
        }
        if (owner instanceof Verdict.Watch && c.host().isKnown() && sameBoot(c)) {
            // Orphaned: the CLI's parent is no longer the recorded one, so that one ended, even where its own death
            // cannot be read (hidden from tether: liveness unknown). Only a known, different parent counts: a CLI
            // whose parent cannot be read is no evidence.
            ProcessId parent = parentOf.apply(c.owner());
            if (parent.isKnown() && !TiedContainer.same(parent, c.host())) {
                return new Verdict.Reap(Reason.HOST_EXITED, c.host());
            }
        }
        return watched != null ? watched : owner;
    }

    private Verdict reapIfDead(TiedContainer c, ProcessId process, Reason reason) {
        if (!process.isKnown()) {
            return new Verdict.Spare("its " + (reason == Reason.HOST_EXITED ? "host" : "owner") + " was never identified");
        }
        return switch (livenessOf(c, process)) {
            case DEAD -> new Verdict.Reap(reason, process);
            case ALIVE -> new Verdict.Watch("pid " + process.pid() + " is alive");
            case UNKNOWN -> new Verdict.Spare("cannot tell whether pid " + process.pid() + " lives");
        };
    }

    /** Start times count from boot: after a reboot every labelled process is gone, whatever its pid now. */
    private Liveness livenessOf(TiedContainer c, ProcessId process) {
        return sameBoot(c) ? liveness.apply(process) : Liveness.DEAD;
    }

    private boolean sameBoot(TiedContainer c) {
        return c.boot().isEmpty() || c.boot().equals(bootId);
    }

    /** A tether instance that cannot be read is assumed alive: hands off. */
    private boolean instanceAlive(String instance) {
        return Instance.parse(instance).map(tether -> liveness.apply(tether.process()) != Liveness.DEAD).orElse(true);
    }
}
