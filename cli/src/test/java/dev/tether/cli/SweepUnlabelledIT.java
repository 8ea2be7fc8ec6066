package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import dev.tether.proxy.Cli;
import dev.tether.proxy.Engine;
import dev.tether.proxy.TetherExtension;

/**
 * {@code tether sweep --unlabelled}: finds the {@code docker run -i} containers leaked before tether, and only those.
 * Every call filters on this test's own label: other tests' containers on a shared engine are never listed nor touched.
 */
@Timeout(180)
class SweepUnlabelledIT {

    @RegisterExtension
    static final TetherExtension tether = new TetherExtension();

    private static final String CASE_LABEL = "tether-it.sweep";

    @Test
    void listsOnlyRunningDashIContainersWithoutTetherLabelsAndYesRemovesOnlyThose() {
        String mine = CASE_LABEL + "=" + UUID.randomUUID();
        String leaked = Engine.name("leaked-i");
        String detached = Engine.name("detached-d");
        String tied = Engine.name("tied-i");

        // `docker run -i IMAGE cat` made on the engine itself: stdin open and attached, no tether labels
        ObjectNode interactive = spec(mine, "cat");
        interactive.put("OpenStdin", true).put("AttachStdin", true).put("StdinOnce", true);
        String leakedId = Engine.create(leaked, interactive);
        Engine.start(leakedId);
        // `docker run -d IMAGE sleep 600`
        String detachedId = Engine.create(detached, spec(mine, "sleep", "600"));
        Engine.start(detachedId);
        // `docker run -i` through tether: labelled, tied to this CLI
        try (Cli.Running cli = tether.cli(Cli.NEW).start("run", "-i", "--rm", "--network", "none",
                "--label", Engine.labelArg(), "--label", mine, "--name", tied, Engine.TEST_IMAGE, "cat")) {
            cli.write("up\n");
            cli.awaitStdout("up", Duration.ofSeconds(60));
            String tiedId = Engine.inspect(tied).path("Id").asText();

            Cli.Result listed = ReapKit.sweep("--unlabelled", "--label", mine);

            assertThat(listed.exitCode()).as(listed.toString()).isZero();
            assertThat(listed.out()).contains(leakedId.substring(0, 12)).contains(leaked).contains(Engine.TEST_IMAGE)
                    .contains("cat")
                    .doesNotContain(detachedId.substring(0, 12)).doesNotContain(tiedId.substring(0, 12))
                    .contains("1 running container started with `docker run -i` and without tether labels")
                    .contains("tether sweep --unlabelled --yes --label " + mine);
            assertThat(Engine.running(Engine.inspect(leakedId))).as("listing stops nothing").isTrue();

            Cli.Result swept = ReapKit.sweep("--unlabelled", "--yes", "--grace", "1s", "--label", mine);

            assertThat(swept.exitCode()).as(swept.toString()).isZero();
            assertThat(swept.out()).contains("stopped and removed " + leakedId.substring(0, 12))
                    .contains("stopped and removed 1 container");
            assertThat(Engine.find(leakedId)).as("the leaked -i container").isEmpty();
            assertThat(Engine.running(Engine.inspect(detachedId))).as("the -d container").isTrue();
            assertThat(Engine.running(Engine.inspect(tiedId))).as("the container tether tied").isTrue();
            cli.write("still here\n");
            cli.awaitStdout("still here", Duration.ofSeconds(30));

            Cli.Result again = ReapKit.sweep("--unlabelled", "--label", mine);
            assertThat(again.out()).contains("no running container started with `docker run -i` lacks tether's labels");
        }
    }

    @Test
    void yesWithoutUnlabelledIsRefused() {
        Cli.Result refused = ReapKit.sweep("--yes", "--label", CASE_LABEL + "=" + UUID.randomUUID());

        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.stderr()).contains("--yes goes with --unlabelled");
    }

    private static ObjectNode spec(String label, String... cmd) {
        ObjectNode spec = Engine.containerSpec(cmd);
        int eq = label.indexOf('=');
        ((ObjectNode) spec.get("Labels")).put(label.substring(0, eq), label.substring(eq + 1));
        return spec;
    }
}
