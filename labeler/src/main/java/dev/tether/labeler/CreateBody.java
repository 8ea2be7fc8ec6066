package dev.tether.labeler;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A create body as the engine decodes the fields tether reads or rewrites. Every other root member stays a span of
 * {@code source}, so the engine decodes it exactly as it would have.
 *
 * @param members the root members tether does not rewrite, in the client's order
 * @param labels {@code Labels} after merging every occurrence since the last null
 * @param hostConfig empty when the engine's HostConfig pointer would be nil
 */
record CreateBody(
        byte[] source,
        List<Span> members,
        Map<String, String> labels,
        boolean attachStdin,
        boolean openStdin,
        Optional<HostConfig> hostConfig) {

    /** A client keeping stdin attached and open is a stdio session: its container lives as long as the stream. */
    boolean isStdioSession() {
        return attachStdin && openStdin;
    }

    /**
     * HostConfig after merging every occurrence since the last null, as Go decodes them into one pointer.
     *
     * @param members the members tether does not rewrite, RestartPolicy included, in the client's order
     * @param autoRemove empty when no occurrence set it
     */
    record HostConfig(List<Span> members, Optional<Boolean> autoRemove, String restartPolicy) {

        static final HostConfig ABSENT = new HostConfig(List.of(), Optional.empty(), "");

        /** The daemon refuses AutoRemove together with a restart policy. */
        boolean allowsAutoRemove() {
            return restartPolicy.isEmpty() || restartPolicy.equals("no");
        }

        HostConfig withAutoRemove() {
            return new HostConfig(members, Optional.of(true), restartPolicy);
        }
    }
}
