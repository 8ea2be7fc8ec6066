package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which server entries {@code tether setup} routes, and why it leaves the others alone. */
class RoutingTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String LAUNCHER = "/opt/tether/tether";
    private static final Set<String> TETHER = Set.of("unix:///run/user/1000/tether/docker.sock", "/run/user/1000/tether/docker.sock");

    @Test
    void aDockerServerAlreadyPointedAtTethersSocketByHandIsRouted() {
        Routing r = of("""
                {"command": "docker", "args": ["run", "-i", "--rm", "mcp/time"],
                 "env": {"DOCKER_HOST": "unix:///run/user/1000/tether/docker.sock"}}""");

        assertThat(r).isEqualTo(new Routing.Route(new Routing.CommandLine("docker", List.of("run", "-i", "--rm", "mcp/time")),
                new Routing.CommandLine(LAUNCHER, List.of("run", "--", "docker", "run", "-i", "--rm", "mcp/time"))));
    }

    @Test
    void aDockerCommandThatNamesItsEngineIsLeftAlone() {
        assertThat(of("{\"command\": \"docker\", \"args\": [\"-H\", \"tcp://build:2375\", \"run\", \"-i\", \"x\"]}"))
                .isInstanceOfSatisfying(Routing.LeftAlone.class, a -> assertThat(a.why()).contains("-H tcp://build:2375"));
        assertThat(of("{\"command\": \"docker\", \"args\": [\"--context=remote\", \"run\", \"-i\", \"x\"]}"))
                .isInstanceOfSatisfying(Routing.LeftAlone.class, a -> assertThat(a.why()).contains("--context=remote"));
        assertThat(of("{\"command\": \"docker\", \"args\": [\"--log-level\", \"warn\", \"-c\", \"ci\", \"run\", \"x\"]}"))
                .isInstanceOfSatisfying(Routing.LeftAlone.class, a -> assertThat(a.why()).contains("-c ci"));
    }

    @Test
    void optionsOfTheSubcommandAreNotTakenForEngineOptions() {
        // -h is run's --hostname, -c is run's --cpu-shares: after the subcommand they are its own.
        assertThat(of("{\"command\": \"docker\", \"args\": [\"run\", \"-i\", \"-h\", \"box\", \"-c\", \"512\", \"x\"]}"))
                .isInstanceOf(Routing.Route.class);
    }

    @Test
    void argsThatAreNotStringsAreReportedNotGuessedAt() {
        assertThat(of("{\"command\": \"docker\", \"args\": \"run -i x\"}"))
                .isInstanceOfSatisfying(Routing.LeftAlone.class, a -> assertThat(a.why()).contains("not a list of strings"));
    }

    @Test
    void podmanAndLookalikesAreNotDocker() {
        assertThat(of("{\"command\": \"podman\", \"args\": [\"run\", \"-i\", \"x\"]}")).isInstanceOf(Routing.NotDocker.class);
        assertThat(of("{\"command\": \"/usr/bin/docker-compose\", \"args\": [\"run\", \"x\"]}")).isInstanceOf(Routing.NotDocker.class);
        assertThat(of("{\"url\": \"https://mcp.example.com/mcp\"}")).isInstanceOf(Routing.NotStdio.class);
    }

    @Test
    void aRoutedServerUnroutesToExactlyItsOriginalCommand() {
        Routing r = of("{\"command\": \"/x/tether\", \"args\": [\"run\", \"--\", \"/usr/local/bin/docker\", \"run\", \"-i\", \"it's\"]}");

        assertThat(r).isInstanceOfSatisfying(Routing.Routed.class, routed -> {
            assertThat(routed.unrouted()).isEqualTo(new Routing.CommandLine("/usr/local/bin/docker", List.of("run", "-i", "it's")));
            assertThat(routed.unrouted().toString()).isEqualTo("/usr/local/bin/docker run -i 'it'\\''s'");
        });
    }

    @Test
    void withAllAStdioServerOfAnyCommandIsRoutedAndOnlyWithAll() {
        String npx = "{\"command\": \"npx\", \"args\": [\"-y\", \"@playwright/mcp\"], \"env\": {\"DOCKER_HOST\": \"\"}}";

        assertThat(of(npx)).isInstanceOf(Routing.NotDocker.class);
        assertThat(all(npx)).isEqualTo(new Routing.Route(new Routing.CommandLine("npx", List.of("-y", "@playwright/mcp")),
                new Routing.CommandLine(LAUNCHER, List.of("run", "--", "npx", "-y", "@playwright/mcp"))));
        assertThat(all("{\"command\": \"uv\"}")).isEqualTo(new Routing.Route(new Routing.CommandLine("uv", List.of()),
                new Routing.CommandLine(LAUNCHER, List.of("run", "--", "uv"))));
    }

    @Test
    void withAllWhatIsNotStdioOrIsTetherItselfIsLeftAloneSayingWhy() {
        assertThat(all("{\"type\": \"sse\", \"command\": \"docker\", \"url\": \"http://localhost:9/sse\"}"))
                .isEqualTo(new Routing.NotStdio("sse"));
        assertThat(all("{\"url\": \"https://mcp.example.com/mcp\"}")).isEqualTo(new Routing.NotStdio("url"));
        assertThat(all("{\"command\": \"/usr/local/bin/tether\", \"args\": [\"up\"]}"))
                .isInstanceOfSatisfying(Routing.LeftAlone.class, a -> assertThat(a.why()).isEqualTo("its command is tether itself"));
        assertThat(all("{\"command\": \"" + LAUNCHER + "\", \"args\": [\"run\", \"--socket\", \"/s\", \"--\", \"uvx\", \"x\"]}"))
                .isInstanceOf(Routing.LeftAlone.class);
        assertThat(all("{\"command\": \"node\", \"args\": [\"s.js\"], \"env\": {\"DOCKER_HOST\": \"tcp://ci:2375\"}}"))
                .as("tether run would replace its DOCKER_HOST")
                .isInstanceOfSatisfying(Routing.LeftAlone.class, a -> assertThat(a.why()).contains("DOCKER_HOST=tcp://ci:2375"));
        assertThat(all("{\"command\": \"node\", \"args\": \"s.js\"}"))
                .isInstanceOfSatisfying(Routing.LeftAlone.class, a -> assertThat(a.why()).contains("not a list of strings"));
    }

    @Test
    void aServerRoutedThroughTetherRunIsRoutedWhateverItRuns() {
        String routed = "{\"command\": \"/x/tether\", \"args\": [\"run\", \"--\", \"uvx\", \"mcp-server-time\"]}";
        Routing.Routed expected = new Routing.Routed(new Routing.CommandLine("/x/tether", List.of("run", "--", "uvx", "mcp-server-time")),
                new Routing.CommandLine("uvx", List.of("mcp-server-time")));

        assertThat(of(routed)).as("so that --undo un-routes it, --all or not").isEqualTo(expected);
        assertThat(all(routed)).isEqualTo(expected);
    }

    private static Routing all(String json) {
        try {
            return Routing.of(JSON.readTree(json), LAUNCHER, TETHER, true);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Routing of(String json) {
        try {
            JsonNode server = JSON.readTree(json);
            return Routing.of(server, LAUNCHER, TETHER);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
