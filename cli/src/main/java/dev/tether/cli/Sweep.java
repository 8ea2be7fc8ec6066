package dev.tether.cli;

import dev.tether.docker.ContainerInfo;
import dev.tether.docker.EngineClient;
import dev.tether.daemon.Durations;
import dev.tether.process.Orphans;
import dev.tether.process.ProcessWatcher;
import dev.tether.process.Processes;
import dev.tether.reaper.ReapListener;
import dev.tether.reaper.Reaper;
import dev.tether.reaper.Verdict;
import java.time.Duration;
import java.time.Instant;
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
                "(leaks from before tether), and with --yes stops and removes them.",
                "With --orphans: lists processes of yours that look like stdio MCP servers left by a dead host",
                "(no Docker needed), and with --yes stops each with what it started."})
final class Sweep implements Callable<Integer> {

    private static final DateTimeFormatter CREATED = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").withZone(ZoneId.systemDefault());

    @Mixin
    EngineOption engine;

    @Option(names = "--dry-run", description = "List what would be reaped; change nothing.")
    boolean dryRun;

    @Option(names = "--grace", paramLabel = "DURATION", defaultValue = Settings.GRACE, converter = DurationConverter.class,
            description = "Time to stop before SIGKILL, unless a container's own StopTimeout says; with --orphans, between"
                    + " SIGTERM and SIGKILL to each process tree (default: ${DEFAULT-VALUE}).")
    Duration grace;

    @Option(names = "--unlabelled",
            description = "Look instead for running `docker run -i` containers without tether labels; lists them unless --yes.")
    boolean unlabelled;

    @Option(names = "--orphans",
            description = "Look instead for processes of yours that look like stdio MCP servers left by a dead host:"
                    + " reparented to init or a subreaper, stdin a pipe or socket nobody else writes to, an MCP runner's command"
                    + " line. Lists them unless --yes.")
    boolean orphans;

    @Option(names = "--yes", description = "With --unlabelled or --orphans: stop (and remove) what it lists.")
    boolean yes;

    @Option(names = "--label", paramLabel = "KEY[=VALUE]",
            description = "Only containers with this label (repeatable: all must match), as `docker ps --filter label=`.")
    List<String> labels = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        if (yes && !unlabelled && !orphans) {
            throw new IllegalArgumentException("--yes goes with --unlabelled or --orphans; a plain sweep reaps without asking"
                    + " (--dry-run to look first)");
        }
        if (orphans) {
            if (unlabelled || !labels.isEmpty()) {
                throw new IllegalArgumentException("--orphans looks at processes, not containers: run it without "
                        + (unlabelled ? "--unlabelled" : "--label") + " (one sweep at a time)");
            }
            return orphans();
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

    /** {@code --orphans}: no engine needed, only /proc. */
    private int orphans() {
        List<Orphans.Orphan> found = Orphans.find();
        if (found.isEmpty()) {
            System.out.println("no process of yours looks like a stdio MCP server left by a dead host");
            return 0;
        }
        boolean one = found.size() == 1;
        if (!yes || dryRun) {
            System.out.printf("%-8s  %-6s  %-11s  %s%n", "PID", "AGE", "DESCENDANTS", "COMMAND");
            Instant now = Instant.now();
            for (Orphans.Orphan o : found) {
                String age = Processes.startedAt(o.process()).map(t -> age(Duration.between(t, now))).orElse("?");
                System.out.printf("%-8d  %-6s  %-11d  %s%n", o.process().pid(), age, o.descendants().size(), command(o));
                System.out.println("          orphaned: " + o.why() + "; MCP: " + o.match().runner() + " runs " + o.match().mcp());
            }
            System.out.println(found.size() + (one ? " process looks like a stdio MCP server" : " processes look like stdio"
                    + " MCP servers") + " left by a dead host. To stop " + (one ? "it" : "them") + " with what " + (one ? "it" : "they")
                    + " started (SIGTERM, " + spelled(grace) + " grace, SIGKILL):");
            System.out.println("  tether sweep --orphans --yes" + (grace.equals(Durations.parse(Settings.GRACE)) ? ""
                    : " --grace " + spelled(grace)));
            return 0;
        }
        int left = 0;
        for (Orphans.Orphan o : found) {
            Orphans.Stopped stopped = Orphans.stop(o, grace);
            int tree = o.descendants().size();
            String how = stopped.signalled() == 0 ? ": it was gone already"
                    : stopped.killed() > 0 ? " (" + stopped.killed() + " needed SIGKILL after the grace)" : "";
            System.out.println("stopped pid " + o.process().pid() + " (" + command(o) + ") and its " + tree
                    + (tree == 1 ? " descendant" : " descendants") + how);
            if (stopped.survivors() > 0) {
                left += stopped.survivors();
                System.out.println("  " + stopped.survivors() + " of its processes still run after SIGKILL: look at them with"
                        + " ps -o pid,stat,args --ppid " + o.process().pid() + " (a process in state D waits on the kernel)");
            }
        }
        System.out.println("stopped " + found.size() + (one ? " orphaned MCP server" : " orphaned MCP servers"));
        return left == 0 ? 0 : 1;
    }

    /** The command line, cut to what fits one line of a terminal. */
    private static String command(Orphans.Orphan o) {
        String line = String.join(" ", o.command()).strip();
        return line.length() <= 100 ? line : line.substring(0, 99) + "…";
    }

    /** A duration as --grace takes it. */
    private static String spelled(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }

    private static String age(Duration d) {
        long s = Math.max(0, d.toSeconds());
        return s < 120 ? s + "s" : s < 7200 ? s / 60 + "m" : s < 172800 ? s / 3600 + "h" : s / 86400 + "d";
    }

    private static String containers(int n) {
        return n + (n == 1 ? " container" : " containers");
    }

    private static String line(dev.tether.reaper.TiedContainer c) {
        return c.info().shortId() + " " + c.info().name() + " (" + c.info().image() + ", tie=" + c.tie().label() + ")";
    }
}
