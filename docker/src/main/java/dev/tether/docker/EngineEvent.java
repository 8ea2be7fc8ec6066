package dev.tether.docker;

import java.util.Map;

/** One container event from the engine's stream; container labels ride along in {@code attributes}. */
public record EngineEvent(String action, String containerId, Map<String, String> attributes, long timeNanos) {

    public EngineEvent {
        attributes = Map.copyOf(attributes);
    }
}
