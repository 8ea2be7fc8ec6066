package dev.tether.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.labeler.TetherLabels;
import dev.tether.labeler.Tie;
import dev.tether.labeler.fuzz.CreateBodies;
import dev.tether.labeler.fuzz.GoCreateView;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The labeler's property, checked against the real engine: adversarial create bodies (the generator of
 * CreateLabelerPropertyTest) sent through tether. Each is refused by tether with a {@code tether:} 4xx, or refused
 * by the engine with no container made, or makes a container whose inspect shows exactly the labels the
 * reference decoder predicts (the client's, with tether's identity labels winning) and the client's own AutoRemove.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class CreateFuzzIT {

    @RegisterExtension
    static final TetherExtension tether = new TetherExtension();

    private static final long FIXED_SEED = 20261121L;
    private static final CreateBodies BODIES = new CreateBodies(List.of(
            "\"Image\":\"" + Engine.TEST_IMAGE + "\"",
            "\"Cmd\":[\"true\"]",
            "\"Labels\":{\"" + Engine.TEST_LABEL + "\":\"" + Engine.RUN_ID + "\"}",
            "\"HostConfig\":{\"NetworkMode\":\"none\"}"));

    /** Tether's labels for this JVM, read from a plain create: every fuzzed create must carry the same. */
    private static Map<String, String> identity;

    @BeforeAll
    static void readIdentity() {
        String name = Engine.name("fuzz-control");
        RawHttp.Response r = tether.call(RawHttp.request("POST", "/containers/create?name=" + name)
                .json(Engine.containerSpec("true").toString()));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        JsonNode c = Engine.inspect(name);
        tether.assertLabelledByTether(c, ProcessHandle.current().pid());
        identity = new LinkedHashMap<>(labels(c));
        // why depends on each body: checked on its own below
        identity.keySet().removeIf(k -> !k.startsWith(TetherLabels.PREFIX) || k.equals(Engine.TEST_LABEL)
                || k.equals(TetherLabels.WHY));
        assertThat(identity).hasSize(11); // dev.tether.ancestors too
        Engine.remove(name);
    }

    @Test
    void fixedSeed() {
        fuzz(FIXED_SEED, 400);
    }

    @Test
    void randomSeed() {
        fuzz(new SecureRandom().nextLong(), 200);
    }

    private static void fuzz(long seed, int count) {
        SplittableRandom random = new SplittableRandom(seed);
        int created = 0;
        int refusedByTether = 0;
        int refusedByEngine = 0;
        for (int i = 0; i < count; i++) {
            CreateBodies.Body body = BODIES.next(random);
            String name = Engine.name("fuzz");
            String context = "seed " + seed + ", body " + i + ": " + body;
            RawHttp.Response r = tether.call(RawHttp.request("POST", "/containers/create?name=" + name)
                    .header("Content-Type", "application/json").body(body.bytes()));
            if (r.status() == 201) {
                created++;
                try {
                    assertEngineRead(body, Engine.inspect(name), context);
                } finally {
                    Engine.remove(name);
                }
            } else if (r.text().startsWith("{\"message\":\"tether: ")) {
                refusedByTether++;
                assertThat(r.status()).as(context).isBetween(400, 499);
                assertThat(body.clean()).as("tether refused a body it must forward (%s); %s", r, context).isFalse();
                assertThat(Engine.find(name)).as(context).isEmpty();
            } else {
                refusedByEngine++;
                assertThat(Engine.find(name)).as("the engine answered %s but made a container; %s", r, context)
                        .isEmpty();
            }
        }
        System.out.printf("CreateFuzzIT seed %d: %d bodies, %d created, %d refused by tether, %d by the engine%n",
                seed, count, created, refusedByTether, refusedByEngine);
        // Most bodies must reach the engine and make a container, or this tests little.
        assertThat(created).as("containers created, seed " + seed).isGreaterThan(count / 3);
    }

    private static void assertEngineRead(CreateBodies.Body body, JsonNode container, String context) {
        GoCreateView.Reading reading = GoCreateView.read(body.bytes());
        assertThat(reading).as("the engine made a container of a body the reference decoder says it refuses; %s",
                context).isInstanceOf(GoCreateView.Read.class);
        GoCreateView sent = ((GoCreateView.Read) reading).view();

        Tie tie = expectedTie(sent);
        Map<String, String> expected = new LinkedHashMap<>(sent.labelsOrEmpty());
        expected.putAll(identity);
        expected.put(TetherLabels.TIE, tie.label());
        Map<String, String> labels = labels(container);
        assertThat(labels.remove(TetherLabels.WHY)).as("why; %s", context).isNotBlank();
        assertThat(labels).as("labels; %s", context).isEqualTo(expected);

        // tether adds no AutoRemove: the engine has the client's own.
        assertThat(container.at("/HostConfig/AutoRemove").asBoolean()).as("AutoRemove; %s", context)
                .isEqualTo(sent.effectiveHostConfig().autoRemove());
    }

    /**
     * The client's tie label (tether refuses an invalid one), else none for a restart policy, else owner for a
     * Testcontainers label, else session for a stdio session, else owner.
     */
    private static Tie expectedTie(GoCreateView sent) {
        String requested = sent.labelsOrEmpty().get(TetherLabels.TIE);
        if (requested != null) {
            return Tie.fromLabel(requested).orElseThrow();
        }
        if (sent.hostConfig().map(h -> !h.restartPolicy().isEmpty() && !h.restartPolicy().equals("no")).orElse(false)) {
            return Tie.NONE;
        }
        if (sent.labelsOrEmpty().keySet().stream().anyMatch(key -> key.startsWith("org.testcontainers"))) {
            return Tie.OWNER;
        }
        return sent.attachStdin() && sent.openStdin() ? Tie.SESSION : Tie.OWNER;
    }

    private static Map<String, String> labels(JsonNode container) {
        Map<String, String> labels = new LinkedHashMap<>();
        container.at("/Config/Labels").properties().forEach(e -> labels.put(e.getKey(), e.getValue().asText()));
        return labels;
    }
}
