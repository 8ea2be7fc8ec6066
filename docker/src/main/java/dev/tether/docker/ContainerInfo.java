package dev.tether.docker;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What tether needs to know of a container, from the engine's inspect answer.
 *
 * @param stopTimeout   the container's own {@code Config.StopTimeout}, which wins over tether's grace
 * @param created       when the engine created it ({@link Instant#EPOCH} when the engine did not say)
 * @param stdinAttached started with {@code docker run -i}: {@code Config.OpenStdin} and {@code Config.AttachStdin}
 * @param command       {@code Config.Entrypoint} followed by {@code Config.Cmd}
 */
public record ContainerInfo(String id, String name, String image, Map<String, String> labels, String state,
                            boolean autoRemove, Optional<Integer> stopTimeout, Instant created,
                            boolean stdinAttached, List<String> command) {

    public ContainerInfo {
        labels = Map.copyOf(labels);
        command = List.copyOf(command);
    }

    /**
     * Reads the engine's inspect document ({@code GET /containers/ID/json}) as a tree: docker-java's typed model
     * lacks fields tether reads (StopTimeout), and a tree reads any API version's answer alike.
     */
    public static ContainerInfo from(JsonNode inspect) {
        JsonNode config = inspect.path("Config");
        Map<String, String> labels = new HashMap<>();
        config.path("Labels").properties().forEach(e -> labels.put(e.getKey(), e.getValue().asText()));
        List<String> command = new ArrayList<>();
        config.path("Entrypoint").forEach(a -> command.add(a.asText()));
        config.path("Cmd").forEach(a -> command.add(a.asText()));
        JsonNode stopTimeout = config.path("StopTimeout");
        String created = inspect.path("Created").asText("");
        JsonNode state = inspect.path("State");
        return new ContainerInfo(
                inspect.path("Id").asText(),
                inspect.path("Name").asText("").replaceFirst("^/", ""),
                config.path("Image").asText(""),
                labels,
                state.path("Status").asText(state.path("Running").asBoolean(false) ? "running" : "unknown"),
                inspect.at("/HostConfig/AutoRemove").asBoolean(false),
                stopTimeout.isIntegralNumber() ? Optional.of(stopTimeout.asInt()) : Optional.empty(),
                created.isEmpty() ? Instant.EPOCH : Instant.parse(created),
                config.path("OpenStdin").asBoolean(false) && config.path("AttachStdin").asBoolean(false),
                command);
    }

    /** Ran and stopped: its process is gone, what is left is its file system and logs. */
    public boolean hasExited() {
        return state.equals("exited") || state.equals("dead");
    }

    public boolean isRunning() {
        return state.equals("running") || state.equals("restarting") || state.equals("paused");
    }

    /**
     * How long a stop waits before SIGKILL: the container's own StopTimeout (what {@code docker stop} would wait) when
     * it is a positive number of seconds, else {@code fallback}, tether's grace. Not 0: Podman's Docker API reports 0
     * for a container whose client set none (its own {@code docker stop} then kills at once), and a reaper that
     * promises a graceful stop cannot take that at its word. Not -1 (Docker's "wait for ever"): a reaped container
     * must end.
     */
    public Duration stopGrace(Duration fallback) {
        return stopTimeout.filter(s -> s > 0).map(Duration::ofSeconds).orElse(fallback);
    }

    public String shortId() {
        return id.length() > 12 ? id.substring(0, 12) : id;
    }
}
