package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.docker.ContainerInfo;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class UnlabelledStdinTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode inspect(boolean running, boolean openStdin, boolean attachStdin, String labels) throws Exception {
        return JSON.readTree("""
                {"Id":"0123456789abcdef0123","Name":"/mcp-github","Created":"2026-01-02T03:04:05.123456789Z",
                 "State":{"Running":%s},
                 "Config":{"Image":"ghcr.io/github/github-mcp-server","OpenStdin":%s,"AttachStdin":%s,
                           "Entrypoint":["/server"],"Cmd":["stdio"],"StopTimeout":5,"Labels":%s}}
                """.formatted(running, openStdin, attachStdin, labels));
    }

    @Test
    void aRunningDockerRunDashIContainerWithoutTetherLabelsIsOne() throws Exception {
        Optional<UnlabelledStdin> found = UnlabelledStdin.of(inspect(true, true, true, "{\"dev.tether.test\":\"x\"}"));

        assertThat(found).isPresent();
        ContainerInfo c = found.get().container();
        assertThat(List.of(c.id(), c.shortId(), c.name(), c.image()))
                .containsExactly("0123456789abcdef0123", "0123456789ab", "mcp-github", "ghcr.io/github/github-mcp-server");
        assertThat(c.created()).isEqualTo(Instant.parse("2026-01-02T03:04:05.123456789Z"));
        assertThat(found.get().command()).isEqualTo("/server stdio");
        assertThat(c.stopTimeout()).contains(5);
    }

    @Test
    void tetherLabelsOrNoOpenAttachedStdinOrNotRunningMeanItIsNot() throws Exception {
        assertThat(UnlabelledStdin.of(inspect(true, true, true, "{\"dev.tether.tie\":\"none\"}"))).isEmpty();
        assertThat(UnlabelledStdin.of(inspect(true, true, true, "{\"dev.tether.owner.pid\":\"0\"}"))).isEmpty();
        assertThat(UnlabelledStdin.of(inspect(true, true, true, "{\"dev.tether.instance\":\"1-2\"}"))).isEmpty();
        assertThat(UnlabelledStdin.of(inspect(true, false, false, "null"))).as("docker run -d").isEmpty();
        assertThat(UnlabelledStdin.of(inspect(true, true, false, "null"))).as("stdin open, nobody attached").isEmpty();
        assertThat(UnlabelledStdin.of(inspect(false, true, true, "null"))).as("stopped").isEmpty();
        assertThat(UnlabelledStdin.of(inspect(true, true, true, "null"))).as("null labels").isPresent();
    }
}
