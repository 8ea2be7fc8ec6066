package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
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

        assertThat(found).contains(new UnlabelledStdin("0123456789abcdef0123", "mcp-github", "ghcr.io/github/github-mcp-server",
                Instant.parse("2026-01-02T03:04:05.123456789Z"), "/server stdio", Optional.of(5)));
        assertThat(found.get().shortId()).isEqualTo("0123456789ab");
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
