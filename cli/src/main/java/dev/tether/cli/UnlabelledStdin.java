package dev.tether.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.docker.ContainerInfo;
import dev.tether.labeler.TetherLabels;
import java.util.List;
import java.util.Optional;

/**
 * A running container that looks like a stdio MCP server leaked before tether: started with {@code docker run -i}
 * ({@code Config.OpenStdin} and {@code Config.AttachStdin}) and carrying none of tether's labels, so nothing ties it to
 * a process.
 */
record UnlabelledStdin(ContainerInfo container) {

    /** The labels only tether writes (or a client choosing its tie): any one of them means tether knows it. */
    private static final List<String> TETHER_LABELS = List.of(TetherLabels.TIE, TetherLabels.OWNER_PID, TetherLabels.INSTANCE);

    /** Reads an inspect document; empty unless the container is running, has open attached stdin and no tether label. */
    static Optional<UnlabelledStdin> of(JsonNode inspect) {
        ContainerInfo c = ContainerInfo.from(inspect);
        boolean labelled = TETHER_LABELS.stream().anyMatch(c.labels()::containsKey);
        return c.isRunning() && c.stdinAttached() && !labelled ? Optional.of(new UnlabelledStdin(c)) : Optional.empty();
    }

    String shortId() {
        return container.shortId();
    }

    String name() {
        return container.name();
    }

    String image() {
        return container.image();
    }

    /** The command it runs, as one line. */
    String command() {
        return String.join(" ", container.command());
    }
}
