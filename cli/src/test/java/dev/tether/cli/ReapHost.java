package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import dev.tether.proxy.Cli;
import dev.tether.proxy.Engine;

/**
 * A stdio MCP host, as small as it gets: a bash process in a session and process group of its own ({@code setsid})
 * that starts {@code docker run -i --rm … IMAGE sh -c SERVER} (or a wrapper that runs it) as a coprocess, with pipes for the CLI's stdin and
 * stdout, exactly as an MCP client spawns a stdio server. It reads one command a line from the test:
 * <ul>
 * <li>{@code send}: writes {@code ping} to the server and prints {@code ECHO got ping};
 * <li>{@code shutdown}: the MCP stdio shutdown sequence: close the server's stdin, wait up to 1 s for it to exit,
 *     SIGTERM, wait up to 1 s, printing {@code ALIVE-AFTER-EOF}/{@code EXITED-ON-EOF} and
 *     {@code ALIVE-AFTER-TERM}/{@code EXITED-ON-TERM};
 * <li>{@code kill}: SIGKILL to the CLI (the sequence's last step), then prints {@code KILLED}.
 * </ul>
 * It prints {@code READY <host pid> <cli pid> ready} once the server has said {@code ready} through the pipes.
 */
final class ReapHost implements AutoCloseable {

    private static final String SCRIPT = """
            coproc CLI { exec "$@"; }
            cli=$CLI_PID out=${CLI[0]} in=${CLI[1]}
            if ! read -r line <&"$out"; then echo "NO-SERVER"; exit 1; fi
            echo "READY $$ $cli $line"
            alive() { kill -0 "$cli" 2>/dev/null; }
            waitexit() { for _ in 1 2 3 4 5 6 7 8 9 10; do alive || return 0; sleep 0.1; done; return 1; }
            while read -r cmd; do
              case $cmd in
                send) echo ping >&"$in"; read -r l <&"$out"; echo "ECHO $l" ;;
                shutdown)
                  eval "exec $in>&-"
                  if waitexit; then echo EXITED-ON-EOF; else echo ALIVE-AFTER-EOF; fi
                  kill -TERM "$cli"
                  if waitexit; then echo EXITED-ON-TERM; else echo ALIVE-AFTER-TERM; fi ;;
                kill) kill -KILL "$cli"; echo KILLED ;;
              esac
            done
            """;

    final String name;
    final Cli.Running host;
    final ProcessHandle hostHandle;
    final ProcessHandle cliHandle;

    private ReapHost(String name, Cli.Running host, ProcessHandle hostHandle, ProcessHandle cliHandle) {
        this.name = name;
        this.host = host;
        this.hostHandle = hostHandle;
        this.cliHandle = cliHandle;
    }

    /** Starts the host; returns once the server answered through tether on {@code socket}. */
    static ReapHost start(String dockerBinary, Path socket, String name, String... runArgs) {
        return launch(socket, name, dockerRun(dockerBinary, name, runArgs));
    }

    /** {@code docker run -i --rm … IMAGE sh -c SERVER}: what the host starts, alone or through a wrapper. */
    static List<String> dockerRun(String dockerBinary, String name, String... runArgs) {
        List<String> command = new ArrayList<>(List.of(dockerBinary, "run", "-i", "--rm", "--name", name, "--label",
                Engine.labelArg(), "--network", "none"));
        command.addAll(List.of(runArgs));
        command.addAll(List.of(Engine.TEST_IMAGE, "sh", "-c", ReapKit.STUBBORN_SERVER));
        return command;
    }

    /**
     * Starts a host that runs {@code launch} (a {@link #dockerRun} or a wrapper around one) with pipes; returns once
     * the server answered. {@link #cliHandle} is then the process the host started, the wrapper if there is one.
     */
    static ReapHost launch(Path socket, String name, List<String> launch) {
        List<String> command = new ArrayList<>(List.of("setsid", "bash", "-c", SCRIPT, "mcp-host"));
        command.addAll(launch);
        ProcessBuilder pb = new ProcessBuilder(command);
        ReapKit.dockerEnv(pb.environment(), socket);
        Cli.Running host;
        try {
            host = new Cli.Running("mcp host running " + String.join(" ", launch.subList(0, 2)) + "… " + name, pb.start());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            host.awaitStdout("READY ", Duration.ofSeconds(60));
        } catch (AssertionError e) {
            host.close();
            throw e;
        }
        String[] ready = host.stdoutSoFar().lines().filter(l -> l.startsWith("READY ")).findFirst().orElseThrow().split(" ");
        long hostPid = Long.parseLong(ready[1]);
        long cliPid = Long.parseLong(ready[2]);
        // setsid forks only when its caller leads a process group, which a child of this JVM does not: bash is our child
        assertThat(hostPid).as("setsid exec'd bash in place").isEqualTo(host.pid());
        ProcessHandle cli = ProcessHandle.of(cliPid).orElseThrow(() -> new AssertionError("the CLI is gone already"));
        return new ReapHost(name, host, host.process().toHandle(), cli);
    }

    long hostPid() {
        return hostHandle.pid();
    }

    long cliPid() {
        return cliHandle.pid();
    }

    /** Sends one command line to the host. */
    void command(String cmd) {
        host.write(cmd + "\n");
    }

    /** Waits until the host printed {@code line}. */
    void await(String line) {
        host.awaitStdout(line, Duration.ofSeconds(20));
    }

    String output() {
        return host.stdoutSoFar() + "\n[stderr] " + host.stderrSoFar();
    }

    @Override
    public void close() {
        if (cliHandle.isAlive()) {
            cliHandle.destroyForcibly();
        }
        if (hostHandle.isAlive()) {
            hostHandle.destroyForcibly();
        }
        host.close();
    }
}
