package dev.tether.labeler;

import java.util.Map;
import java.util.OptionalLong;

/** What the proxy does with a {@code POST /containers/create}: forward a rewritten body, or refuse it. */
public sealed interface CreateDecision {

    /**
     * Forward {@code body} (complete JSON, to be sent with a fresh Content-Length) to the engine.
     * {@code choice} is the tie and the rule that chose it; {@code labels} are the dev.tether.* labels the engine
     * will read.
     */
    record Forward(byte[] body, TieChoice choice, Map<String, String> labels, McpDefaultsSet mcpDefaultsSet)
            implements CreateDecision {

        public Tie tie() {
            return choice.tie();
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
