package dev.tether.labeler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.labeler.fuzz.CreateBodies;
import dev.tether.labeler.fuzz.GoCreateView;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Whatever a client sends, the engine reads tether's labels and the client's own AutoRemove, or tether refuses:
 * tether's output is read back by an independent decoder written from Go's rules ({@link GoCreateView}).
 */
class CreateLabelerPropertyTest {

    private static final ProcessId JAVA = new ProcessId(4242, 987654, "/usr/lib/jvm/temurin-25/bin/java");
    private static final ProcessId SHELL = new ProcessId(4000, 900000, "/usr/bin/bash");
    private static final Caller SDK_CLIENT = new Caller(JAVA, SHELL);
    private static final Caller DOCKER_CLI = new Caller(new ProcessId(7, 8, "/usr/bin/docker"), SHELL);
    private static final Caller UNKNOWN = new Caller(ProcessId.UNKNOWN, ProcessId.UNKNOWN);

    private final CreateLabeler labeler = new CreateLabeler("tether-1", "boot-abc", "pid:[4026531836]", Optional.empty());

    private static final List<Caller> CALLERS = List.of(SDK_CLIENT, DOCKER_CLI, UNKNOWN);
    private static final int TRIES = 10_000;

    /**
     * A seeded loop rather than a property-testing library: the same tries every run from the fixed seed, new ones
     * from a random seed each run. A failure names its seed and try, and {@code -Dtether.property.seed=S} replays it.
     */
    @ParameterizedTest(name = "{0} seed")
    @ValueSource(strings = {"fixed", "random"})
    void theEngineReadsTethersLabelsOrTetherRefuses(String kind) {
        long seed = kind.equals("fixed") ? 20261121L
                : Long.getLong("tether.property.seed", new SecureRandom().nextLong());
        SplittableRandom random = new SplittableRandom(seed);
        CreateBodies generator = new CreateBodies(List.of());
        Map<String, Integer> outcomes = new TreeMap<>();
        for (int i = 0; i < TRIES; i++) {
            CreateBodies.Body body = generator.next(random);
            Caller caller = CALLERS.get(random.nextInt(CALLERS.size()));
            try {
                outcomes.merge(check(body, caller), 1, Integer::sum);
            } catch (AssertionError e) {
                throw new AssertionError("seed " + seed + ", try " + i + ", caller " + caller.owner().exe()
                        + ", body " + new String(body.bytes(), java.nio.charset.StandardCharsets.UTF_8), e);
            }
        }
        System.out.printf("[property] %s seed %d: %d tries, %s%n", kind, seed, TRIES, outcomes);
        assertThat(outcomes.keySet()).as("the generator reaches both decisions")
                .anyMatch(o -> o.startsWith("Refuse")).anyMatch(o -> o.startsWith("Forward"));
    }

    /** Returns the decision and how the reference decoder read the input, for the tally. */
    private String check(CreateBodies.Body body, Caller caller) {
        GoCreateView.Reading input = GoCreateView.read(body.bytes());
        CreateDecision decision = labeler.decide(body.bytes(), caller);

        switch (decision) {
            case CreateDecision.Refuse refuse -> {
                assertThat(body.clean()).as("a body with nothing tether must refuse was refused: %s", refuse.reason())
                        .isFalse();
                assertThat(refuse.reason()).isNotBlank();
            }
            case CreateDecision.Forward forward -> {
                assertThat(input).as("an ambiguous key was forwarded").isNotInstanceOf(GoCreateView.Ambiguous.class);
                GoCreateView.Reading output = GoCreateView.read(forward.body());
                if (input instanceof GoCreateView.Read read) {
                    assertThat(output).isInstanceOf(GoCreateView.Read.class);
                    assertEngineReads(read.view(), ((GoCreateView.Read) output).view(), forward, caller);
                } else {
                    assertThat(output).as("tether made a body the engine refuses acceptable")
                            .isInstanceOf(GoCreateView.Refused.class);
                }
            }
        }
        return decision.getClass().getSimpleName() + "/" + input.getClass().getSimpleName();
    }

    private static void assertEngineReads(GoCreateView sent, GoCreateView engine, CreateDecision.Forward forward,
            Caller caller) {
        Tie tie = expectedTie(sent, caller);
        assertThat(forward.tie()).isEqualTo(tie);

        Map<String, String> expected = new LinkedHashMap<>(sent.labelsOrEmpty());
        expected.putAll(identity(caller, tie));
        assertThat(engine.labels()).as("labels").hasValueSatisfying(labels -> {
            Map<String, String> rest = new LinkedHashMap<>(labels);
            assertThat(rest.remove(TetherLabels.WHY)).as("why the tie was chosen").isEqualTo(forward.choice().why());
            assertThat(rest).isEqualTo(expected);
        });

        GoCreateView.HostConfig before = sent.effectiveHostConfig();
        GoCreateView.HostConfig after = engine.effectiveHostConfig();
        // tether sets no AutoRemove and no restart policy: HostConfig reaches the engine as the client sent it.
        assertThat(engine.hostConfig().isPresent()).as("HostConfig present").isEqualTo(sent.hostConfig().isPresent());
        assertThat(after.autoRemove()).as("AutoRemove as the client set it").isEqualTo(before.autoRemove());
        assertThat(after.restartPolicy()).isEqualTo(before.restartPolicy());

        // Everything else reaches the engine byte for byte, in order.
        assertThat(engine.attachStdin()).isEqualTo(sent.attachStdin());
        assertThat(engine.openStdin()).isEqualTo(sent.openStdin());
        assertThat(engine.otherRootMembers()).as("other root members").isEqualTo(sent.otherRootMembers());
        assertThat(engine.hostConfig().map(GoCreateView.HostConfig::otherMembers).orElse(List.of()))
                .as("other HostConfig members")
                .isEqualTo(sent.hostConfig().map(GoCreateView.HostConfig::otherMembers).orElse(List.of()));
    }

    /**
     * The client's tie label if valid (an invalid one is refused), else session for a stdio session, else none for
     * a CLI or an owner tether could not identify, else owner.
     */
    private static Tie expectedTie(GoCreateView sent, Caller caller) {
        String requested = sent.labelsOrEmpty().get(TetherLabels.TIE);
        if (requested != null) {
            return Tie.fromLabel(requested).orElseThrow(
                    () -> new AssertionError("forwarded an invalid tie label '" + requested + "'"));
        }
        if (sent.hostConfig().map(h -> !h.restartPolicy().isEmpty() && !h.restartPolicy().equals("no")).orElse(false)) {
            return Tie.NONE;
        }
        if (sent.labelsOrEmpty().keySet().stream().anyMatch(key -> key.startsWith("org.testcontainers"))) {
            return caller == SDK_CLIENT ? Tie.OWNER : Tie.NONE;
        }
        if (sent.attachStdin() && sent.openStdin()) {
            return Tie.SESSION;
        }
        return caller == SDK_CLIENT ? Tie.OWNER : Tie.NONE;
    }

    private static Map<String, String> identity(Caller caller, Tie tie) {
        return Map.ofEntries(
                Map.entry(TetherLabels.OWNER_PID, Long.toString(caller.owner().pid())),
                Map.entry(TetherLabels.OWNER_START, Long.toString(caller.owner().startTicks())),
                Map.entry(TetherLabels.OWNER_EXE, caller.owner().exe()),
                Map.entry(TetherLabels.HOST_PID, Long.toString(caller.host().pid())),
                Map.entry(TetherLabels.HOST_START, Long.toString(caller.host().startTicks())),
                Map.entry(TetherLabels.HOST_EXE, caller.host().exe()),
                Map.entry(TetherLabels.ANCESTORS, caller.ancestry().label()),
                Map.entry(TetherLabels.TIE, tie.label()),
                Map.entry(TetherLabels.INSTANCE, "tether-1"),
                Map.entry(TetherLabels.BOOT, "boot-abc"),
                Map.entry(TetherLabels.PID_NAMESPACE, "pid:[4026531836]"));
    }
}
