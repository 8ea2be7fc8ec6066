package dev.tether.reaper;

import dev.tether.labeler.Instance;
import dev.tether.labeler.ProcessId;
import dev.tether.labeler.Tie;
import java.util.function.Function;
import dev.tether.process.Liveness;

/**
 * Applies the tie rules to one container. Pure but for the liveness lookup it is given, so sweeps, the live
 * reaper and {@code tether sweep --dry-run} all decide alike.
 *
 * @param self         the instance label of the tether judging, or empty for a one-off sweep
 * @param pidNamespace where this tether reads pids: a container labelled in another namespace is not its to judge
 */
record Judge(String self, String bootId, String pidNamespace, Function<ProcessId, Liveness> liveness) {

    Verdict judge(TiedContainer c) {
        if (c.tie() == Tie.NONE) {
            return new Verdict.Spare("tie=none: never reaped");
        }
        // Start times count from boot: after a reboot every labelled process is gone, whatever its pid now.
        boolean sameBoot = c.boot().isEmpty() || c.boot().equals(bootId);
        if (sameBoot && !c.pidNamespace().equals(pidNamespace)) {
            // Its pids were read in another PID namespace (a tether in a container without --pid=host, or
            // this one is): here they name other processes, or none, so nothing can be judged from them.
            return new Verdict.Spare("labelled in another PID namespace (" + c.pidNamespace() + ")");
        }
        if (!c.instance().equals(self) && sameBoot && instanceAlive(c.instance())) {
            return new Verdict.Spare("tied by another running tether (" + c.instance() + ")");
        }
        return switch (c.tie()) {
            case OWNER -> reapIfDead(c.owner(), Reason.OWNER_EXITED, sameBoot);
            case HOST -> reapIfDead(c.host(), Reason.HOST_EXITED, sameBoot);
            case SESSION -> {
                Verdict owner = reapIfDead(c.owner(), Reason.OWNER_EXITED, sameBoot);
                Verdict host = reapIfDead(c.host(), Reason.HOST_EXITED, sameBoot);
                yield owner instanceof Verdict.Reap || host instanceof Verdict.Spare ? owner : host;
            }
            case NONE -> throw new IllegalStateException("handled above");
        };
    }

    private Verdict reapIfDead(ProcessId process, Reason reason, boolean sameBoot) {
        if (!process.isKnown()) {
            return new Verdict.Spare("its " + (reason == Reason.HOST_EXITED ? "host" : "owner") + " was never identified");
        }
        Liveness state = sameBoot ? liveness.apply(process) : Liveness.DEAD;
        return switch (state) {
            case DEAD -> new Verdict.Reap(reason, process);
            case ALIVE -> new Verdict.Watch("pid " + process.pid() + " is alive");
            case UNKNOWN -> new Verdict.Spare("cannot tell whether pid " + process.pid() + " lives");
        };
    }

    /** A tether instance that cannot be read is assumed alive: hands off. */
    private boolean instanceAlive(String instance) {
        return Instance.parse(instance).map(tether -> liveness.apply(tether.process()) != Liveness.DEAD).orElse(true);
    }
}
