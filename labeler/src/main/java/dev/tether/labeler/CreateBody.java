package dev.tether.labeler;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

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
     * @param members the members tether does not rewrite, RestartPolicy included, in the client's order; those of
     *                the confinement fields are rewritable spans, dropped if tether writes the confinement
     * @param autoRemove empty when no occurrence set it
     * @param confinement the fields --mcp-defaults rewrites; read only when it is on
     */
    record HostConfig(List<Span> members, Optional<Boolean> autoRemove, String restartPolicy, Confinement confinement) {

        static final HostConfig ABSENT = new HostConfig(List.of(), Optional.empty(), "", Confinement.UNREAD);

        HostConfig with(Confinement confinement) {
            return new HostConfig(members, autoRemove, restartPolicy, confinement);
        }
    }

    /**
     * The HostConfig fields --mcp-defaults reads, as the engine decodes them. Init is a pointer (a null unsets it),
     * SecurityOpt a slice (each occurrence replaces it, a null empties it), the caps plain int64s (a null leaves
     * them). Init, SecurityOpt, Memory and NanoCpus are rewritten as one canonical member each; the other limits are
     * only read, since a cap tether adds must not clash with them. The client's members stay as sent unless
     * tether changed one of the four fields.
     *
     * @param securityOpt empty while the engine's slice would be nil
     * @param memory empty when no occurrence set it
     * @param nanoCpus empty when no occurrence set it
     * @param otherMemoryLimit MemorySwap or MemoryReservation is non-zero: the engine refuses a Memory below either
     * @param otherCpuLimit CpuQuota or CpuPeriod is non-zero: the engine refuses NanoCpus with either
     * @param changed tether set one of the four: they are written canonically, the client's members dropped
     */
    record Confinement(Optional<Boolean> init, Optional<List<String>> securityOpt, OptionalLong memory,
                       OptionalLong nanoCpus, boolean otherMemoryLimit, boolean otherCpuLimit, boolean changed) {

        static final Confinement UNREAD = new Confinement(Optional.empty(), Optional.empty(), OptionalLong.empty(),
                OptionalLong.empty(), false, false, false);

        /** Moby takes a bare entry or one split at '=' (or the old ':'), case-sensitively. */
        boolean choosesNoNewPrivileges() {
            return securityOpt.orElse(List.of()).stream().anyMatch(opt -> opt.equals("no-new-privileges")
                    || opt.startsWith("no-new-privileges=") || opt.startsWith("no-new-privileges:"));
        }

        /** This, with what --mcp-defaults set on top. */
        Confinement plus(CreateDecision.McpDefaultsSet set) {
            Optional<List<String>> options = securityOpt;
            if (set.noNewPrivileges()) {
                List<String> added = new ArrayList<>(securityOpt.orElse(List.of()));
                added.add("no-new-privileges");
                options = Optional.of(List.copyOf(added));
            }
            return new Confinement(set.init() ? Optional.of(true) : init, options,
                    set.memory().isPresent() ? set.memory() : memory,
                    set.nanoCpus().isPresent() ? set.nanoCpus() : nanoCpus, otherMemoryLimit, otherCpuLimit,
                    changed || !set.isEmpty());
        }

        boolean capsMemory() {
            return memory.orElse(0) != 0 || otherMemoryLimit;
        }

        boolean capsCpu() {
            return nanoCpus.orElse(0) != 0 || otherCpuLimit;
        }
    }
}
