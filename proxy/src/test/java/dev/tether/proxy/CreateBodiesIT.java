package dev.tether.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.labeler.TetherLabels;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code POST /containers/create} bodies as real clients send them, byte for byte: whatever tether rewrites, the
 * engine must read the client's own settings exactly as it would have without tether (read back from the engine).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CreateBodiesIT {

    @RegisterExtension
    static final TetherExtension tether = new TetherExtension();

    private static final long JVM = ProcessHandle.current().pid();
    private static final String IMAGE = "\"" + Engine.TEST_IMAGE + "\"";
    private static final String TEST_LABELS = "{\"" + Engine.TEST_LABEL + "\":\"" + Engine.RUN_ID + "\",\"it.case\":\"kept\"}";

    /** Sends a create through the socket under test; returns the new container's inspect from the engine itself. */
    private static JsonNode create(String name, RawHttp.Request request) {
        RawHttp.Response r = tether.call(request);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        assertThat(r.json().path("Id").asText()).hasSize(64);
        JsonNode c = Engine.inspect(r.json().get("Id").asText());
        assertThat(c.get("Name").asText()).isEqualTo("/" + name);
        return c;
    }

    private static RawHttp.Request post(String name) {
        return RawHttp.request("POST", "/containers/create?name=" + name);
    }

    @Test
    void nullLabelsAndNullHostConfigAreAccepted() {
        String name = Engine.name("null-fields"); // no labels possible: cleanup finds it by name
        try {
            JsonNode c = create(name, post(name).json("{\"Image\":" + IMAGE + ",\"Cmd\":[\"true\"],\"Labels\":null,\"HostConfig\":null}"));

            assertThat(c.at("/Config/Image").asText()).isEqualTo(Engine.TEST_IMAGE);
            assertThat(c.at("/Config/Cmd/0").asText()).isEqualTo("true");
            tether.assertLabelledByTether(c, JVM);
        } finally {
            Engine.remove(name);
        }
    }

    @Test
    void absentLabelsAndHostConfigAreAccepted() {
        String name = Engine.name("absent-fields");
        try {
            JsonNode c = create(name, post(name).json("{\"Image\":" + IMAGE + ",\"Cmd\":[\"true\"]}"));

            assertThat(c.at("/Config/Image").asText()).isEqualTo(Engine.TEST_IMAGE);
            tether.assertLabelledByTether(c, JVM);
        } finally {
            Engine.remove(name);
        }
    }

    @Test
    void lowerCaseKeysAreReadAsTheEngineReadsThem() {
        String name = Engine.name("lower-case");
        JsonNode c = create(name, post(name).json("{\"image\":" + IMAGE + ",\"cmd\":[\"true\"],\"labels\":" + TEST_LABELS
                + ",\"hostconfig\":{\"networkmode\":\"none\",\"memory\":67108864}}"));

        assertThat(c.at("/Config/Labels/it.case").asText()).isEqualTo("kept");
        assertThat(c.at("/Config/Labels").path(Engine.TEST_LABEL).asText()).isEqualTo(Engine.RUN_ID);
        assertThat(c.at("/HostConfig/NetworkMode").asText()).isEqualTo("none");
        assertThat(c.at("/HostConfig/Memory").asLong()).isEqualTo(67108864L);
        tether.assertLabelledByTether(c, JVM);
    }

    @Test
    void repeatedKeysMergeAsTheEngineMergesThem() {
        String name = Engine.name("repeated-keys");
        JsonNode c = create(name, post(name).json("{\"Image\":" + IMAGE + ",\"Cmd\":[\"true\"]"
                + ",\"Labels\":" + TEST_LABELS + ",\"Labels\":{\"it.second\":\"also\"}"
                + ",\"HostConfig\":{\"NetworkMode\":\"none\"},\"hostConfig\":{\"Memory\":67108864}}"));

        assertThat(c.at("/Config/Labels/it.case").asText()).isEqualTo("kept");
        assertThat(c.at("/Config/Labels/it.second").asText()).isEqualTo("also");
        assertThat(c.at("/HostConfig/NetworkMode").asText()).isEqualTo("none");
        assertThat(c.at("/HostConfig/Memory").asLong()).isEqualTo(67108864L);
        tether.assertLabelledByTether(c, JVM);
    }

    @Test
    void aChunkedCreateBodyIsAccepted() {
        String name = Engine.name("chunked");
        byte[] body = ("{\"Image\":" + IMAGE + ",\"Cmd\":[\"echo\",\"chunked\"],\"Labels\":" + TEST_LABELS
                + ",\"HostConfig\":{\"NetworkMode\":\"none\"}}").getBytes(StandardCharsets.UTF_8);

        JsonNode c = create(name, post(name)
                .header("Content-Type", "application/json")
                .header("Transfer-Encoding", "chunked")
                .body(RawHttp.chunked(body, 7))
                .noContentLength());

        assertThat(c.at("/Config/Cmd/1").asText()).isEqualTo("chunked");
        assertThat(c.at("/Config/Labels/it.case").asText()).isEqualTo("kept");
        tether.assertLabelledByTether(c, JVM);
    }

    @Test
    void fieldsTetherDoesNotModelAndExactInt64ValuesAreKept() {
        String name = Engine.name("exact");
        long beyondDouble = 9007199254740993L; // 2^53 + 1: a double would make it ...992
        JsonNode c = create(name, post(name).json("{\"Image\":" + IMAGE + ",\"Cmd\":[\"true\"],\"Labels\":" + TEST_LABELS
                + ",\"Domainname\":\"it.example\",\"StopSignal\":\"SIGUSR1\",\"StopTimeout\":123"
                + ",\"Healthcheck\":{\"Test\":[\"CMD\",\"true\"],\"Interval\":" + beyondDouble + ",\"Retries\":7}"
                + ",\"XTetherItFutureField\":{\"nested\":[1,2,{\"deep\":true}]}"
                + ",\"HostConfig\":{\"NetworkMode\":\"none\",\"PidsLimit\":" + beyondDouble + ",\"OomScoreAdj\":123"
                + ",\"ShmSize\":12345678901}}"));

        assertThat(c.at("/Config/Domainname").asText()).isEqualTo("it.example");
        assertThat(c.at("/Config/StopSignal").asText()).isEqualTo("SIGUSR1");
        assertThat(c.at("/Config/StopTimeout").asInt()).isEqualTo(123);
        assertThat(c.at("/Config/Healthcheck/Interval").asLong()).isEqualTo(beyondDouble);
        assertThat(c.at("/Config/Healthcheck/Retries").asInt()).isEqualTo(7);
        assertThat(c.at("/HostConfig/PidsLimit").asLong()).isEqualTo(beyondDouble);
        assertThat(c.at("/HostConfig/OomScoreAdj").asInt()).isEqualTo(123);
        assertThat(c.at("/HostConfig/ShmSize").asLong()).isEqualTo(12345678901L);
        tether.assertLabelledByTether(c, JVM);
    }

    @Test
    void theClientsOwnLabelsSurviveNextToTethers() {
        String name = Engine.name("own-labels");
        JsonNode c = create(name, post(name).json("{\"Image\":" + IMAGE + ",\"Cmd\":[\"true\"],\"Labels\":{\""
                + Engine.TEST_LABEL + "\":\"" + Engine.RUN_ID + "\",\"com.example.team\":\"infra\",\"empty\":\"\"}"
                + ",\"HostConfig\":{\"NetworkMode\":\"none\"}}"));

        JsonNode labels = c.at("/Config/Labels");
        assertThat(labels.path("com.example.team").asText()).isEqualTo("infra");
        assertThat(labels.has("empty")).isTrue();
        tether.assertLabelledByTether(c, JVM);
        labels.fieldNames().forEachRemaining(k -> assertThat(k.startsWith(TetherLabels.PREFIX)
                || k.equals(Engine.TEST_LABEL) || k.equals("com.example.team") || k.equals("empty"))
                .as("unexpected label " + k).isTrue());
    }
}
