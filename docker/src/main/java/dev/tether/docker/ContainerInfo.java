package dev.tether.docker;

import java.util.Map;
import java.util.Optional;

/**
 * What tether needs to know of a container, from the engine's inspect answer.
 *
 * @param stopTimeout the container's own {@code Config.StopTimeout}, which wins over tether's grace
 */
public record ContainerInfo(String id, String name, String image, Map<String, String> labels, String state,
                            boolean autoRemove, Optional<Integer> stopTimeout, long createdEpochSecond) {

    public ContainerInfo {
        labels = Map.copyOf(labels);
    }

    public boolean isRunning() {
        return state.equals("running") || state.equals("restarting") || state.equals("paused");
    }

    public String shortId() {
        return id.length() > 12 ? id.substring(0, 12) : id;
    }
}
