package dev.tether.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** docker-compose v1 and docker-py (Debian's packages, both Python) through tether. */
@Timeout(180)
class PythonClientsIT {

    @RegisterExtension
    static final TetherExtension tether = new TetherExtension();

    /** Debian's interpreter, which has python3-docker; a pyenv python on PATH may not. */
    private static final String PYTHON = "/usr/bin/python3";

    @Test
    void composeUpDetachedIsLabelledWithComposeAsOwnerAndTiedToNothing() throws Exception {
        Path project = Files.createDirectories(tether.dir().resolve("compose"));
        Files.writeString(project.resolve("docker-compose.yml"), """
                version: "2.4"
                services:
                  app:
                    image: %s
                    command: ["sleep", "600"]
                    network_mode: none
                    labels:
                      %s: "%s"
                """.formatted(Engine.TEST_IMAGE, Engine.TEST_LABEL, Engine.RUN_ID));
        String name = "tetherit" + Engine.RUN_ID;

        Result up = run(project, "docker-compose", "-p", name, "up", "-d");
        assertThat(up.exit).as(up.output).isZero();

        JsonNode app = Engine.inspect(name + "_app_1");
        assertThat(Engine.running(app)).isTrue();
        JsonNode labels = app.at("/Config/Labels");
        assertThat(labels.path("dev.tether.tie").asText()).as("compose up -d must outlive compose").isEqualTo("none");
        assertThat(labels.path("dev.tether.owner.exe").asText()).contains("python3");
        assertThat(labels.path("dev.tether.instance").asText()).isEqualTo(tether.proxy().instance());

        Result down = run(project, "docker-compose", "-p", name, "down");
        assertThat(down.exit).as(down.output).isZero();
        Engine.awaitGone(name + "_app_1", Duration.ofSeconds(30));
    }

    @Test
    void aDockerPyScriptOwnsItsContainers() throws Exception {
        String script = """
                import docker, os
                client = docker.from_env()
                c = client.containers.run("%s", ["sh", "-c", "echo from-py"], detach=True,
                                          labels={"%s": "%s"}, network_mode="none")
                c.wait()
                print(c.id)
                print(c.logs().decode().strip())
                print(os.getpid())
                c.remove()
                """.formatted(Engine.TEST_IMAGE, Engine.TEST_LABEL, Engine.RUN_ID);

        Result py = run(tether.dir(), PYTHON, "-c", script);

        assertThat(py.exit).as(py.output).isZero();
        List<String> lines = py.output.lines().toList();
        assertThat(lines).as(py.output).hasSizeGreaterThanOrEqualTo(3);
        assertThat(lines.get(1)).isEqualTo("from-py");
        String events = tetherLabelsOfDestroyed(lines.get(0));
        assertThat(events).contains("\"dev.tether.owner.pid\":\"" + lines.get(2) + "\"")
                .contains("\"dev.tether.tie\":\"owner\"");
    }

    /** The labels of a removed container, from the engine's event stream (labels ride on every event). */
    private static String tetherLabelsOfDestroyed(String id) {
        long now = System.currentTimeMillis() / 1000;
        RawHttp.Response events = Engine.call("GET", "/events?since=" + (now - 120) + "&until=" + (now + 1)
                + "&filters=" + Engine.encode("{\"container\":[\"" + id + "\"],\"event\":[\"create\"]}"));
        assertThat(events.status()).isEqualTo(200);
        return events.text();
    }

    private record Result(int exit, String output) {}

    private Result run(Path dir, String... command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().put("DOCKER_HOST", "unix://" + tether.socket());
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
