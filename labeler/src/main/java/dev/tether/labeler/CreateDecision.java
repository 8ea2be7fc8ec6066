package dev.tether.labeler;

import java.util.Map;

/** What the proxy does with a {@code POST /containers/create}: forward a rewritten body, or refuse it. */
public sealed interface CreateDecision {

    /**
     * Forward {@code body} (complete JSON, to be sent with a fresh Content-Length) to the engine.
     * {@code labels} are the dev.tether.* labels the engine will read; {@code autoRemoveSet} is true when
     * tether turned on HostConfig.AutoRemove that the client had not asked for.
     */
    record Forward(byte[] body, Tie tie, Map<String, String> labels, boolean autoRemoveSet) implements CreateDecision {}

    /** Answer 400 without contacting the engine; {@code reason} says what was wrong and what to do. */
    record Refuse(String reason) implements CreateDecision {}
}
