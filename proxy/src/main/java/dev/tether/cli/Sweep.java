package dev.tether.cli;

import dev.tether.docker.EngineClient;
import dev.tether.reaper.ProcessWatcher;
import dev.tether.reaper.ReapListener;
import dev.tether.reaper.Reaper;
import dev.tether.reaper.Verdict;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code tether sweep}: one pass of the reaper's rules, with or without a running tether. */
@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = {"Stops and removes tied containers whose owner, host or session has ended.",
                "Containers of a tether that is still running are left to it; untied and unlabelled ones are never touched."})
final class Sweep implements Callable<Integer> {

    @Mixin
    EngineOption engine;

    @Option(names = "--dry-run", description = "List what would be reaped; change nothing.")
    boolean dryRun;

    @Option(names = "--grace", paramLabel = "DURATION", defaultValue = "3s",
            description = "Time to stop before SIGKILL, unless a container's own StopTimeout says (default: ${DEFAULT-VALUE}).")
    String grace;

    @Override
    public Integer call() throws Exception {
        try (EngineClient client = EngineClient.connect(engine.resolve(Sockets.defaultSocket()));
             ProcessWatcher watcher = ProcessWatcher.create()) {
            Reaper reaper = new Reaper(client, watcher, "", Durations.parse(grace), ReapListener.NONE);
            var report = reaper.sweepNow(dryRun);
            for (Reaper.Swept swept : report) {
                var c = swept.container();
                String action = switch (swept.verdict()) {
                    case Verdict.Reap reap -> (dryRun ? "would reap " : "reaped     ") + line(c) + ": " + reap.reason().sentence()
                            + " (pid " + reap.dead().pid() + ")";
                    case Verdict.Watch watch -> "kept       " + line(c) + ": " + watch.why();
                    case Verdict.Spare spare -> "kept       " + line(c) + ": " + spare.why();
                };
                System.out.println(action);
            }
            long reaps = report.stream().filter(s -> s.verdict() instanceof Verdict.Reap).count();
            System.out.println((dryRun ? "would reap " : "reaped ") + reaps + " of " + report.size() + " tied containers");
            return 0;
        }
    }

    private static String line(dev.tether.reaper.TiedContainer c) {
        return c.info().shortId() + " " + c.info().name() + " (" + c.info().image() + ", tie=" + c.tie().label() + ")";
    }
}
