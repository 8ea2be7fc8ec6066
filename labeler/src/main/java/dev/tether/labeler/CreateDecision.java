package dev.tether.labeler;

import java.util.Map;
import java.util.OptionalLong;

/** What the proxy does with a {@code POST /containers/create}: forward a rewritten body, or refuse it. */
public sealed interface CreateDecision {

    /**
     * Forward {@code body} (complete JSON, to be sent with a fresh Content-Length) to the engine.
     * {@code labels} are the dev.tether.* labels the engine will read; {@code autoRemoveSet} is true when
     * tether turned on HostConfig.AutoRemove that the client had not asked for.
     */
    record Forward(byte[] body, Tie tie, Map<String, String> labels, boolean autoRemoveSet,
                   McpDefaultsSet mcpDefaultsSet) implements CreateDecision {

        public Forward(byte[] body, Tie tie, Map<String, String> labels, boolean autoRemoveSet) {
            this(body, tie, labels, autoRemoveSet, McpDefaultsSet.NOTHING);
        }
    }

    /**
     * What --mcp-defaults set in HostConfig because the client had not: {@code Init: true}, a
     * {@code no-new-privileges} entry in SecurityOpt, and the caps (empty when the client chose its own, or none is
     * configured).
     */
    record McpDefaultsSet(boolean init, boolean noNewPrivileges, OptionalLong memory, OptionalLong nanoCpus) {

        public static final McpDefaultsSet NOTHING = new McpDefaultsSet(false, false, OptionalLong.empty(),
                OptionalLong.empty());

        public boolean isEmpty() {
            return equals(NOTHING);
        }
    }

    /** Answer 400 without contacting the engine; {@code reason} says what was wrong and what to do. */
    record Refuse(String reason) implements CreateDecision {}
}
