package dev.tether.cli;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code tether run}: answered by the launcher script, which execs the command; here for its usage. A JVM cannot exec
 * (replace itself by) another program, and a child of the JVM would make the JVM, not the MCP host, the docker CLI's
 * parent, which tether's host labels record.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Runs COMMAND with DOCKER_HOST set to tether's socket, starting a tether first if none serves it.",
                "For MCP configs: \"command\": \"tether\", \"args\": [\"run\", \"--\", \"docker\", \"run\", \"-i\", \"--rm\", \"IMAGE\"].",
                "COMMAND replaces tether run (exec): its parent stays the MCP host.",
                "Guarded: when its host dies, or closes its stdin and it outlives the grace,",
                "the running tether stops its whole tree (SIGTERM, --grace, SIGKILL).",
                "A tether it starts runs detached, in its own session, logging to $XDG_STATE_HOME/tether/tether.log",
                "(else ~/.local/state/tether/tether.log); TETHER_RUN_TIMEOUT (seconds, default 60) bounds the wait for it."})
final class Run implements Callable<Integer> {

    @Mixin
    SocketOption socket;

    @picocli.CommandLine.Option(names = "--grace", paramLabel = "DURATION",
            description = "Time the server's tree gets after SIGTERM, and to exit after its stdin's end (default: the tether's --grace).")
    String grace;

    @Parameters(paramLabel = "COMMAND", arity = "1..*", description = "The command and its arguments, after --.")
    List<String> command;

    @Override
    public Integer call() {
        System.err.println("tether: `tether run` works through the launcher script (the repository's ./tether, or a"
                + " symlink to it on PATH), which execs COMMAND; a JVM cannot, so run it that way");
        return 2;
    }
}
