package dev.tether.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.labeler.TetherLabels;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A running container that looks like a stdio MCP server leaked before tether: started with {@code docker run -i}
 * ({@code Config.OpenStdin} and {@code Config.AttachStdin}) and carrying none of tether's labels, so nothing ties it to
 * a process.
 *
 * @param stopTimeout the container's own {@code Config.StopTimeout}, which wins over the sweep's grace
 */
record UnlabelledStdin(String id, String name, String image, Instant created, String command,
                       Optional<Integer> stopTimeout) {

    /** The labels only tether writes (or a client choosing its tie): any one of them means tether knows it. */
    private static final List<String> TETHER_LABELS = List.of(TetherLabels.TIE, TetherLabels.OWNER_PID, TetherLabels.INSTANCE);

    /** Reads an inspect document; empty unless the container is running, has open attached stdin and no tether label. */
    static Optional<UnlabelledStdin> of(JsonNode inspect) {
        JsonNode config = inspect.path("Config");
        boolean running = inspect.at("/State/Running").asBoolean(false);
        boolean stdin = config.path("OpenStdin").asBoolean(false) && config.path("AttachStdin").asBoolean(false);
        boolean labelled = TETHER_LABELS.stream().anyMatch(l -> config.path("Labels").has(l));
        if (!running || !stdin || labelled) {
            return Optional.empty();
        }
        List<String> command = new ArrayList<>();
        config.path("Entrypoint").forEach(a -> command.add(a.asText()));
        config.path("Cmd").forEach(a -> command.add(a.asText()));
        String created = inspect.path("Created").asText("");
        JsonNode stopTimeout = config.path("StopTimeout");
        return Optional.of(new UnlabelledStdin(
                inspect.path("Id").asText(),
                inspect.path("Name").asText("").replaceFirst("^/", ""),
                config.path("Image").asText(""),
                created.isEmpty() ? Instant.EPOCH : Instant.parse(created),
                String.join(" ", command),
                stopTimeout.isIntegralNumber() ? Optional.of(stopTimeout.asInt()) : Optional.empty()));
    }

    String shortId() {
        return id.length() > 12 ? id.substring(0, 12) : id;
    }
}
