package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.proxy.Cli;
import dev.tether.proxy.Engine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What each session costs, as a user who counts leaks in gigabytes reads it: {@code tether ps} shows each tied
 * container's memory and CPU, as {@code docker stats} computes them, and the totals per host process that started
 * them; {@code tether status} the totals of all.
 */
@Timeout(180)
class CostsIT {

    private static final int FILL_MIB = 48;

    private static Path dir;
    private static ReapKit.Tether tether;

    private final List<ReapHost> hosts = new ArrayList<>();

    @BeforeAll
    static void up() throws IOException {
        Engine.ensureImage();
        dir = Files.createTempDirectory(Path.of("/tmp"), "costs");
        tether = ReapKit.Tether.up(dir.resolve("d.sock"));
    }

    @AfterEach
    void endTheTestsProcesses() {
        hosts.forEach(h -> Engine.remove(h.name));
        hosts.forEach(ReapHost::close);
    }

    @AfterAll
    static void down() {
        ReapKit.tearDown("CostsIT", dir, tether);
    }

    @Test
    void psShowsWhatEachSessionCostsGroupedByItsHostAndStatusTheTotals() {
        Cli.requireInstalled(Cli.NEW);
        // 48 MiB in the container's /dev/shm: memory the kernel cannot drop, as a server's heap
        ReapHost memoryHost = session("costs-memory",
                "dd if=/dev/zero of=/dev/shm/fill bs=1M count=" + FILL_MIB + " 2>/dev/null; echo ready; exec cat");
        ReapHost cpuHost = session("costs-cpu", "echo ready; while :; do :; done");

        Cli.Result ps = ReapKit.tetherSays("ps", "--socket", tether.socket.toString());
        System.out.println("[tether ps]\n" + ps.out());
        assertThat(ps.exitCode()).as(ps.toString()).isZero();

        long memory = mib(column(ps, memoryHost.name, "MEM"));
        assertThat(memory).as("the filled container's memory").isBetween((long) FILL_MIB, FILL_MIB + 16L);
        assertThat(mib(column(ps, memoryHost.name, "MEM"))).as("docker stats says the same")
                .isBetween(mib(dockerStatsMemory(memoryHost.name)) - 2, mib(dockerStatsMemory(memoryHost.name)) + 2);
        assertThat(percent(column(ps, cpuHost.name, "CPU"))).as("a busy loop's CPU, sampled by the engine over a second")
                .isGreaterThan(20.0);
        assertThat(percent(column(ps, memoryHost.name, "CPU"))).as("cat waiting on its stdin").isLessThan(5.0);

        // One line per host: each host started one container; the memory host's line carries its memory.
        String byHost = ps.out().substring(ps.out().indexOf("\nHOST ") + 1);
        assertThat(hostLine(byHost, memoryHost.hostPid())).as(byHost).matches("\\d+ \\S+ +1 +1 +\\S+MiB +\\S+%");
        assertThat(mib(hostLine(byHost, memoryHost.hostPid()).split(" +")[4])).isBetween((long) FILL_MIB, FILL_MIB + 16L);
        assertThat(hostLine(byHost, cpuHost.hostPid())).as(byHost).matches("\\d+ \\S+ +1 +1 +\\S+ +\\S+%");

        Cli.Result status = ReapKit.tetherSays("status", "--socket", tether.socket.toString());
        System.out.println("[tether status]\n" + status.out());
        String cost = status.out().lines().filter(l -> l.strip().startsWith("cost ")).findFirst()
                .orElseThrow(() -> new AssertionError("no cost line in:\n" + status.out()));
        assertThat(cost).matches(" *cost +2 running, \\S+MiB memory, \\S+% CPU \\(per host: tether ps\\)");
        assertThat(mib(cost.strip().split(" +")[3])).isGreaterThanOrEqualTo(FILL_MIB);
    }

    private ReapHost session(String purpose, String server) {
        String name = Engine.name(purpose);
        ReapHost h = ReapHost.launch(tether.socket, name, List.of(Cli.NEW, "run", "-i", "--rm", "--name", name, "--label",
                Engine.labelArg(), "--network", "none", Engine.TEST_IMAGE, "sh", "-c", server));
        hosts.add(h);
        return h;
    }

    private static String dockerStatsMemory(String name) {
        Cli.Result r = new Cli(Cli.NEW, Engine.socket()).run("stats", "--no-stream", "--format", "{{.MemUsage}}", name);
        assertThat(r.exitCode()).as(r.toString()).isZero();
        return r.out().strip().split(" / ")[0];
    }

    /** The value in {@code column} of the row {@code tether ps} printed for the container named {@code name}. */
    private static String column(Cli.Result ps, String name, String column) {
        List<String> header = List.of(ps.out().lines().findFirst().orElseThrow().split(" +"));
        String row = ps.out().lines().filter(l -> List.of(l.split(" +")).contains(name)).findFirst()
                .orElseThrow(() -> new AssertionError("tether ps printed no row for " + name + ":\n" + ps.out()));
        // OWNER and HOST are "PID EXE": two words each, after TIE
        List<String> cells = new ArrayList<>(List.of(row.split(" +")));
        int i = header.indexOf(column);
        assertThat(i).as("column %s in %s", column, header).isNotNegative();
        return cells.get(i + (i > header.indexOf("HOST") ? 2 : 0));
    }

    private static String hostLine(String byHost, long hostPid) {
        return byHost.lines().filter(l -> l.startsWith(hostPid + " ")).findFirst()
                .orElseThrow(() -> new AssertionError("no line for host " + hostPid + " in:\n" + byHost));
    }

    private static long mib(String cell) {
        Optional<String> unit = List.of("GiB", "MiB", "KiB", "kB", "MB", "B").stream().filter(cell::endsWith).findFirst();
        double v = Double.parseDouble(cell.substring(0, cell.length() - unit.orElseThrow().length()));
        return Math.round(switch (unit.get()) {
            case "GiB" -> v * 1024;
            case "MiB", "MB" -> v;
            case "KiB", "kB" -> v / 1024;
            default -> v / 1024 / 1024;
        });
    }

    private static double percent(String cell) {
        return Double.parseDouble(cell.replace("%", ""));
    }
}
