package dev.tether.labeler;

import com.fasterxml.jackson.core.JsonFactory;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Rewrites the body of a {@code POST /containers/create} so that the engine reads tether's labels and settings, or
 * refuses it when the engine could read it differently from tether. Thread-safe.
 */
public final class CreateLabeler {

    private final String instance;
    private final String bootId;
    private final String pidNamespace;
    private final TiePolicy tiePolicy;
    private final Optional<McpDefaults> mcpDefaults;
    private final JsonFactory json = new JsonFactory();

    /**
     * @param instance written to {@code dev.tether.instance}
     * @param bootId written to {@code dev.tether.boot}: start ticks mean something only within one boot
     * @param pidNamespace written to {@code dev.tether.pidns}: pids mean something only within one PID namespace
     * @param forcedTie the tie every container gets, whatever the client asks
     */
    public CreateLabeler(String instance, String bootId, String pidNamespace, Optional<Tie> forcedTie) {
        this(instance, bootId, pidNamespace, forcedTie, Optional.empty());
    }

    /** @param mcpDefaults what a stdio session gets in HostConfig unless it chose for itself (--mcp-defaults) */
    public CreateLabeler(String instance, String bootId, String pidNamespace, Optional<Tie> forcedTie,
                         Optional<McpDefaults> mcpDefaults) {
        this.instance = Objects.requireNonNull(instance, "instance");
        this.bootId = Objects.requireNonNull(bootId, "bootId");
        this.pidNamespace = Objects.requireNonNull(pidNamespace, "pidNamespace");
        this.tiePolicy = new TiePolicy(Objects.requireNonNull(forcedTie, "forcedTie"));
        this.mcpDefaults = Objects.requireNonNull(mcpDefaults, "mcpDefaults");
    }

    public CreateDecision decide(byte[] body, Caller caller) {
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(caller, "caller");
        try {
            return forward(CreateBodyReader.read(json, body, mcpDefaults.isPresent()), caller);
        } catch (Refusal refusal) {
            return new CreateDecision.Refuse(refusal.getMessage());
        }
    }

    private CreateDecision forward(CreateBody body, Caller caller) {
        TieChoice choice = tiePolicy.choose(TiePolicy.Intent.of(body), caller);
        Map<String, String> labels = new LinkedHashMap<>(body.labels());
        // Put last so that a client cannot claim another owner, tie or instance.
        labels.putAll(identityLabels(caller, choice));

        // HostConfig.AutoRemove is left as the client sent it: the reaper removes what it stops, and an AutoRemove
        // the client did not ask for changes what it sees (its own remove gets a 409, a second start fails).
        Optional<CreateBody.HostConfig> hostConfig = body.hostConfig();
        CreateDecision.McpDefaultsSet defaultsSet = CreateDecision.McpDefaultsSet.NOTHING;
        if (choice.tie() == Tie.SESSION && mcpDefaults.isPresent()) {
            CreateBody.HostConfig config = hostConfig.orElse(CreateBody.HostConfig.ABSENT);
            defaultsSet = defaultsFor(config.confinement(), mcpDefaults.get());
            hostConfig = Optional.of(config.with(config.confinement().plus(defaultsSet)));
        }

        Map<String, String> tetherLabels = new LinkedHashMap<>();
        labels.forEach((key, value) -> {
            if (key.startsWith(TetherLabels.PREFIX)) {
                tetherLabels.put(key, value);
            }
        });
        return new CreateDecision.Forward(CreateBodyWriter.write(body, labels, hostConfig), choice,
                Collections.unmodifiableMap(tetherLabels), defaultsSet);
    }

    /** Each default the client did not choose itself; a cap only when it set none that could clash. */
    private static CreateDecision.McpDefaultsSet defaultsFor(CreateBody.Confinement client, McpDefaults defaults) {
        return new CreateDecision.McpDefaultsSet(client.init().isEmpty(), !client.choosesNoNewPrivileges(),
                defaults.memory() > 0 && !client.capsMemory() ? OptionalLong.of(defaults.memory()) : OptionalLong.empty(),
                defaults.nanoCpus() > 0 && !client.capsCpu() ? OptionalLong.of(defaults.nanoCpus()) : OptionalLong.empty());
    }

    private Map<String, String> identityLabels(Caller caller, TieChoice choice) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(TetherLabels.OWNER_PID, Long.toString(caller.owner().pid()));
        labels.put(TetherLabels.OWNER_START, Long.toString(caller.owner().startTicks()));
        labels.put(TetherLabels.OWNER_EXE, caller.owner().exe());
        labels.put(TetherLabels.HOST_PID, Long.toString(caller.host().pid()));
        labels.put(TetherLabels.HOST_START, Long.toString(caller.host().startTicks()));
        labels.put(TetherLabels.HOST_EXE, caller.host().exe());
        labels.put(TetherLabels.ANCESTORS, caller.ancestry().label());
        labels.put(TetherLabels.TIE, choice.tie().label());
        labels.put(TetherLabels.WHY, choice.why());
        labels.put(TetherLabels.INSTANCE, instance);
        labels.put(TetherLabels.BOOT, bootId);
        labels.put(TetherLabels.PID_NAMESPACE, pidNamespace);
        return labels;
    }
}
