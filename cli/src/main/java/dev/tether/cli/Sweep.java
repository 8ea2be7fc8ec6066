package dev.tether.cli;

import dev.tether.docker.ContainerInfo;
import dev.tether.docker.EngineClient;
import dev.tether.process.ProcessWatcher;
import dev.tether.reaper.ReapListener;
import dev.tether.reaper.Reaper;
import dev.tether.reaper.Verdict;
import java.time.Duration;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import dev.tether.daemon.Settings;

/** {@code tether sweep}: one pass of the reaper's rules, with or without a running tether. */
@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = {"Stops and removes tied containers whose owner, host or session has ended.",
                "Containers of a tether that is still running are left to it; untied and unlabelled ones are never touched.",
                "With --unlabelled: lists running containers started with `docker run -i` that carry no tether labels",
                "(leaks from before tether), and with --yes stops and removes them."})
final class Sweep implements Callable<Integer> {

    private static final DateTimeFormatter CREATED = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").withZone(ZoneId.systemDefault());

    @Mixin
    EngineOption engine;

    @Option(names = "--dry-run", description = "List what would be reaped; change nothing.")
    boolean dryRun;

    @Option(names = "--grace", paramLabel = "DURATION", defaultValue = Settings.GRACE, converter = DurationConverter.class,
            description = "Time to stop before SIGKILL, unless a container's own StopTimeout says (default: ${DEFAULT-VALUE}).")
    Duration grace;

    @Option(names = "--unlabelled",
            description = "Look instead for running `docker run -i` containers without tether labels; lists them unless --yes.")
    boolean unlabelled;

    @Option(names = "--yes", description = "With --unlabelled: stop and remove what it lists.")
    boolean yes;

    @Option(names = "--label", paramLabel = "KEY[=VALUE]",
            description = "Only containers with this label (repeatable: all must match), as `docker ps --filter label=`.")
    List<String> labels = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        if (yes && !unlabelled) {
            throw new IllegalArgumentException("--yes goes with --unlabelled; a plain sweep reaps without asking (--dry-run to look first)");
        }
        try (EngineClient client = EngineClient.connect(engine.resolve(UserDirs.current().defaultSocket()))) {
            return unlabelled ? unlabelled(client) : tied(client);
        }
    }

    private int tied(EngineClient client) throws Exception {
        try (ProcessWatcher watcher = ProcessWatcher.create()) {
            Reaper reaper = new Reaper(client, watcher, "", grace, ReapListener.NONE);
            var report = reaper.sweepNow(dryRun, labels);
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

    private int unlabelled(EngineClient client) {
        List<UnlabelledStdin> found = client.inspectRunning(labels).stream()
                .flatMap(inspect -> UnlabelledStdin.of(inspect).stream())
                .toList();
        if (found.isEmpty()) {
            System.out.println("no running container started with `docker run -i` lacks tether's labels");
            return 0;
        }
        if (!yes || dryRun) {
            System.out.printf("%-12s  %-24s  %-28s  %-16s  %s%n", "CONTAINER", "NAME", "IMAGE", "CREATED", "COMMAND");
            for (UnlabelledStdin u : found) {
                ContainerInfo c = u.container();
                System.out.printf("%-12s  %-24s  %-28s  %-16s  %s%n", c.shortId(), c.name(), c.image(),
                        CREATED.format(c.created()), u.command());
            }
            boolean one = found.size() == 1;
            System.out.println(found.size() + " running " + (one ? "container" : "containers") + " started with"
                    + " `docker run -i` and without tether labels: nothing ties " + (one ? "it" : "them")
                    + " to a process. To stop and remove " + (one ? "it" : "them") + ":");
            StringBuilder again = new StringBuilder("  tether sweep --unlabelled --yes");
            labels.forEach(l -> again.append(" --label ").append(l));
            System.out.println(again);
            return 0;
        }
        for (UnlabelledStdin u : found) {
            ContainerInfo c = u.container();
            EngineClient.Stopped stopped = client.stop(c.id(), c.stopGrace(grace));
            EngineClient.Removed removed = client.remove(c.id());
            String how = switch (stopped) {
                case STOPPED -> removed == EngineClient.Removed.ALREADY_GONE ? ": it went by itself once stopped" : "";
                case WAS_NOT_RUNNING -> ": it had stopped by itself";
                case GONE -> ": it was gone already";
            };
            System.out.println("stopped and removed " + c.shortId() + " " + c.name() + " (" + c.image() + ")" + how);
        }
        System.out.println("stopped and removed " + containers(found.size()));
        return 0;
    }

    private static String containers(int n) {
        return n + (n == 1 ? " container" : " containers");
    }

    private static String line(dev.tether.reaper.TiedContainer c) {
        return c.info().shortId() + " " + c.info().name() + " (" + c.info().image() + ", tie=" + c.tie().label() + ")";
    }
}
